"""The import's background work (Huey): the dry run after an upload, the writing after the user
confirms. Each ends the job as checked/done or failed with a message; nothing is ever half done."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from kefu.accounts.models import User
from kefu.customers.models import ImportJob, ImportStatus
from kefu.customers.services.transfer.checking import Stopped, check_file
from kefu.customers.services.transfer.files import pairs_file, remove_files, valid_rows_file
from kefu.customers.services.transfer.readers import ImportRefused
from kefu.customers.services.transfer.writing import ImportConflict, write_rows

logger = logging.getLogger(__name__)


def fail(job_id: int, message: str, *, from_status: str) -> None:
    ImportJob.objects.filter(pk=job_id, status=from_status).update(
        status=ImportStatus.FAILED, message=message[:300]
    )


@db_task()
def check_import_task(job_id: int, language: str = "") -> None:
    with translation.override(language or settings.LANGUAGE_CODE):
        run_check(job_id=job_id)


def run_check(*, job_id: int) -> None:
    """The dry run. Writes nothing but the job's report and the list of valid rows beside the file."""
    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.CHECKING).first()
    if job is None:
        return
    try:
        check_file(job)
    except Stopped:
        return
    except ImportRefused as refused:
        valid_rows_file(job).unlink(missing_ok=True)
        pairs_file(job).unlink(missing_ok=True)
        fail(job.pk, refused.message, from_status=ImportStatus.CHECKING)
    except Exception:
        logger.exception("import %s: the check failed", job.pk)
        valid_rows_file(job).unlink(missing_ok=True)
        pairs_file(job).unlink(missing_ok=True)
        fail(
            job.pk,
            _(
                "The check stopped because of an unexpected error; nothing was imported. Please try again."
            ),
            from_status=ImportStatus.CHECKING,
        )


@db_task()
def import_rows_task(job_id: int, actor_id: int, language: str = "", ip_address: str = "") -> None:
    with translation.override(language or settings.LANGUAGE_CODE):
        run_import(job_id=job_id, actor_id=actor_id, ip_address=ip_address)


def run_import(*, job_id: int, actor_id: int, ip_address: str = "") -> None:
    """Write every row the check passed, chunk by chunk (writing.write_rows). A failure before the
    first chunk leaves nothing written; a failure later keeps the chunks already written, says how
    many, and the job can be checked again for the rest (the rows written then count as duplicates)."""
    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.IMPORTING).first()
    actor = User.objects.filter(pk=actor_id).first()
    if job is None:
        return
    try:
        count = write_rows(job, actor, ip_address=ip_address)
    except ImportConflict as conflict:
        fail(job.pk, conflict.message, from_status=ImportStatus.IMPORTING)
    except Exception:
        logger.exception("import %s: writing failed", job.pk)
        written = (
            ImportJob.objects.filter(pk=job.pk).values_list("imported_rows", flat=True).first()
        )
        fail(
            job.pk,
            _(
                "The import stopped because of an unexpected error; nothing was imported. Please try again."
            )
            if not written
            else _(
                "The import stopped because of an unexpected error after %(count)s rows were "
                "imported. Check the file again to import the others (the rows already imported "
                "are then reported as duplicates)."
            )
            % {"count": written},
            from_status=ImportStatus.IMPORTING,
        )
    else:
        logger.info("import %s: %d customers imported", job.pk, count)
        remove_files(job)
