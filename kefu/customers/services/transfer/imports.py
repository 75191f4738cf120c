"""The import flow a user drives: upload (the dry run starts), choose columns and check again,
confirm "import the N valid rows", cancel. Each move goes through `states.IMPORT_FLOW`."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core.errors import Conflict, DomainError, PermissionRefused
from kefu.customers.models import ImportJob, ImportStatus
from kefu.customers.services.transfer.columns import mapping_problem
from kefu.customers.services.transfer.files import (
    pairs_file,
    remove_files,
    store_upload,
    stored_file,
    valid_rows_file,
)
from kefu.customers.services.transfer.tasks import check_import_task, import_rows_task
from kefu.customers.states import IMPORT_FLOW


def _require_import(actor: User) -> None:
    if not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("You do not have permission to do this."))


def start_import(*, actor: User, upload, language: str = "") -> ImportJob:
    """Store an uploaded file (anything with .name, .size and .chunks(), such as Django's
    UploadedFile) and queue its dry run. Refuses with ImportRefused before anything is kept."""
    _require_import(actor)
    file_name, relative = store_upload(upload)
    job = ImportJob.objects.create(
        created_by=actor, file_name=file_name, stored_path=relative, status=ImportStatus.CHECKING
    )
    check_import_task(job.pk, language or translation.get_language() or settings.LANGUAGE_CODE)
    return job


def remap_import(
    *, actor: User, job: ImportJob, mapping: dict[str, str], language: str = ""
) -> ImportJob:
    """Check the file again with the columns the user chose."""
    IMPORT_FLOW.check(job.status, "recheck", actor=actor, obj=job)
    mapping = {str(k): str(v) for k, v in mapping.items() if v}
    problem = mapping_problem(mapping)
    if problem:
        raise DomainError(problem)
    if not stored_file(job).exists():
        raise DomainError(_("The uploaded file is no longer available; upload it again."))
    valid_rows_file(job).unlink(missing_ok=True)
    pairs_file(job).unlink(missing_ok=True)
    job = _move(
        job,
        "recheck",
        actor=actor,
        mapping=mapping,
        total_rows=0,
        processed_rows=0,
        valid_rows=0,
        error_rows=0,
        imported_rows=0,
        report=[],
        message="",
    )
    check_import_task(job.pk, language or translation.get_language() or settings.LANGUAGE_CODE)
    return job


def confirm_import(
    *, actor: User, job: ImportJob, valid_rows: int, language: str = "", request=None
) -> ImportJob:
    """The user confirmed "import the N valid rows"; N must be what the check found."""
    IMPORT_FLOW.check(job.status, "confirm", actor=actor, obj=job)
    if job.valid_rows == 0:
        raise DomainError(_("No row can be imported; correct the file and upload it again."))
    if valid_rows != job.valid_rows:
        raise Conflict(
            _("The check has changed since you looked at it; review the report and confirm again.")
        )
    if not valid_rows_file(job).exists():
        raise DomainError(_("The uploaded file is no longer available; upload it again."))
    job = _move(job, "confirm", actor=actor, processed_rows=0, message="")
    import_rows_task(
        job.pk,
        actor.pk,
        language or translation.get_language() or settings.LANGUAGE_CODE,
        request.META.get("REMOTE_ADDR", "") if request is not None else "",
    )
    job.refresh_from_db()
    return job


def cancel_import(*, actor: User, job: ImportJob) -> ImportJob:
    IMPORT_FLOW.check(job.status, "cancel", actor=actor, obj=job)
    job = _move(job, "cancel", actor=actor, message="")
    remove_files(job)
    return job


def _move(job: ImportJob, name: str, *, actor: User, **changes) -> ImportJob:
    """Make the transition only if nobody moved the job meanwhile (two tabs, two people)."""
    transition = IMPORT_FLOW.check(job.status, name, actor=actor, obj=job)
    if not ImportJob.objects.filter(pk=job.pk, status=job.status).update(
        status=transition.target, **changes
    ):
        raise Conflict(_("This import was changed meanwhile; reload the page."))
    job.refresh_from_db()
    return job
