"""Values kept in each process's memory until their source changes (issue 11.3: every ticket
creation read the time-limit policies and the calendar's overrides again, ~a tenth of its time).

    POLICIES = ProcessCache("tickets.sla-policies", load=lambda: ...)
    POLICIES.get()          # the kept value, or load() again if the source changed since
    POLICIES.changed()      # from the source's post_save/post_delete (or a service after .update())

A change is seen by every process at once: `changed()` writes a new random stamp under the cache's
key in Django's cache (Redis when scaled, shared by every process; in embedded mode the one process's
memory), and `get()` trusts its value only while the stamp it was loaded under is still there. The
stamp is changed when the change is made and again when it commits, so a process that loaded the
old rows in between loads again. An evicted stamp counts as a change.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

_all: list[ProcessCache[object]] = []


class ProcessCache(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T]):
        self.key = f"process-cache:{name}"
        self.load = load
        self._held: tuple[str, T] | None = None
        self._lock = threading.Lock()
        _all.append(self)  # type: ignore[arg-type]

    def get(self) -> T:
        stamp = cache.get(self.key)
        if stamp is None:
            stamp = secrets.token_hex(8)
            if not cache.add(self.key, stamp, timeout=None):
                stamp = cache.get(self.key) or stamp
        held = self._held
        if held is not None and held[0] == stamp:
            return held[1]
        value = self.load()  # read after the stamp: a change after this point changes the stamp
        with self._lock:
            self._held = (stamp, value)
        return value

    def changed(self, **_signal: object) -> None:
        """The source changed: every process loads it again (now, and once the change commits)."""
        self._stamp()
        transaction.on_commit(self._stamp, robust=True)

    def _stamp(self) -> None:
        self._held = None
        cache.set(self.key, secrets.token_hex(8), timeout=None)

    def forget(self) -> None:
        """This process's value only (tests: a rolled-back test's rows must not be kept)."""
        self._held = None


def forget_all() -> None:
    for kept in _all:
        kept.forget()
