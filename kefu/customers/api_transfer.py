"""Customer import API: upload a file (the dry run starts at once), read the job, confirm it.

Mounted by kefu/api as `api.add_router("", transfer_router)`; the paths carry their /customers prefix.
"""

import datetime as dt

from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from kefu.core.bodies import accepts_upload
from kefu.customers import selectors
from kefu.customers.services.transfer import imports
from kefu.customers.services.transfer.files import MAX_FILE_BYTES

router = Router(tags=["customers"])


class RowErrorOut(Schema):
    row: int
    name: str
    errors: list[str]


class ImportJobOut(Schema):
    id: int
    file_name: str
    status: str
    status_label: str
    created_at: dt.datetime
    total_rows: int
    processed_rows: int
    valid_rows: int
    error_rows: int
    imported_rows: int
    message: str
    mapping: dict[str, str]
    errors: list[RowErrorOut]


class ConfirmIn(Schema):
    valid_rows: int  # the number of valid rows the report showed: "import these N rows"


def job_out(job) -> dict:
    return {
        "id": job.pk,
        "file_name": job.file_name,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "created_at": job.created_at,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "valid_rows": job.valid_rows,
        "error_rows": job.error_rows,
        "imported_rows": job.imported_rows,
        "message": job.message,
        "mapping": {str(k): str(v) for k, v in (job.mapping or {}).items()},
        "errors": [
            {"row": e.get("row", 0), "name": e.get("name", ""), "errors": e.get("errors", [])}
            for e in job.report
        ],
    }


@router.post(
    "/customers/imports",
    response={201: ImportJobOut},
    summary="Upload a .xlsx or .csv file and check it (dry run)",
)
@accepts_upload(lambda: MAX_FILE_BYTES)
def create_import(request, file: File[UploadedFile]):
    job = imports.start_import(
        actor=request.user, upload=file, language=getattr(request, "LANGUAGE_CODE", "")
    )
    job.refresh_from_db()
    return Status(201, job_out(job))


@router.get(
    "/customers/imports/{job_id}",
    response=ImportJobOut,
    summary="An import: status, counts and the rows with errors",
)
def get_import(request, job_id: int):
    return job_out(selectors.access_import_job(actor=request.user, job_id=job_id, request=request))


@router.post(
    "/customers/imports/{job_id}/confirm",
    response=ImportJobOut,
    summary="Import the valid rows (in short chunks; nothing if the archive changed since the check)",
)
def confirm_import(request, job_id: int, body: ConfirmIn):
    job = selectors.access_import_job(actor=request.user, job_id=job_id, request=request)
    job = imports.confirm_import(
        actor=request.user,
        job=job,
        valid_rows=body.valid_rows,
        language=getattr(request, "LANGUAGE_CODE", ""),
        request=request,
    )
    return job_out(job)
