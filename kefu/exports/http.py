"""How a page answers an export: the file, or the page of a large export being built. Every app's
export view calls `export_response`, so every export answers the same way."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from kefu.accounts.http import AuthenticatedRequest
from kefu.core.errors import DomainError, PermissionRefused
from kefu.exports import services
from kefu.exports.models import ExportJob
from kefu.exports.registry import back_url


def answer(result) -> FileResponse | HttpResponseRedirect:
    if isinstance(result, ExportJob):
        return redirect("exports:job", job_id=result.pk)
    return FileResponse(
        result.file, as_attachment=True, filename=result.file_name, content_type=result.content_type
    )


def export_response(
    request: AuthenticatedRequest,
    *,
    kind: str,
    filters: dict[str, Any] | None = None,
    fmt: str = "",
) -> FileResponse | HttpResponseRedirect:
    """The default (masked) export of `kind` for the signed-in user. `filters` default to what the
    kind reads from the query string. A refusal propagates (403 page); a message (too many rows)
    goes back to the page the export was asked from."""
    export_kind = services.kind_named(kind)
    if filters is None:
        filters = export_kind.parse_filters(request.GET)
    try:
        result = services.request_export(
            actor=request.user,
            kind=kind,
            filters=filters,
            fmt=fmt or request.GET.get("format", ""),
            request=request,
        )
    except PermissionRefused:
        raise
    except DomainError as refused:
        messages.error(request, refused.message)
        return redirect(back_url(export_kind, request.GET))
    if isinstance(result, ExportJob):
        messages.success(
            request, _("The export is being built; this page shows when it can be downloaded.")
        )
    return answer(result)
