"""会话统计 page: chat facts per agent for a period, on screen and as an Excel file."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from kefu.accounts.roles import Perm
from kefu.conversations import exports, statistics
from kefu.conversations.models import PresalesStep
from kefu.core.decorators import require_perm
from kefu.exports.http import export_response

# On the page the times are shown as durations (1分05秒); the Excel file keeps seconds (exports.HEADER).
PAGE_HEADER = (
    gettext_lazy("Agent"),
    gettext_lazy("Chats"),
    gettext_lazy("Response rate"),
    gettext_lazy("Average first response"),
    gettext_lazy("Average response"),
    gettext_lazy("Average handling time"),
    gettext_lazy("Messages per chat"),
    gettext_lazy("Average rating"),
    gettext_lazy("Average satisfaction (1–5, all channels)"),
    gettext_lazy("Pre-sales chats"),
    *[label for _value, label in PresalesStep.choices],
)


@login_required
def chat_statistics(request):
    """The page for those who read reports; its Excel file through the one export service, which
    answers every export the same way (kefu/exports)."""
    if request.GET.get("format") == "xlsx":
        return export_response(request, kind=exports.CHAT_STATISTICS.name)
    return _page(request)


@require_perm(Perm.VIEW_REPORTS)
def _page(request):
    since, until, note = exports.period(request.GET)
    days = statistics.agent_days(since=since, until=until)
    totals = statistics.totals_of(days, since=since)
    names = exports.agent_names(totals + days)
    return render(
        request,
        "conversations/statistics.html",
        {
            "since": since,
            "until": until,
            "note": note,
            "header": PAGE_HEADER,
            "totals": [(names.get(t.agent_id, "—"), t) for t in totals],
            "days": [(names.get(d.agent_id, "—"), d) for d in days],
        },
    )
