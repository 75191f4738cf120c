"""The complaint statistics export (投诉分类统计表 as .xlsx), a kind of the one export service
(kefu/exports): the same months, categories and departments as the page, grouped by month with a
subtotal row after each month and the total last, for those who may read reports and export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.exports.registry import ExportColumn, ExportKind, Prepared, register
from kefu.tickets import statistics

STATS_HEADER = (
    gettext_lazy("Month"),
    gettext_lazy("Category"),
    gettext_lazy("Department"),
    gettext_lazy("Complaints"),
    gettext_lazy("Valid"),
    gettext_lazy("Not valid"),
    gettext_lazy("Not judged yet"),
    gettext_lazy("Within the time limit"),
    gettext_lazy("Over the time limit"),
    gettext_lazy("Return visit late"),
    gettext_lazy("Cost of the resolution (yuan)"),
)


def stats_period(query: QueryDict) -> tuple[dt.date, dt.date]:
    """?since=YYYY-MM&until=YYYY-MM (months, inclusive); by default this year up to this month."""
    today = timezone.localdate()

    def month(value: str | None, default: dt.date) -> dt.date:
        try:
            year, number = (int(part) for part in str(value).split("-"))
            return dt.date(year, number, 1) if 2000 <= year <= 2100 else default
        except (TypeError, ValueError):
            return default

    since = month(query.get("since"), today.replace(month=1, day=1))
    until = month(query.get("until"), today.replace(day=1))
    if until < since:
        since, until = until, since
    return since, until


def stats_range(since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of `since`'s month, start of the month after `until`) in local time."""
    start = timezone.make_aware(dt.datetime.combine(since, dt.time()))
    end_month = (until.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, timezone.make_aware(dt.datetime.combine(end_month, dt.time()))


def _months(filters: dict[str, Any]) -> tuple[dt.date, dt.date]:
    return dt.date.fromisoformat(filters["since"]), dt.date.fromisoformat(filters["until"])


def parse_filters(query: QueryDict) -> dict[str, Any]:
    since, until = stats_period(query)
    return {"since": since.isoformat(), "until": until.isoformat()}


def prepare(*, actor: User, filters: dict[str, Any]) -> Prepared:
    """The page's table grouped by month: each month's rows, then its 小计 row; 合计 last."""
    start, end = stats_range(*_months(filters))
    table = statistics.complaint_table(since=start, until=end)
    rows = statistics.spreadsheet_rows(
        statistics.by_month(table),
        statistics.totals(table),
        subtotal_label=_("Subtotal"),
        total_label=_("Total"),
    )
    return Prepared(count=len(table), rows=rows)


def _file_stem(filters: dict[str, Any]) -> str:
    since, until = _months(filters)
    return f"{_('complaint-statistics')}-{since:%Y%m}-{until:%Y%m}"


COMPLAINT_STATISTICS = register(
    ExportKind(
        name="complaint_statistics",
        label=gettext_lazy("Complaint statistics"),
        title=gettext_lazy("Complaint statistics"),
        file_stem=_file_stem,
        columns=tuple(ExportColumn(label) for label in STATS_HEADER),
        prepare=prepare,
        parse_filters=parse_filters,
        view_perms=(Perm.VIEW_REPORTS,),
        page="tickets:stats",
    )
)
