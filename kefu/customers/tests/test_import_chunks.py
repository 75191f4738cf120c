"""The import writes in chunks that let other writers in (issue 11.5): on SQLite the whole import
held the write lock (about 19 s for 100,000 rows), so an agent saving a customer waited for it, or
failed after the 10 s busy timeout. Runs in both modes; the waiting was seen on SQLite."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation

from conftest import sign_in
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.customers.models import Customer, ImportJob, ImportStatus
from kefu.customers.services import profiles
from kefu.customers.services.transfer import writing
from kefu.customers.tests.test_transfer import csv_bytes, upload_job

ROWS = 1500


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def a_file(rows: int) -> bytes:
    return csv_bytes([["姓名", "手机"], *[[f"客户{i}", f"138{i:08d}"] for i in range(rows)]])


@pytest.mark.django_db(transaction=True)
def test_another_writer_gets_in_while_a_long_import_runs(make_user, monkeypatch):
    monkeypatch.setattr(writing, "BATCH_SIZE", 50)  # 30 chunks: a long import in a test's time
    monkeypatch.setattr(writing, "MIN_BATCH", 50)
    monkeypatch.setattr(writing, "MAX_BATCH", 50)
    supervisor = make_user(Role.SUPERVISOR)
    agent = make_user(Role.AGENT)
    importer = sign_in(Client(), supervisor)
    saver = sign_in(Client(), agent)  # before the import: only the save is timed against it
    job = upload_job(importer, "big.csv", a_file(ROWS))
    # Each chunk takes at least 20 ms, so the 30 chunks outlast one save on a loaded machine (the
    # save waits for one chunk at most; without a floor a fast import could end first).
    write_chunk = writing._write_chunk

    def paced_chunk(*args, **kwargs):
        time.sleep(0.02)
        return write_chunk(*args, **kwargs)

    monkeypatch.setattr(writing, "_write_chunk", paced_chunk)
    assert job.valid_rows == ROWS
    finished = threading.Event()
    errors: list[BaseException] = []

    def confirm() -> None:  # the import runs in this request (Huey runs tasks at once in tests)
        try:
            response = importer.post(
                f"/customers/import/{job.pk}/confirm/", {"valid_rows": job.valid_rows}
            )
            assert response.status_code == 302
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection
            finished.set()

    thread = threading.Thread(target=confirm)
    thread.start()
    deadline = time.monotonic() + 60
    while not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.IMPORTING).exists():
        assert time.monotonic() < deadline and not finished.is_set(), "the import never started"
        time.sleep(0.01)

    # When: an agent saves a customer of their own while the import is writing.
    started = time.monotonic()
    response = saver.post(
        "/customers/new/",
        {
            "name": "来电客户",
            "gender": "female",
            "mobiles": "13912345678",
            "level": "regular",
            "source": "phone",
        },
    )
    waited = time.monotonic() - started
    during = ImportJob.objects.values_list("status", "processed_rows").get(pk=job.pk)
    thread.join(timeout=120)

    # Then: the agent's save went through before the import ended, and the import is whole.
    assert errors == []
    assert response.status_code == 302, response.content.decode()[:500]
    assert during[0] == ImportStatus.IMPORTING and during[1] < ROWS, (during, waited)
    job.refresh_from_db()
    assert (job.status, job.imported_rows, job.processed_rows) == (
        ImportStatus.DONE,
        ROWS,
        ROWS,
    )
    assert Customer.objects.count() == ROWS + 1
    assert Customer.objects.filter(name="来电客户", created_by=agent).exists()
    assert AuditEntry.objects.get(action=AuditAction.IMPORT).details == {
        "rows": ROWS,
        "skipped": 0,
    }


@pytest.mark.django_db(transaction=True)
def test_a_contact_point_taken_during_the_import_leaves_only_that_row_out(make_user, monkeypatch):
    """Between two chunks an agent captures a customer with a number further down the file: that
    row is left out and listed; every other row is imported."""
    monkeypatch.setattr(writing, "BATCH_SIZE", 10)
    monkeypatch.setattr(writing, "MIN_BATCH", 10)
    monkeypatch.setattr(writing, "MAX_BATCH", 10)
    supervisor = make_user(Role.SUPERVISOR)
    agent = make_user(Role.AGENT)
    importer = sign_in(Client(), supervisor)
    job = upload_job(importer, "a.csv", a_file(30))
    chunk = writing._write_chunk

    def meanwhile(writer, job_, batch):
        left_out = chunk(writer, job_, batch)
        if batch[0]["row"] == 2:  # after the first chunk
            profiles.create_customer(
                actor=agent,
                name="抢先登记",
                contacts=profiles.ContactPoints({"mobile": ["13800000025"]}),
            )
        return left_out

    monkeypatch.setattr(writing, "_write_chunk", meanwhile)

    importer.post(f"/customers/import/{job.pk}/confirm/", {"valid_rows": job.valid_rows})

    job.refresh_from_db()
    assert (job.status, job.imported_rows, job.error_rows) == (ImportStatus.DONE, 29, 1)
    assert [entry["row"] for entry in job.report] == [27]  # 客户25 is on row 27 (header on row 1)
    assert job.report[0]["errors"][0].startswith("未导入：")
    assert "抢先登记" in job.report[0]["errors"][0]
    assert not Customer.objects.filter(name="客户25").exists()
    assert Customer.objects.count() == 30  # 29 imported and the agent's
    page = importer.get(f"/customers/import/{job.pk}/").content.decode()
    assert "客户25" in page
