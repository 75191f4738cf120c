"""The chat statistics export (会话统计 as .xlsx), a kind of the one export service (kefu/exports):
per agent and day, times in seconds, for those who may read reports and export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.conversations import statistics
from kefu.conversations.models import PresalesStep
from kefu.exports.registry import ExportColumn, ExportKind, Prepared, register

HEADER = (
    gettext_lazy("Day"),
    gettext_lazy("Agent"),
    gettext_lazy("Chats"),
    gettext_lazy("Response rate"),
    gettext_lazy("Average first response (s)"),
    gettext_lazy("Average response (s)"),
    gettext_lazy("Average handling time (s)"),
    gettext_lazy("Messages per chat"),
    gettext_lazy("Average rating"),
    gettext_lazy("Satisfaction answers (chats and return visits)"),
    gettext_lazy("Average satisfaction (1–5, all channels)"),
    gettext_lazy("Pre-sales chats"),
    *[label for _value, label in PresalesStep.choices],
)
DEFAULT_DAYS = 7


def period(query: QueryDict) -> tuple[dt.date, dt.date, str | None]:
    """?since=YYYY-MM-DD&until=YYYY-MM-DD, both included; by default the last seven days. A period
    longer than MAX_DAYS is cut to its last MAX_DAYS days, and the note says so."""
    today = timezone.localdate()

    def day(value, default: dt.date) -> dt.date:
        try:
            parsed = dt.date.fromisoformat(str(value))
        except ValueError:
            return default
        return parsed if dt.date(2000, 1, 1) <= parsed <= dt.date(2100, 12, 31) else default

    until = day(query.get("until"), today)
    since = day(query.get("since"), until - dt.timedelta(days=DEFAULT_DAYS - 1))
    if until < since:
        since, until = until, since
    note = None
    if (until - since).days >= statistics.MAX_DAYS:
        since = until - dt.timedelta(days=statistics.MAX_DAYS - 1)
        note = _("At most %(days)d days at a time: showing %(since)s to %(until)s.") % {
            "days": statistics.MAX_DAYS,
            "since": since.isoformat(),
            "until": until.isoformat(),
        }
    return since, until, note


def agent_names(facts) -> dict[int, str]:
    return {u.pk: str(u) for u in User.objects.filter(pk__in={f.agent_id for f in facts})}


def _cells(fact: statistics.AgentDay, name: str) -> list:
    def rounded(value, places=1):
        return None if value is None else round(value, places)

    rate = None if fact.response_rate is None else round(fact.response_rate * 100, 1)
    return [
        fact.day.isoformat(),
        name,
        fact.chats,
        rate,
        rounded(fact.first_response_seconds),
        rounded(fact.response_seconds),
        rounded(fact.handling_seconds),
        rounded(fact.messages_per_chat),
        rounded(fact.rating, 2),
        fact.satisfaction_answers,
        rounded(fact.satisfaction, 2),
        fact.presales_chats,
        *[None if share is None else round(share * 100, 1) for share in fact.step_shares],
    ]


def _days(filters: dict[str, Any]) -> tuple[dt.date, dt.date]:
    return dt.date.fromisoformat(filters["since"]), dt.date.fromisoformat(filters["until"])


def parse_filters(query: QueryDict) -> dict[str, Any]:
    since, until, _note = period(query)
    return {"since": since.isoformat(), "until": until.isoformat()}


def prepare(*, actor: User, filters: dict[str, Any]) -> Prepared:
    since, until = _days(filters)
    days = statistics.agent_days(since=since, until=until)
    names = agent_names(days)
    return Prepared(count=len(days), rows=(_cells(d, names.get(d.agent_id, "—")) for d in days))


def _file_stem(filters: dict[str, Any]) -> str:
    since, until = _days(filters)
    return f"{_('chat-statistics')}-{since:%Y%m%d}-{until:%Y%m%d}"


CHAT_STATISTICS = register(
    ExportKind(
        name="chat_statistics",
        label=gettext_lazy("Chat statistics"),
        title=gettext_lazy("Chat statistics"),
        file_stem=_file_stem,
        columns=tuple(ExportColumn(label) for label in HEADER),
        prepare=prepare,
        parse_filters=parse_filters,
        view_perms=(Perm.VIEW_REPORTS,),
        page="conversations:statistics",
    )
)
