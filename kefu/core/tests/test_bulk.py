"""core.bulk: ids and rows written in bulk, and the transaction they need, on SQLite and PostgreSQL.

These run in both CI modes (embedded SQLite and PostgreSQL); a test that needs one engine says so.
"""

import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from kefu.core.bulk import BulkTable, BulkWritePreconditionError, new_ids
from kefu.core.models import CalendarDay, TimelineEntry


def _entries(count: int, *, kind: str) -> int:
    """Write `count` timeline entries in bulk, inside one transaction; returns the first id."""
    now = timezone.now()
    table = BulkTable(TimelineEntry, now=now, varying=("id", "subject_id"), with_id=True)
    table.set(
        kind=kind,
        summary="bulk",
        subject_type=ContentType.objects.get_for_model(CalendarDay).pk,
        occurred_at=now,
    )
    with transaction.atomic():
        ids = new_ids(TimelineEntry, count)
        table.insert([table.row(id=pk, subject_id=str(pk)) for pk in ids])
    return ids[0]


@pytest.mark.django_db(transaction=True)
def test_bulk_writes_refuse_to_run_outside_a_transaction():
    with pytest.raises(BulkWritePreconditionError, match=r"transaction\.atomic"):
        new_ids(TimelineEntry, 3)
    table = BulkTable(TimelineEntry, now=timezone.now(), varying=("subject_id",))
    with pytest.raises(BulkWritePreconditionError):
        table.insert([table.row(subject_id="1")])
    assert TimelineEntry.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's transaction mode")
def test_on_sqlite_bulk_ids_need_immediate_transactions(monkeypatch):
    """A DEFERRED transaction takes the write lock only at its first write, so two importers could
    both read the same largest id; the allocator refuses to run in one."""
    options = {**connection.settings_dict["OPTIONS"], "transaction_mode": "DEFERRED"}
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    connection.close()  # the next connection begins its transactions DEFERRED
    try:
        with transaction.atomic():
            assert connection.transaction_mode == "DEFERRED"
            with pytest.raises(BulkWritePreconditionError, match="IMMEDIATE"):
                new_ids(TimelineEntry, 3)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_ids_given_in_bulk_never_collide_with_concurrent_writers():
    """Two bulk writers and an ORM writer at once: every id is given once, nobody fails."""
    errors: list[BaseException] = []

    def bulk(kind: str) -> None:
        try:
            for _ in range(5):
                _entries(200, kind=kind)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    def orm() -> None:
        try:
            subject = ContentType.objects.get_for_model(CalendarDay)
            for n in range(50):
                TimelineEntry.objects.create(
                    kind="orm", summary="one", subject_type=subject, subject_id=str(n)
                )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=bulk, args=("a",)),
        threading.Thread(target=bulk, args=("b",)),
        threading.Thread(target=orm),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert TimelineEntry.objects.filter(kind="a").count() == 1000
    assert TimelineEntry.objects.filter(kind="b").count() == 1000
    assert TimelineEntry.objects.filter(kind="orm").count() == 50
    assert len(set(TimelineEntry.objects.values_list("id", flat=True))) == 2050


@pytest.mark.django_db(transaction=True)
def test_ids_follow_the_largest_ever_given_even_after_a_delete():
    """SQLite's AUTOINCREMENT never reuses an id; PostgreSQL's sequence never goes back."""
    first = _entries(3, kind="a")
    TimelineEntry.objects.filter(id__gte=first).delete()
    again = _entries(2, kind="b")
    assert again >= first + 3
    later = TimelineEntry.objects.create(
        kind="orm",
        summary="one",
        subject_type=ContentType.objects.get_for_model(CalendarDay),
        subject_id="x",
    )
    assert later.pk > again + 1
