"""Django's SQLite backend, with the process's writers taking turns at a lock of their own.

SQLite lets one transaction write at a time; kefu begins every transaction IMMEDIATE (settings), so
a second writer waits at BEGIN in SQLite's busy handler, which sleeps and polls (1, 2, 5, 10 … up to
100 ms a try) and so starts late after the first commits. The web worker threads, the background
worker's threads and the chat writer of one `kefu serve` process all write, so in process they wait
at a lock instead and start the moment the writer before them commits or rolls back
(bench/README.md, "Pages and API through long-lived worker threads"). Another process (a command, a
second server) still meets SQLite's busy handler; a thread that waits longer than SQLite itself
would (the busy_timeout) goes on to SQLite without the lock, which then answers as before.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.db.backends.sqlite3 import base

_slots: dict[str, threading.Lock] = {}
_slots_lock = threading.Lock()


def write_slot(name: str) -> threading.Lock:
    """The lock the writers of the database file `name` in this process take turns at."""
    with _slots_lock:
        return _slots.setdefault(name, threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    _held_slot: threading.Lock | None = None  # the lock taken, released whatever NAME is by then

    def _start_transaction_under_autocommit(self) -> None:
        slot = write_slot(str(self.settings_dict["NAME"]))
        # As long as SQLite itself would wait (PRAGMA busy_timeout), then on to SQLite.
        if slot.acquire(timeout=settings.SQLITE_BUSY_TIMEOUT_MS / 1000):
            self._held_slot = slot
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in django-stubs
        except BaseException:
            self._give_write_slot()
            raise

    def _give_write_slot(self) -> None:
        slot, self._held_slot = self._held_slot, None
        if slot is not None:
            slot.release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # not in django-stubs
        finally:
            self._give_write_slot()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # not in django-stubs
        finally:
            self._give_write_slot()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # not in django-stubs
        finally:
            self._give_write_slot()
