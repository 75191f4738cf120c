"""会话统计 page: chat facts per agent for a period, on screen and as an Excel file."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from kefu.accounts.roles import Perm
from kefu.conversations import exports, statistics
from kefu.conversations.models import PresalesStep
from kefu.core.decorators import require_perm
from kefu.core.pagination import Page
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


# The per-day table shows this many days at a time, newest first (92 days × 30 agents would be
# 2,760 rows, 1.5 MB of HTML); the totals and the Excel file cover the whole period.
DAYS_PER_PAGE = 7


def days_page(days: list[statistics.AgentDay], cursor: object) -> Page:
    """The rows of one page of days, for the lists' shared pager (includes/pagination.html):
    `cursor` is the page's number (1 the newest; past the end the last, anything else the first)."""
    dates = sorted({d.day for d in days}, reverse=True)
    pages = max(1, -(-len(dates) // DAYS_PER_PAGE))
    try:
        number = min(max(int(str(cursor)), 1), pages)
    except ValueError:
        number = 1
    shown = set(dates[(number - 1) * DAYS_PER_PAGE : number * DAYS_PER_PAGE])
    return Page(
        items=[d for d in days if d.day in shown],
        cursor=number if number > 1 else None,
        next_cursor=number + 1 if number < pages else None,
    )


@require_perm(Perm.VIEW_REPORTS)
def _page(request):
    since, until, note = exports.period(request.GET)
    all_days = statistics.agent_days(since=since, until=until)
    totals = statistics.totals_of(all_days, since=since)
    day_page = days_page(all_days, request.GET.get("cursor", 1))
    days = day_page.items
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
            "page": day_page,
        },
    )
