"""The process's SQLite writers take turns at a lock (kefu/core/sqlite): a writer waiting for
another thread's transaction starts when that one ends, whether it commits, rolls back or its
connection closes."""

import threading

import pytest
from django.db import connection, connections, transaction

from kefu.core.models import CalendarDay
from kefu.core.sqlite.base import write_slot

pytestmark = [
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's one writer at a time"),
    pytest.mark.django_db(transaction=True),  # other threads write and must see the commits
]


def _slot():
    return write_slot(str(connection.settings_dict["NAME"]))


def _free() -> bool:
    slot = _slot()
    if slot.acquire(blocking=False):
        slot.release()
        return True
    return False


def test_a_transaction_holds_the_slot_until_it_commits_or_rolls_back():
    with transaction.atomic():
        assert not _free()
        with transaction.atomic():  # a savepoint: still the one transaction
            assert not _free()
        assert not _free()
    assert _free()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        CalendarDay.objects.create(date="2026-12-31", kind="holiday", name="跨年")
        1 / 0  # noqa: B018
    assert _free()
    assert not CalendarDay.objects.filter(date="2026-12-31").exists()  # rolled back


def test_a_second_writer_waits_at_the_slot_and_writes_after_the_first_commits():
    """Even when SQLite itself would not wait at all (busy_timeout 0: "database is locked" at once),
    the second writer of the process waits its turn and writes."""
    began = threading.Event()
    done: list[str] = []

    def second_writer():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 0")
        began.set()
        try:
            with transaction.atomic():
                CalendarDay.objects.create(date="2027-01-02", kind="workday", name="调休")
            done.append("written")
        finally:
            connections.close_all()

    with transaction.atomic():
        CalendarDay.objects.create(date="2027-01-01", kind="holiday", name="元旦")
        writer = threading.Thread(target=second_writer)
        writer.start()
        began.wait(5)
        writer.join(0.3)
        assert writer.is_alive() and not done  # waiting for this transaction to end
    writer.join(10)
    assert done == ["written"]
    assert set(CalendarDay.objects.values_list("name", flat=True)) >= {"元旦", "调休"}
    assert _free()


def test_a_connection_closed_inside_its_transaction_gives_the_slot_back():
    def abandoned():
        transaction.atomic().__enter__()  # a thread that dies mid-transaction…
        connection.close()  # …and whose connection is closed (request_finished, thread end)

    thread = threading.Thread(target=abandoned)
    thread.start()
    thread.join(10)
    assert _free()


def test_a_connection_keeps_a_page_cache_for_large_archives():
    """SQLite's default 2 MB cache held too little of the lists' indexes at 1,000,000 rows for a
    kept connection to read them from its own cache (bench/README.md)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == -20 * 1024  # KiB: KEFU_SQLITE_CACHE_MB's default
