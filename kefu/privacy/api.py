"""Personal-data rights API: copies, erasure requests, retention rules and their dry run. The same
selectors and services as the pages."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.urls import reverse
from ninja import Router, Status

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.customers.selectors import access_customer
from kefu.privacy import selectors, services
from kefu.privacy.downloads import zip_response
from kefu.privacy.models import DataExport, ErasureRequest
from kefu.privacy.schemas import (
    ErasureIn,
    ErasureOut,
    ExportIn,
    ExportOut,
    PurgeOut,
    RetentionIn,
    RetentionOut,
)

router = Router(tags=["privacy"])


def _need(request: AuthenticatedRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def export_out(export: DataExport) -> dict[str, Any]:
    live = services.export_path(export) is not None
    return {
        "id": export.pk,
        "customer_id": export.customer_id,
        "created_at": export.created_at,
        "size": export.size,
        "download_url": reverse("api:privacy_export_file", args=[export.pk]) if live else None,
    }


def erasure_out(erasure: ErasureRequest) -> dict[str, Any]:
    return {
        "id": erasure.pk,
        "customer_id": erasure.customer_id,
        "state": erasure.state,
        "blocked_reason": erasure.blocked_reason,
        "counts": erasure.counts,
        "created_at": erasure.created_at,
        "completed_at": erasure.completed_at,
    }


@router.post("/privacy/exports", response={201: ExportOut})
def create_export(request: AuthenticatedRequest, payload: ExportIn) -> Status[dict[str, Any]]:
    """A zip of everything held about the customer, for the caller alone (audited)."""
    _need(request, Perm.EXPORT_CUSTOMER_DATA)
    customer = access_customer(actor=request.user, customer_id=payload.customer_id, request=request)
    export = services.export_customer_data(
        actor=request.user, customer=customer, reason=payload.reason, request=request
    )
    return Status(201, export_out(export))


@router.get("/privacy/exports", response=list[ExportOut])
def list_exports(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    """The caller's own copies, newest first (at most 100)."""
    _need(request, Perm.EXPORT_CUSTOMER_DATA)
    return [export_out(e) for e in selectors.my_exports(request.user)[:100]]


@router.get("/privacy/exports/{export_id}", response=ExportOut)
def get_export(request: AuthenticatedRequest, export_id: int) -> dict[str, Any]:
    _need(request, Perm.EXPORT_CUSTOMER_DATA)
    return export_out(selectors.access_export(actor=request.user, export_id=export_id))


@router.get(
    "/privacy/exports/{export_id}/file",
    url_name="privacy_export_file",
    response={200: None},
    openapi_extra={
        "responses": {200: {"content": {"application/zip": {"schema": {"type": "string"}}}}}
    },
)
def export_file(request: AuthenticatedRequest, export_id: int) -> FileResponse:
    """The zip, for the one who asked for it (anyone else: 404). Audited."""
    _need(request, Perm.EXPORT_CUSTOMER_DATA)
    export = selectors.access_export(actor=request.user, export_id=export_id)
    return zip_response(request, export)


@router.post("/privacy/erasures", response={201: ErasureOut})
def create_erasure(request: AuthenticatedRequest, payload: ErasureIn) -> Status[dict[str, Any]]:
    """Erase the customer's personal data; 409 with the reason while an open complaint blocks it,
    unless `wait_for_blockers` queues it until the complaint is closed."""
    _need(request, Perm.ERASE_CUSTOMER_DATA)
    customer = access_customer(actor=request.user, customer_id=payload.customer_id, request=request)
    erasure = services.request_erasure(
        actor=request.user,
        customer=customer,
        reason=payload.reason,
        wait_for_blockers=payload.wait_for_blockers,
        request=request,
    )
    return Status(201, erasure_out(erasure))


@router.get("/privacy/erasures", response=list[ErasureOut])
def list_erasures(request: AuthenticatedRequest, state: str = "") -> list[dict[str, Any]]:
    """Erasure requests, newest first (at most 100); `state`: waiting, done or cancelled."""
    _need(request, Perm.ERASE_CUSTOMER_DATA)
    erasures = selectors.visible_erasures(request.user)
    if state:
        erasures = erasures.filter(state=state[:10])
    return [erasure_out(e) for e in erasures[:100]]


@router.get("/privacy/erasures/{erasure_id}", response=ErasureOut)
def get_erasure(request: AuthenticatedRequest, erasure_id: int) -> dict[str, Any]:
    _need(request, Perm.ERASE_CUSTOMER_DATA)
    return erasure_out(selectors.access_erasure(actor=request.user, erasure_id=erasure_id))


@router.post("/privacy/erasures/{erasure_id}/cancel", response=ErasureOut)
def cancel_erasure(request: AuthenticatedRequest, erasure_id: int) -> dict[str, Any]:
    """Cancel a request waiting for its blockers to clear (409 once it is done or cancelled)."""
    _need(request, Perm.ERASE_CUSTOMER_DATA)
    erasure = selectors.access_erasure(actor=request.user, erasure_id=erasure_id)
    services.cancel_erasure(actor=request.user, erasure=erasure, request=request)
    return erasure_out(selectors.access_erasure(actor=request.user, erasure_id=erasure_id))


def _retention_rows() -> list[dict[str, Any]]:
    return [
        {
            "kind": row["kind"],
            "label": row["label"],
            "days": row["rule"].days if row["rule"] else None,
            "enabled": bool(row["rule"] and row["rule"].enabled),
            "due": row["due"],
        }
        for row in services.retention_overview()
    ]


@router.get("/privacy/retention", response=list[RetentionOut])
def retention(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    """Every data kind with its rule and the dry run: how much a purge would touch now."""
    _need(request, Perm.ERASE_CUSTOMER_DATA)
    return _retention_rows()


@router.post("/privacy/retention/purge", response=PurgeOut)
def purge(request: AuthenticatedRequest) -> dict[str, Any]:
    """Purge now what the enabled rules say is past its time (as the daily schedule does;
    audited): how many of each kind were purged."""
    _need(request, Perm.ERASE_CUSTOMER_DATA)
    return {"purged": services.purge_expired(actor=request.user)}


@router.put("/privacy/retention/{kind}", response=list[RetentionOut])
def set_retention(
    request: AuthenticatedRequest, kind: str, payload: RetentionIn
) -> list[dict[str, Any]]:
    _need(request, Perm.ERASE_CUSTOMER_DATA)
    services.save_retention_rule(
        actor=request.user, kind=kind, days=payload.days, enabled=payload.enabled, request=request
    )
    return _retention_rows()
