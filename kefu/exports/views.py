"""Export pages: a large export's progress and download (its owner only), the user's own exports,
and the full-value export's confirmation (its own right, a reason, a confirmation)."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_http_methods

from kefu.core.errors import DomainError, PermissionRefused
from kefu.exports import building, selectors, services
from kefu.exports.http import answer
from kefu.exports.models import ExportStatus
from kefu.exports.registry import back_url
from kefu.exports.tasks import KEEP_HOURS

STATUS_BADGE = {
    ExportStatus.QUEUED: "bg-blue-lt",
    ExportStatus.BUILDING: "bg-blue-lt",
    ExportStatus.DONE: "bg-green-lt",
    ExportStatus.FAILED: "bg-red-lt",
    ExportStatus.EXPIRED: "bg-secondary-lt",
}
RUNNING = frozenset({ExportStatus.QUEUED, ExportStatus.BUILDING})


def _context(job) -> dict:
    kind = services.get_kind(job.kind)
    return {
        "job": job,
        "label": kind.label if kind else job.kind,
        "badges": STATUS_BADGE,
        "running": job.status in RUNNING,
        "keep_hours": KEEP_HOURS,
    }


@login_required
def my_exports(request):
    jobs = list(selectors.my_export_jobs(request.user)[:20])
    return render(
        request,
        "exports/list.html",
        {"rows": [_context(job) for job in jobs], "badges": STATUS_BADGE, "keep_hours": KEEP_HOURS},
    )


@login_required
def job_page(request, job_id: int):
    """One large export: progress while it is built, then the download link. Its owner only."""
    job = selectors.access_export_job(actor=request.user, job_id=job_id, request=request)
    context = _context(job)
    if request.GET.get("part") == "progress":
        if not context["running"]:  # finished: reload the whole page to show the download
            response = HttpResponse("")
            response["HX-Refresh"] = "true"
            return response
        return render(request, "exports/progress.html", context)
    return render(request, "exports/job.html", context)


@login_required
def download(request, job_id: int):
    job = selectors.access_export_job(actor=request.user, job_id=job_id, request=request)
    path = building.stored_file(job) if job.stored_path else None
    if job.status != ExportStatus.DONE or path is None or not path.exists():
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=job.file_name,
        content_type=building.CONTENT_TYPES.get(job.fmt, "application/octet-stream"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def full_export(request, kind: str):
    """The full-value export of `kind` with the filters of the page it came from: who may, how
    many rows and which values, then a reason and a confirmation."""
    export_kind = services.get_kind(kind)
    if export_kind is None:
        raise Http404
    query = request.POST.get("query", "") if request.method == "POST" else request.GET.urlencode()
    query_dict = QueryDict(query)
    filters = export_kind.parse_filters(query_dict)
    fmt = request.POST.get("format") or query_dict.get("format", "")
    fmt = fmt if fmt in export_kind.formats else export_kind.formats[0]
    error, reason, confirmed = "", "", False
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        confirmed = request.POST.get("confirm") == "1"
        try:
            result = services.request_export(
                actor=request.user,
                kind=kind,
                filters=filters,
                fmt=fmt,
                full=True,
                reason=reason,
                confirmed=confirmed,
                request=request,
            )
        except PermissionRefused:
            raise
        except DomainError as refused:
            error = refused.message
        else:
            return answer(result)
    try:
        prepared = services.prepare_export(
            actor=request.user, kind=export_kind, filters=filters, full=True, request=request
        )
        count, too_many = prepared.count, ""
    except PermissionRefused:
        raise
    except DomainError as refused:
        count, too_many = None, refused.message
    return render(
        request,
        "exports/full.html",
        {
            "kind": export_kind,
            "count": count,
            "too_many": too_many,
            "query": query,
            "format": fmt,
            "error": error,
            "reason": reason,
            "confirmed": confirmed,
            "back_url": back_url(export_kind, query_dict),
            "personal_labels": [c.label for c in export_kind.personal_columns],
            "inline_max": services.INLINE_MAX_ROWS,
            "reason_max": services.REASON_MAX_LENGTH,
        },
        status=400 if error else 200,
    )


app_name = "exports"
urlpatterns = [
    path("", my_exports, name="mine"),
    path("<int:job_id>/", job_page, name="job"),
    path("<int:job_id>/download/", download, name="download"),
    path("full/<slug:kind>/", full_export, name="full"),
]
