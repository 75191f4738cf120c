"""Quiet hours (一个避免: never disturb a customer at rest): windows of local time in which no call
task or SMS is scheduled. A window may run over midnight (21:00–09:00).

All arithmetic is in Asia/Shanghai local time on aware datetimes; the clock is always passed in
(`moment`), never read here, so the edges can be tested with any frozen instant."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError

Window = tuple[dt.time, dt.time]


def parse_windows(raw: list[Any]) -> list[Window]:
    """[["12:00", "14:00"], …] as time pairs; a clear error for anything else."""
    windows = []
    for pair in raw or []:
        try:
            start, end = (dt.time.fromisoformat(str(part)) for part in pair)
        except (TypeError, ValueError) as error:
            raise DomainError(_("Give each quiet period as two times like 12:00–14:00.")) from error
        if start == end:
            raise DomainError(_("A quiet period must not start and end at the same time."))
        windows.append((start, end))
    return windows


def _inside(t: dt.time, window: Window) -> bool:
    start, end = window
    if start < end:
        return start <= t < end
    return t >= start or t < end  # over midnight


def is_quiet(moment: dt.datetime, windows: list[Window], *, tz: str | None = None) -> bool:
    if moment.tzinfo is None:
        raise ValueError("quiet hours need an aware datetime")
    local = moment.astimezone(ZoneInfo(tz or settings.TIME_ZONE))
    return any(_inside(local.time().replace(tzinfo=None), w) for w in windows)


def _window_end(local: dt.datetime, window: Window) -> dt.datetime:
    start, end = window
    day = local.date()
    if start > end and local.time().replace(tzinfo=None) >= start:
        day += dt.timedelta(days=1)  # 21:30 → tomorrow 09:00
    return dt.datetime.combine(day, end, tzinfo=local.tzinfo)


def next_allowed(
    moment: dt.datetime, windows: list[Window], *, tz: str | None = None
) -> dt.datetime:
    """`moment` itself if outside every quiet window, else the first instant after the windows it
    falls in (windows that touch or overlap are followed one after the other)."""
    if moment.tzinfo is None:
        raise ValueError("quiet hours need an aware datetime")
    zone = ZoneInfo(tz or settings.TIME_ZONE)
    local = moment.astimezone(zone)
    for _step in range(len(windows) * 2 + 1):
        inside = [w for w in windows if _inside(local.time().replace(tzinfo=None), w)]
        if not inside:
            return local
        local = max(_window_end(local, w) for w in inside)
    raise DomainError(_("The quiet hours cover the whole day: no visit can be scheduled."))
