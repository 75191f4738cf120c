"""Fixed-window counters in Django's cache: the one mechanism behind every rate limit (the API's,
kefu/api/throttling.py; new chats per address, kefu/conversations/services/widget.py; the widget's
self-service answers, kefu/knowledge/widget_views.py). Redis in scaled mode, so every process
counts together; in embedded mode one process keeps them in memory."""

from __future__ import annotations

import math
import time
from typing import Any

from django.core.cache import cache
from ninja.errors import Throttled

clock = time.time  # tests pin it, so a window cannot end in the middle of one


def hit(key: str, limit: int, period: int, *, cost: int = 1) -> float | None:
    """Counts `cost` calls against `key` in the current window of `period` seconds. None while the
    count is within `limit` (0: no limit); over it, the seconds until the window ends (for a
    Retry-After)."""
    if not limit:
        return None
    now = clock()
    window = int(now // period)
    counter = f"rate:{key}:{period}:{window}"
    cache.add(counter, 0, timeout=period + 1)
    try:
        count = cache.incr(counter, cost)
    except ValueError:  # expired between add and incr
        cache.add(counter, cost, timeout=period + 1)
        count = cost
    return None if count <= limit else (window + 1) * period - now


def note_window(request: Any, key: str, limit: int, period: int) -> None:
    """A throttle counted `request` in this window; `charge` counts a bulk call's other items there."""
    if limit:
        request.__dict__.setdefault("_rate_windows", []).append((key, limit, period))


def charge(request: Any, items: int) -> None:
    """A bulk call counts as many calls as it carries items: the throttles counted one, this counts
    the other `items - 1` in the same windows. Over a limit: Throttled (429 with Retry-After) and
    nothing is done."""
    if items <= 1:
        return
    waits = [
        wait
        for key, limit, period in request.__dict__.get("_rate_windows", ())
        if (wait := hit(key, limit, period, cost=items - 1)) is not None
    ]
    if waits:
        raise Throttled(wait=math.ceil(max(waits)))
