"""Writing the rows a check passed: customers, contact points, tags and one timeline entry each, with
core's bulk writer (one prepared INSERT or COPY per table and batch instead of the ORM)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from itertools import islice
from types import SimpleNamespace

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.core.bulk import BulkTable, new_ids
from kefu.core.errors import DomainError
from kefu.core.events import emit
from kefu.core.models import TimelineEntry
from kefu.customers.documents import document_of, index_documents
from kefu.customers.events import CustomersImported
from kefu.customers.models import ContactIdentity, Customer, ImportJob, ImportStatus, Tag
from kefu.customers.services.profiles import completeness_of
from kefu.customers.services.transfer.checking import (
    MAX_REPORTED_ROWS,
    taken_contact_points,
    taken_message,
)
from kefu.customers.services.transfer.columns import PROFILE_COLUMNS
from kefu.customers.services.transfer.files import pairs_file, valid_rows_file

BATCH_SIZE = 1_000  # rows in the first chunk; each chunk is one short transaction
CHUNK_SECONDS = 0.5  # what a chunk should take (the next chunk's size follows the last one's time)
MIN_BATCH, MAX_BATCH = 100, 10_000
SQLITE_PAUSE = 0.05  # seconds between chunks on SQLite, so waiting writers get the lock
CHECK_SIZE = 2_000  # contact points per look-up when checking they are still free


class ImportConflict(DomainError):
    """Something changed in the archive between the check and the import."""


def _read_valid_rows(job: ImportJob) -> Iterator[dict]:
    with valid_rows_file(job).open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def _conflict_message(row: int, pair: tuple[str, str], taken) -> str:
    return _(
        "Since the check, row %(row)s changed: %(reason)s Nothing was imported; check the file "
        "again to see which rows can still be imported."
    ) % {"row": row, "reason": taken_message(pair, *taken[pair])}


def _pairs_of_valid_rows(job: ImportJob) -> Iterator[tuple[int, str, str]]:
    """(row, kind, value) of every contact point of the valid rows, from the check's pairs file
    (quick to read), or from the valid rows themselves for a job checked before it existed."""
    path = pairs_file(job)
    if path.exists():
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                row, kind, value = line.rstrip("\n").split("\t")
                yield int(row), kind, value
        return
    for item in _read_valid_rows(job):
        for kind, value in item["pairs"]:
            yield item["row"], kind, value


def check_still_free(job: ImportJob) -> None:
    """Before anything is written: no contact point of the file may have been given to another
    customer since the check. Raises ImportConflict naming the first row that changed."""
    pairs = _pairs_of_valid_rows(job)
    while part := list(islice(pairs, CHECK_SIZE)):
        taken = taken_contact_points((kind, value) for _row, kind, value in part)
        for row, kind, value in part if taken else ():
            if (kind, value) in taken:
                raise ImportConflict(_conflict_message(row, (kind, value), taken))


class _Writer:
    """The bulk INSERTs of one import: customers, contact points, tag links, timeline entries."""

    def __init__(self, job: ImportJob, actor: User):
        now = timezone.now()
        self.job = job
        self.customers = BulkTable(
            Customer, now=now, varying=("id", *PROFILE_COLUMNS, "completeness"), with_id=True
        )
        self.customers.set(created_by=actor.pk)
        self.contact_points = BulkTable(
            ContactIdentity, now=now, varying=("customer_id", "kind", "value")
        )
        self.tag_links = BulkTable(
            Customer.tags.through, now=now, varying=("customer_id", "tag_id")
        )
        self.timeline = BulkTable(
            TimelineEntry, now=now, varying=("customer_id", "subject_id", "data")
        )
        self.timeline.set(
            kind="customers.imported",
            actor=actor.pk,
            subject_type=ContentType.objects.get_for_model(Customer).pk,
            summary=(_("Imported from the file %(file)s") % {"file": job.file_name})[:300],
        )
        self.data_field = TimelineEntry._meta.get_field("data")
        self.tag_ids: dict[str, int] = {}

    def write(self, batch: list[dict]) -> None:
        """Call inside the chunk's transaction."""
        if not batch:
            return
        ids = new_ids(Customer, len(batch))
        rows = list(zip(ids, batch, strict=True))
        self.customers.insert(
            [
                self.customers.row(
                    id=pk,
                    **item["profile"],
                    completeness=completeness_of(SimpleNamespace(**item["profile"])),
                )
                for pk, item in rows
            ]
        )
        self.contact_points.insert(
            [
                self.contact_points.row(customer_id=pk, kind=kind, value=value)
                for pk, item in rows
                for kind, value in item["pairs"]
            ]
        )
        wanted = {tag for item in batch for tag in item["tags"]} - self.tag_ids.keys()
        if wanted:
            self.tag_ids.update(Tag.objects.filter(name__in=wanted).values_list("name", "id"))
            missing = [Tag(name=name) for name in sorted(wanted - self.tag_ids.keys())]
            Tag.objects.bulk_create(missing, ignore_conflicts=True)  # another import may add one
            if missing:
                self.tag_ids.update(
                    Tag.objects.filter(name__in=[t.name for t in missing]).values_list("name", "id")
                )
        self.tag_links.insert(
            [
                self.tag_links.row(customer_id=pk, tag_id=self.tag_ids[tag])
                for pk, item in rows
                for tag in item["tags"]
            ]
        )
        index_documents(  # from the rows as written: no read of the customers again
            {pk: document_of(item["profile"], (v for _k, v in item["pairs"])) for pk, item in rows}
        )
        self.timeline.insert(
            [
                self.timeline.row(
                    customer_id=pk,
                    subject_id=str(pk),
                    data=self.data_field.get_db_prep_save(
                        {"import_job": self.job.pk, "row": item["row"]}, connection
                    ),
                )
                for pk, item in rows
            ]
        )


def _write_chunk(writer: _Writer, job: ImportJob, batch: list[dict]) -> list[dict]:
    """One chunk in its own short transaction, with the job's progress in the same transaction (so
    a resumed import starts after the last chunk that committed). Rows whose contact point another
    customer took during the import are left out and returned as report entries."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                taken = taken_contact_points(
                    tuple(pair) for item in batch for pair in item["pairs"]
                )
                keep, left_out = [], []
                for item in batch:
                    clash = next((tuple(p) for p in item["pairs"] if tuple(p) in taken), None)
                    if clash is None:
                        keep.append(item)
                    else:
                        left_out.append(
                            {
                                "row": item["row"],
                                "name": item["profile"].get("name", ""),
                                "errors": [
                                    _("Not imported: %(reason)s")
                                    % {"reason": taken_message(clash, *taken[clash])}
                                ],
                            }
                        )
                writer.write(keep)
                if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.IMPORTING).update(
                    processed_rows=F("processed_rows") + len(batch),
                    imported_rows=F("imported_rows") + len(keep),
                ):
                    raise ImportConflict(_("This import was changed meanwhile; reload the page."))
            return left_out
        except IntegrityError:  # PostgreSQL: a contact point committed by another session since
            if attempt == 2:  # our look-up; look again and leave that row out
                raise
            writer.tag_ids.clear()  # tags created in the rolled-back chunk are gone
    return []  # not reached


def write_rows(job: ImportJob, actor: User | None, *, ip_address: str) -> int:
    """Write the rows the check passed, in chunks of BATCH_SIZE, each in a short transaction of its
    own, so other writers get in between (SQLite: the write lock is held for one chunk, not for the
    whole file). Nothing is written if a contact point was taken between the check and the confirm
    (ImportConflict); one taken during the import leaves its row out, listed in the report. Resumes
    after the chunks already committed (`processed_rows`). Returns the number of customers written."""
    if actor is None or not actor.has_perm(Perm.ASSIGN_WORK):
        raise ImportConflict(_("You do not have permission to do this."))
    if job.processed_rows == 0:
        check_still_free(job)
    writer = _Writer(job, actor)
    left_out: list[dict] = []
    rows = _read_valid_rows(job)
    for _done in range(job.processed_rows):  # committed by an earlier run of this import
        next(rows, None)
    size = BATCH_SIZE
    while batch := list(islice(rows, size)):
        started = time.monotonic()
        left_out += _write_chunk(writer, job, batch)
        took = time.monotonic() - started
        # About CHUNK_SECONDS per chunk, whatever the machine's speed: the lock is held that long.
        size = max(MIN_BATCH, min(MAX_BATCH, round(size * CHUNK_SECONDS / max(took, 0.001))))
        if connection.vendor == "sqlite":
            # A writer waiting for the lock sleeps in SQLite's busy handler (1, 2, 5 … 50 ms, then
            # 100 ms at a time); without a pause this loop would take the lock back before it wakes.
            time.sleep(SQLITE_PAUSE)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportStatus.IMPORTING:
            raise ImportConflict(_("This import was changed meanwhile; reload the page."))
        report = (job.report + left_out)[:MAX_REPORTED_ROWS]
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.DONE,
            error_rows=job.error_rows + len(left_out),
            report=report,
            message="",
        )
        count = job.imported_rows
        # The audit row takes the address from a request; the confirming request's is passed along.
        origin = SimpleNamespace(META={"REMOTE_ADDR": ip_address}) if ip_address else None
        audit(
            AuditAction.IMPORT,
            actor=actor,
            obj=job,
            object_repr=job.file_name,
            request=origin,
            details={"rows": count, "skipped": job.error_rows + len(left_out)},
        )
        emit(CustomersImported(job_id=job.pk, count=count, imported_by_id=actor.pk))
    return count
