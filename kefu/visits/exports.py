"""The monthly visit report 回访月报 and a plan's 回访总结 as .xlsx, through the one export service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.exports.registry import ExportColumn, ExportKind, Prepared, register
from kefu.visits import selectors
from kefu.visits.models import VisitCampaign


def parse_filters(query: QueryDict) -> dict[str, Any]:
    return {
        "month": selectors.parse_month(
            query.get("month", ""), today=selectors.local_today()
        ).isoformat()
    }


def _month(filters: dict[str, Any]) -> dt.date:
    return dt.date.fromisoformat(filters["month"])


def prepare(*, actor: User, filters: dict[str, Any]) -> Prepared:
    report = selectors.month_report(_month(filters))
    rows = [
        [
            row["agent"],
            row["planned"],
            row["done"],
            row["on_time"],
            row["on_time_percent"],
            row["unreachable"],
            row["satisfied_percent"],
            row["survey_answers"],
            row["survey_average"],
        ]
        for row in report["rows"]
    ]
    return Prepared(count=len(rows), rows=rows)


def parse_plan_filters(query: QueryDict) -> dict[str, Any]:
    """The plan's id, as text (as the audit entry keeps filters)."""
    raw = query.get("campaign", "")
    return {"campaign": str(int(raw)) if raw.isdigit() else "0"}


def prepare_plan_summary(*, actor: User, filters: dict[str, Any]) -> Prepared:
    """A plan's 回访总结 as rows of (section, item, number, out of, percent): the progress and
    reach, the satisfaction split, completion per agent, the grouped opinions and suggestions.
    The plan is read as its page reads it (404 for a user who may not see plans)."""
    campaign = selectors.access_campaign(actor=actor, campaign_id=int(filters["campaign"]))
    summary = selectors.campaign_summary(campaign)
    progress = selectors.campaign_progress(campaign)
    done = summary["done"]

    def percent(part: int, whole: int) -> int | None:
        return round(100 * part / whole) if whole else None

    progress_label, satisfaction_label = _("Progress"), _("Satisfaction")
    rows: list[list[Any]] = [
        [progress_label, _("Visits"), progress["total"], None, None],
        [progress_label, _("Visited"), progress["done"], progress["total"], progress["percent"]],
        [progress_label, _("Reached"), summary["reached"], done, summary["reach_percent"]],
        [progress_label, _("Overdue"), summary["overdue"], progress["open"], None],
    ]
    rows += [
        [satisfaction_label, str(label), n, done, percent(n, done)]
        for label, n in summary["satisfaction"]
    ]
    rows += [
        [
            _("Agent"),
            row["assignee__display_name"] or row["assignee__username"] or _("Nobody"),
            row["done"],
            row["total"],
            percent(row["done"], row["total"]),
        ]
        for row in progress["per_agent"]
    ]
    rows += [[_("Opinion"), text, n, None, None] for text, n in summary["opinions"]]
    rows += [[_("Suggestion"), text, n, None, None] for text, n in summary["suggestions"]]
    return Prepared(count=len(rows), rows=rows)


def _plan_stem(filters: dict[str, Any]) -> str:
    number = (
        VisitCampaign.objects.filter(pk=filters.get("campaign") or 0)
        .values_list("number", flat=True)
        .first()
    )
    return f"visit-plan-{number or filters.get('campaign')}"


def register_exports() -> None:
    register(
        ExportKind(
            name="visit_plan_summary",
            label=gettext_lazy("Visit plan summary"),
            title=gettext_lazy("Visit plan summary"),
            file_stem=_plan_stem,
            columns=tuple(
                ExportColumn(label)
                for label in (
                    gettext_lazy("Section"),
                    pgettext_lazy("visit summary", "Item"),
                    pgettext_lazy("visit summary", "Number"),
                    gettext_lazy("Out of"),
                    gettext_lazy("Percent"),
                )
            ),
            prepare=prepare_plan_summary,
            parse_filters=parse_plan_filters,
            view_perms=(Perm.ASSIGN_WORK,),
            page="visits:plans",
        )
    )
    register(
        ExportKind(
            name="visit_month_report",
            label=gettext_lazy("Monthly visit report"),
            title=gettext_lazy("Monthly visit report"),
            file_stem=lambda filters: f"visits-{filters['month'][:7]}",
            columns=tuple(
                ExportColumn(label)
                for label in (
                    gettext_lazy("Agent"),
                    gettext_lazy("Planned"),
                    gettext_lazy("Done"),
                    gettext_lazy("On time"),
                    gettext_lazy("On time %"),
                    gettext_lazy("Not reached"),
                    gettext_lazy("Satisfied %"),
                    gettext_lazy("Survey answers"),
                    gettext_lazy("Average survey score"),
                )
            ),
            prepare=prepare,
            parse_filters=parse_filters,
            view_perms=(Perm.ASSIGN_WORK,),
            page="visits:report",
        )
    )
