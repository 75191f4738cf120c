"""Fixed-window counters in Django's cache: the one mechanism behind every rate limit (the API's,
kefu/api/throttling.py; new chats per address, kefu/conversations/services/widget.py; the widget's
self-service answers, kefu/knowledge/widget_views.py). Redis in scaled mode, so every process
counts together; in embedded mode one process keeps them in memory."""

from __future__ import annotations

import time

from django.core.cache import cache

clock = time.time  # tests pin it, so a window cannot end in the middle of one


def hit(key: str, limit: int, period: int) -> float | None:
    """Counts one call against `key` in the current window of `period` seconds. None while the
    count is within `limit` (0: no limit); over it, the seconds until the window ends (for a
    Retry-After)."""
    if not limit:
        return None
    now = clock()
    window = int(now // period)
    counter = f"rate:{key}:{period}:{window}"
    cache.add(counter, 0, timeout=period + 1)
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.add(counter, 1, timeout=period + 1)
        count = 1
    return None if count <= limit else (window + 1) * period - now
