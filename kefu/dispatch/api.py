"""Work orders API (for a technician app and integrations): create, list, get, report progress,
add a photo; the dispatch figures of a period. The same services and checks as the pages."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import File, P, QueryEx, Router, Status
from ninja.files import UploadedFile

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.masking import mask_text
from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.conversations.selectors import access_conversation
from kefu.core.bodies import accepts_upload
from kefu.core.errors import DomainError
from kefu.core.pagination import keyset_page
from kefu.core.reporting import checked_moments
from kefu.core.uploads import max_upload_bytes
from kefu.customers.selectors import access_customer
from kefu.dispatch import selectors, services
from kefu.dispatch.models import WorkOrder, WorkOrderState
from kefu.dispatch.schemas import (
    FiguresOut,
    PhotoOut,
    ProgressIn,
    WorkOrderIn,
    WorkOrderOut,
    WorkOrderPage,
)
from kefu.dispatch.states import WORK_ORDER_FLOW
from kefu.telephony.selectors import access_call
from kefu.tickets.selectors import access_ticket

router = Router(tags=["work orders"])

FIELDS = tuple(f for f in WorkOrderOut.model_fields if f not in {"state_label", "next_steps"})
FREE_TEXT = frozenset({"problem", "completion_note", "failure_reason"})


def order_out(order: WorkOrder, user: User) -> dict[str, Any]:
    return {
        **{
            f: mask_text(getattr(order, f), viewer=user) if f in FREE_TEXT else getattr(order, f)
            for f in FIELDS
        },
        "state_label": order.get_state_display(),
        "next_steps": [t.name for t in WORK_ORDER_FLOW.allowed(order.state, actor=user, obj=order)],
    }


@router.post("/dispatch/work-orders", response={201: WorkOrderOut}, summary="Create a work order")
def create_work_order(request: AuthenticatedRequest, body: WorkOrderIn) -> Status[dict[str, Any]]:
    actor = request.user
    if not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionDenied
    customer, origin = None, services.Origin()
    if body.ticket_id:
        ticket = access_ticket(actor=actor, ticket_id=body.ticket_id, request=request)
        customer, origin = ticket.customer, services.Origin(ticket_id=ticket.pk)
    elif body.call_id:
        call = access_call(actor=actor, call_id=body.call_id)
        customer, origin = call.customer, services.Origin(call_id=call.pk)
    elif body.conversation_id:
        chat = access_conversation(actor=actor, conversation_id=body.conversation_id)
        customer, origin = chat.customer, services.Origin(conversation_id=chat.pk)
    elif body.customer_id:
        customer = access_customer(actor=actor, customer_id=body.customer_id, request=request)
    if customer is None:
        raise DomainError(_("Give the customer, or a ticket, call or chat that has one."))
    order = services.create_work_order(
        actor=actor,
        customer=customer,
        origin=origin,
        address=body.address,
        area=body.area,
        contact_mobile=body.contact_mobile,
        problem=body.problem,
        skills=body.skills,
        materials=body.materials,
        appointment_start=body.appointment_start,
        appointment_end=body.appointment_end,
        technician_id=body.technician_id,
    )
    return Status(201, order_out(order, actor))


@router.get(
    "/dispatch/work-orders",
    response=WorkOrderPage,
    summary="List work orders the caller may see (a technician: their own), newest first",
)
def list_work_orders(
    request: AuthenticatedRequest,
    state: str = "",
    technician_id: QueryEx[int | None, P(ge=1, le=2**31 - 1)] = None,
    day: dt.date | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    qs = selectors.visible_work_orders(request.user).order_by("-id")
    if state in WorkOrderState.values:
        qs = qs.filter(state=state)
    if technician_id:
        qs = qs.filter(technician_id=technician_id)
    if day is not None:
        start, end = selectors.day_bounds(day)
        qs = qs.filter(appointment_start__gte=start, appointment_start__lt=end)
    page = keyset_page(qs, cursor=cursor, size=limit)
    return {
        "items": [order_out(o, request.user) for o in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get(
    "/dispatch/work-orders/{work_order_id}", response=WorkOrderOut, summary="One work order"
)
def get_work_order(request: AuthenticatedRequest, work_order_id: int) -> dict[str, Any]:
    return order_out(
        selectors.access_work_order(
            actor=request.user, work_order_id=work_order_id, request=request
        ),
        request.user,
    )


@router.post(
    "/dispatch/work-orders/{work_order_id}/progress",
    response=WorkOrderOut,
    summary="Report a step (the order's technician): accept, set_off, arrive, complete, fail",
)
def report_progress(
    request: AuthenticatedRequest, work_order_id: int, body: ProgressIn
) -> dict[str, Any]:
    selectors.access_work_order(actor=request.user, work_order_id=work_order_id, request=request)
    order = services.report_progress(
        actor=request.user,
        work_order_id=work_order_id,
        step=body.step,
        note=body.note,
        materials_used=body.materials_used,
        confirmed_by=body.confirmed_by,
        expected_version=body.version,
    )
    return order_out(order, request.user)


@router.post(
    "/dispatch/work-orders/{work_order_id}/photos",
    response={201: PhotoOut},
    summary="Add a photo from the site (images only)",
)
@accepts_upload(max_upload_bytes)
def add_photo(
    request: AuthenticatedRequest, work_order_id: int, file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    selectors.access_work_order(actor=request.user, work_order_id=work_order_id, request=request)
    photo = services.add_photo(actor=request.user, work_order_id=work_order_id, upload=file)
    return Status(
        201,
        {
            "id": photo.pk,
            "name": photo.name,
            "content_type": photo.content_type,
            "size": photo.size,
        },
    )


@router.get(
    "/dispatch/figures",
    response=FiguresOut,
    summary="Dispatch figures of a period [start, end): done, late, failed, return visits",
)
def figures(request: AuthenticatedRequest, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    if not request.user.has_perm(Perm.VIEW_REPORTS):
        raise PermissionDenied
    start, end = checked_moments(start, end)
    return selectors.dispatch_figures(start=start, end=end)
