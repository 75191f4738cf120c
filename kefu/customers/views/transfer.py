"""Import and export of the archive: upload, the job page (columns, progress, report, confirm), export."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kefu.accounts.roles import Perm
from kefu.core.bodies import accepts_upload
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.customers import selectors
from kefu.customers.models import ImportStatus
from kefu.customers.services.transfer import checking, columns, files, imports
from kefu.customers.states import IMPORT_FLOW, RUNNING
from kefu.exports.http import export_response

STATUS_BADGE = {
    ImportStatus.CHECKING: "bg-blue-lt",
    ImportStatus.CHECKED: "bg-orange-lt",
    ImportStatus.IMPORTING: "bg-blue-lt",
    ImportStatus.DONE: "bg-green-lt",
    ImportStatus.FAILED: "bg-red-lt",
    ImportStatus.CANCELLED: "bg-secondary-lt",
}


def _language(request) -> str:
    return getattr(request, "LANGUAGE_CODE", "")


@require_perm(Perm.ASSIGN_WORK)
@accepts_upload(lambda: files.MAX_FILE_BYTES)
def import_start(request):
    """The upload page, with the user's recent imports."""
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a .xlsx or .csv file to upload.")
        else:
            try:
                job = imports.start_import(
                    actor=request.user, upload=upload, language=_language(request)
                )
            except DomainError as refused:
                error = refused.message
            else:
                return redirect("customers:import_job", job_id=job.pk)
    jobs = list(selectors.visible_import_jobs(request.user)[:20])
    return render(
        request,
        "customers/import_start.html",
        {
            "error": error,
            "jobs": jobs,
            "badges": STATUS_BADGE,
            "columns": columns.COLUMNS,
        },
    )


def _mapping_rows(job) -> list[dict]:
    header = files.header_of(job)
    if not header:
        return []
    samples = header.get("samples", [])
    return [
        {
            "index": index,
            "title": title,
            "field": job.mapping.get(str(index), ""),
            "samples": [row[index] for row in samples if index < len(row) and row[index]][:3],
        }
        for index, title in enumerate(header.get("header", []))
    ]


@login_required
def import_job(request, job_id: int):
    """One import: progress while it runs, then the report, the columns and the confirm button.

    Visible to its creator and to managers; anyone else gets the same 404 as a missing job."""
    job = selectors.access_import_job(actor=request.user, job_id=job_id, request=request)
    if request.method == "POST":
        mapping = {
            key[4:]: value
            for key, value in request.POST.items()
            if key.startswith("col_") and value
        }
        try:
            imports.remap_import(
                actor=request.user, job=job, mapping=mapping, language=_language(request)
            )
        except DomainError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Checking again with the columns you chose."))
        return redirect("customers:import_job", job_id=job.pk)
    running = job.status in RUNNING
    if request.GET.get("part") == "progress":
        if not running:  # finished: reload the whole page to show the report
            response = HttpResponse("")
            response["HX-Refresh"] = "true"
            return response
        return render(
            request, "customers/import_progress.html", {"job": job, "badges": STATUS_BADGE}
        )
    allowed = {t.name for t in IMPORT_FLOW.allowed(job.status, actor=request.user, obj=job)}
    return render(
        request,
        "customers/import_job.html",
        {
            "job": job,
            "badges": STATUS_BADGE,
            "running": running,
            "columns": columns.COLUMNS,
            "mapping_rows": _mapping_rows(job) if not running else [],
            "can_recheck": "recheck" in allowed,
            "can_confirm": "confirm" in allowed and job.valid_rows > 0,
            "can_cancel": "cancel" in allowed,
            "unlisted_errors": max(job.error_rows - len(job.report), 0),
            "max_reported": checking.MAX_REPORTED_ROWS,
        },
    )


@login_required
@require_POST
def import_confirm(request, job_id: int):
    job = selectors.access_import_job(actor=request.user, job_id=job_id, request=request)
    try:
        expected = int(request.POST.get("valid_rows", ""))
    except ValueError:
        expected = -1
    try:
        job = imports.confirm_import(
            actor=request.user,
            job=job,
            valid_rows=expected,
            language=_language(request),
            request=request,
        )
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        if job.status == ImportStatus.DONE:
            messages.success(
                request,
                ngettext(
                    "%(count)s customer imported.",
                    "%(count)s customers imported.",
                    job.imported_rows,
                )
                % {"count": job.imported_rows},
            )
        elif job.status == ImportStatus.IMPORTING:
            messages.success(request, _("The import has started; this page shows when it is done."))
    return redirect("customers:import_job", job_id=job.pk)


@login_required
@require_POST
def import_cancel(request, job_id: int):
    job = selectors.access_import_job(actor=request.user, job_id=job_id, request=request)
    try:
        imports.cancel_import(actor=request.user, job=job)
    except DomainError as refused:
        messages.error(request, refused.message)
        return redirect("customers:import_job", job_id=job.pk)
    messages.success(request, _("The import is cancelled; nothing was imported."))
    return redirect("customers:import")


@login_required
def export(request):
    """The list as a file: the same filters as the list page (kept in the URL), masked, audited.
    The one export service decides who may (kefu/exports)."""
    return export_response(request, kind="customers")


urlpatterns = [
    path("import/", import_start, name="import"),
    path("import/<int:job_id>/", import_job, name="import_job"),
    path("import/<int:job_id>/confirm/", import_confirm, name="import_confirm"),
    path("import/<int:job_id>/cancel/", import_cancel, name="import_cancel"),
    path("export/", export, name="export"),
]
