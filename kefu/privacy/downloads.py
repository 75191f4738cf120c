"""The copy's download, the same for the page and the API: its requester only (the caller loaded
it through selectors.access_export), audited, a 404 once its file is gone."""

from django.http import FileResponse, Http404

from kefu.accounts.http import AuthenticatedRequest
from kefu.privacy import services
from kefu.privacy.models import DataExport


def zip_response(request: AuthenticatedRequest, export: DataExport) -> FileResponse:
    path = services.export_path(export)
    if path is None:
        raise Http404
    services.record_download(actor=request.user, export=export, request=request)
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"personal-data-{export.customer_id}-{export.pk}.zip",
        content_type="application/zip",
    )
