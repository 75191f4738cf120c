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


class SharedStamp:
    """A value in Django's cache (Redis when scaled) that changes whenever its source changes: what
    a process kept while it read one stamp is trusted only while `current()` still returns it. The
    one per-process invalidation of kefu (ProcessCache below, the API's verified tokens in
    accounts.services). A random integer, compared as it is stored: any other value another process
    or `cache.incr` puts there counts as a change too; an evicted stamp is replaced by a new random
    one, which counts as a change."""

    def __init__(self, key: str):
        self.key = key

    def current(self) -> object:
        stamp = cache.get(self.key)
        if stamp is None:
            stamp = _random_stamp()
            if not cache.add(self.key, stamp, timeout=None):
                stamp = cache.get(self.key, stamp)
        return stamp

    def change(self) -> None:
        """A new stamp now (what processes hold under the old one is dropped on their next read)."""
        cache.set(self.key, _random_stamp(), timeout=None)

    def change_now_and_on_commit(self, then: Callable[[], None] | None = None) -> None:
        """A new stamp now and again once the change commits, so a process that read the old rows
        in between reads again; `then` (a process's own forgetting) runs with each."""

        def change() -> None:
            self.change()
            if then is not None:
                then()

        change()
        transaction.on_commit(change, robust=True)


def _random_stamp() -> int:
    return secrets.randbits(62)


class ProcessCache(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T]):
        self.stamp = SharedStamp(f"process-cache:{name}")
        self.key = self.stamp.key
        self.load = load
        self._held: tuple[object, T] | None = None
        self._lock = threading.Lock()
        _all.append(self)  # type: ignore[arg-type]

    def get(self) -> T:
        stamp = self.stamp.current()
        held = self._held
        if held is not None and held[0] == stamp:
            return held[1]
        value = self.load()  # read after the stamp: a change after this point changes the stamp
        with self._lock:
            self._held = (stamp, value)
        return value

    def changed(self, **_signal: object) -> None:
        """The source changed: every process loads it again (now, and once the change commits)."""
        self.stamp.change_now_and_on_commit(then=self.forget)

    def forget(self) -> None:
        """This process's value only (tests: a rolled-back test's rows must not be kept)."""
        self._held = None


def forget_all() -> None:
    for kept in _all:
        kept.forget()
