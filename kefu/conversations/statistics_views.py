"""会话统计 page: chat facts per agent for a period, on screen and as an Excel file."""

from __future__ import annotations

import datetime as dt

from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.accounts.services import record_export
from kefu.conversations import statistics
from kefu.core.decorators import require_perm
from kefu.core.spreadsheets import XLSX_CONTENT_TYPE, write_xlsx

HEADER = (
    gettext_lazy("Day"), gettext_lazy("Agent"), gettext_lazy("Chats"), gettext_lazy("Response rate"),
    gettext_lazy("Average first response (s)"), gettext_lazy("Average response (s)"),
    gettext_lazy("Average handling time (s)"), gettext_lazy("Messages per chat"), gettext_lazy("Average rating"),
)
# On the page the times are shown as durations (1分05秒); the Excel file keeps seconds (HEADER).
PAGE_HEADER = (
    gettext_lazy("Agent"), gettext_lazy("Chats"), gettext_lazy("Response rate"), gettext_lazy("Average first response"),
    gettext_lazy("Average response"), gettext_lazy("Average handling time"), gettext_lazy("Messages per chat"),
    gettext_lazy("Average rating"),
)
DEFAULT_DAYS = 7


def _period(request) -> tuple[dt.date, dt.date, str | None]:
    """?since=YYYY-MM-DD&until=YYYY-MM-DD, both included; by default the last seven days. A period
    longer than MAX_DAYS is cut to its last MAX_DAYS days, and the page says so."""
    today = timezone.localdate()

    def day(value, default: dt.date) -> dt.date:
        try:
            parsed = dt.date.fromisoformat(str(value))
        except ValueError:
            return default
        return parsed if dt.date(2000, 1, 1) <= parsed <= dt.date(2100, 12, 31) else default

    until = day(request.GET.get("until"), today)
    since = day(request.GET.get("since"), until - dt.timedelta(days=DEFAULT_DAYS - 1))
    if until < since:
        since, until = until, since
    note = None
    if (until - since).days >= statistics.MAX_DAYS:
        since = until - dt.timedelta(days=statistics.MAX_DAYS - 1)
        note = _("At most %(days)d days at a time: showing %(since)s to %(until)s.") % {
            "days": statistics.MAX_DAYS, "since": since.isoformat(), "until": until.isoformat()}
    return since, until, note


def _cells(fact: statistics.AgentDay, name: str) -> list:
    def rounded(value, places=1):
        return None if value is None else round(value, places)

    rate = None if fact.response_rate is None else round(fact.response_rate * 100, 1)
    return [fact.day.isoformat(), name, fact.chats, rate, rounded(fact.first_response_seconds),
            rounded(fact.response_seconds), rounded(fact.handling_seconds), rounded(fact.messages_per_chat),
            rounded(fact.rating, 2)]


@require_perm(Perm.VIEW_REPORTS)
def chat_statistics(request):
    since, until, note = _period(request)
    days = statistics.agent_days(since=since, until=until)
    totals = statistics.agent_totals(since=since, until=until)
    names = {u.pk: str(u) for u in User.objects.filter(pk__in={d.agent_id for d in totals + days})}
    if request.GET.get("format") == "xlsx" and request.user.has_perm(Perm.EXPORT_DATA):
        record_export(actor=request.user, what="chat statistics", rows=len(days), request=request,
                      filters={"since": since.isoformat(), "until": until.isoformat()})
        rows = [_cells(d, names.get(d.agent_id, "—")) for d in days]
        out = write_xlsx(title=str(_("Chat statistics")), header=[str(h) for h in HEADER], rows=rows)
        return FileResponse(out, as_attachment=True, content_type=XLSX_CONTENT_TYPE,
                            filename=f"{_('chat-statistics')}-{since:%Y%m%d}-{until:%Y%m%d}.xlsx")
    return render(request, "conversations/statistics.html", {
        "since": since, "until": until, "note": note, "header": PAGE_HEADER,
        "totals": [(names.get(t.agent_id, "—"), t) for t in totals],
        "days": [(names.get(d.agent_id, "—"), d) for d in days],
    })
