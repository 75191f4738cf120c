"""API rate limits (issue 10.11): requests per token (or signed-in user) and per network address.

django-ninja's throttling runs after authentication, so these count calls that got past it; a
client over either limit gets 429 with `Retry-After` (seconds until its window ends). The limits
are settings (README: Configuration), read on each request: `KEFU_API_RATE_PER_TOKEN` for bearer
tokens — integrations, whose default (60,000/min, 1,000/s) leaves room for a shop system posting
orders at issue 15's aim of 500/s and still stops a runaway loop —, `KEFU_API_RATE_PER_USER` for a
person's calls from the browser (600/min), `KEFU_API_RATE_PER_ADDRESS` for all calls from one address
(120,000/min: a token at its limit plus the people behind the same address; issue 11.3). Counts are fixed one-minute (or other) windows in Django's cache, counted by
kefu/core/ratelimit.py: Redis in scaled mode, so every process counts together; in embedded mode
there is one process anyway. The sign-in page keeps its own throttle (kefu/accounts/services.py).
"""

from __future__ import annotations

import hashlib
import threading

from django.conf import settings
from ninja.throttling import BaseThrottle

from kefu.core import ratelimit

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/min" → (600, 60). An empty rate or 0 requests means no limit: (0, 0)."""
    if not rate:
        return 0, 0
    count, _slash, period = rate.partition("/")
    return int(count), PERIODS[period.strip() or "min"]


class WindowThrottle(BaseThrottle):
    setting = ""
    scope = ""

    def __init__(self):
        self._local = threading.local()

    def ident(self, request) -> str:
        raise NotImplementedError

    def rate(self, request) -> str:
        return getattr(settings, self.setting)

    def allow_request(self, request) -> bool:
        limit, period = parse_rate(self.rate(request))
        key = f"api:{self.scope}:{self.ident(request)}"
        wait = ratelimit.hit(key, limit, period)
        ratelimit.note_window(request, key, limit, period)  # a bulk call's items: ratelimit.charge
        self._local.wait = wait
        return wait is None

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


def _bearer(request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


class PerToken(WindowThrottle):
    """Each API token counts alone (KEFU_API_RATE_PER_TOKEN); a browser session counts per user
    (KEFU_API_RATE_PER_USER)."""

    setting = "KEFU_API_RATE_PER_TOKEN"
    scope = "token"

    def rate(self, request) -> str:
        return getattr(
            settings, self.setting if _bearer(request) is not None else "KEFU_API_RATE_PER_USER"
        )

    def ident(self, request) -> str:
        raw = _bearer(request)
        if raw is not None:
            return "t" + hashlib.sha256(raw.encode()).hexdigest()[:32]
        return f"u{request.user.pk}"


class PerAddress(WindowThrottle):
    """All calls from one address, whatever token they carry (behind a proxy: the address the
    server was told by the trusted proxy, FORWARDED_ALLOW_IPS)."""

    setting = "KEFU_API_RATE_PER_ADDRESS"
    scope = "address"

    def ident(self, request) -> str:
        return request.META.get("REMOTE_ADDR", "") or "unknown"
