"""Demo issued reports: the pack as the scheduler would have issued it over the demo's history (a year
of tickets, chats and calls: kefu/tickets/demo.py), so 已发布报表 has something true to show. Idempotent;
nobody is notified of these past reports."""

from __future__ import annotations

from django.utils import timezone

from kefu.reports.models import PackKind
from kefu.reports.services import issue_pack, latest_period

DAILY, WEEKLY, MONTHLY = 14, 8, 12  # how many past reports of each kind


def build(*, password: str) -> None:
    now = timezone.now()
    for kind, count in (
        (PackKind.DAILY, DAILY),
        (PackKind.WEEKLY, WEEKLY),
        (PackKind.MONTHLY, MONTHLY),
    ):
        day = timezone.localdate()
        for _n in range(count):
            since, until = latest_period(kind, day)
            issue_pack(kind=kind, since=since, until=until, now=now, announce=False)
            day = since  # the period before this one ends the day before `since`
