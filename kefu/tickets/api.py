"""Tickets API: create, list, get, move along the loop, notes. The same services and the same move
table (actions.py) as the pages, so a ticket made here behaves exactly like one made on a page."""

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status
from ninja.errors import ValidationError
from ninja.files import UploadedFile

from kefu.accounts.masking import mask_text
from kefu.accounts.roles import Perm
from kefu.core import ratelimit
from kefu.core.bodies import accepts_upload
from kefu.core.bulk_api import checked_items, refused_by_rule
from kefu.core.errors import DomainError
from kefu.core.pagination import keyset_page
from kefu.core.uploads import max_upload_bytes
from kefu.tickets import actions, selectors
from kefu.tickets.actions import category_path
from kefu.tickets.models import Ticket
from kefu.tickets.schemas import (
    AttachmentOut,
    FieldsIn,
    HandlerIn,
    MoveIn,
    NoteIn,
    NoteOut,
    TicketIn,
    TicketOut,
    TicketPage,
    TicketsBulkIn,
    TicketsBulkOut,
)
from kefu.tickets.search import search_tickets
from kefu.tickets.services import attachments
from kefu.tickets.services import tickets as ticket_services

router = Router(tags=["tickets"])

FIELDS = (
    "id",
    "number",
    "type",
    "state",
    "priority",
    "channel",
    "subject",
    "content",
    "customer_id",
    "category_id",
    "department_id",
    "assignee_id",
    "handler_id",
    "complainant",
    "validity",
    "cause",
    "resolution_plan",
    "return_visit_outcome",
    "satisfaction",
    "return_visit_due_at",
    "summary_evaluation",
    "resolution_cost",
    "answer",
    "first_response_due_at",
    "stage_due_at",
    "resolve_due_at",
    "created_at",
    "closed_at",
    "version",
)


# Free text in which people type phone and ID numbers: masked for callers without the reveal right.
FREE_TEXT = frozenset(
    {
        "subject",
        "content",
        "cause",
        "resolution_plan",
        "return_visit_outcome",
        "summary_evaluation",
        "answer",
    }
)


def ticket_out(ticket: Ticket, user) -> dict:
    return {
        **{
            f: mask_text(getattr(ticket, f), viewer=user) if f in FREE_TEXT else getattr(ticket, f)
            for f in FIELDS
        },
        "state_label": ticket.get_state_display(),
        "category": category_path(ticket.category),
        "next_moves": [t.name for t in selectors.allowed_transitions(actor=user, ticket=ticket)],
    }


def _may_list(user) -> None:
    if not any(
        user.has_perm(p)
        for p in (Perm.SERVE_CUSTOMERS, Perm.WORK_ROUTED_TASKS, Perm.INSPECT_QUALITY)
    ):
        raise PermissionDenied


@router.post("/tickets", response={201: TicketOut}, summary="Create a ticket")
def create_ticket(request, body: TicketIn):
    ticket = ticket_services.create_ticket(actor=request.user, **body.dict())
    return Status(201, ticket_out(ticket, request.user))


@router.post(
    "/tickets/bulk",
    response=TicketsBulkOut,
    summary="Create up to 100 tickets in one call (each checked alone, a result per item)",
    description=(
        "Each item is the body of POST /tickets, checked and created by the same rules, all in one "
        "transaction. A refused item (status 422 or 400, with `detail`) writes nothing; the others "
        "are created (status 201, `id` and `number`). Counts as one call per item against the "
        "rate limits."
    ),
)
def create_tickets(request, body: TicketsBulkIn):
    ratelimit.charge(request, len(body.items))
    good, results = checked_items(TicketIn, body.items)
    indexes = list(good)
    made = ticket_services.create_tickets(
        actor=request.user, items=[good[i].dict() for i in indexes]
    )
    for index, outcome in zip(indexes, made, strict=True):
        results[index] = (
            refused_by_rule(index, outcome)
            if isinstance(outcome, DomainError)
            else {"index": index, "status": 201, "id": outcome.pk, "number": outcome.number}
        )
    return {
        "created": sum(1 for r in results.values() if r["status"] == 201),
        "results": [results[i] for i in range(len(body.items))],
    }


@router.get(
    "/tickets", response=TicketPage, summary="List tickets (a saved view and filters, newest first)"
)
def list_tickets(
    request,
    view: str = "",
    q: str = "",
    type: str = "",
    state: str = "",
    priority: str = "",
    category: int | None = Query(None, ge=1, le=2**31 - 1),
    cursor: int | None = None,
    limit: int = 50,
):
    _may_list(request.user)
    qs = search_tickets(
        user=request.user,
        view=view,
        q=q,
        type=type,
        state=state,
        priority=priority,
        category=category,
    )
    page = keyset_page(qs.select_related("category__parent"), cursor=cursor, size=limit)
    return {
        "items": [ticket_out(t, request.user) for t in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get(
    "/tickets/{ticket_id}",
    response=TicketOut,
    summary="One ticket, with the moves the caller may make",
)
def get_ticket(request, ticket_id: int):
    return ticket_out(
        selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request),
        request.user,
    )


@router.post(
    "/tickets/{ticket_id}/moves/{name}",
    response=TicketOut,
    summary="Move the ticket along its loop (confirm_restatement, judge_valid, record_cause, approve_plan, close, …)",
)
def move_ticket(request, ticket_id: int, name: str, body: MoveIn):
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    if name not in actions.ACTIONS:
        raise DomainError(_("Unknown action."))
    actions.check_offered(name, actor=request.user, ticket=ticket, expected_version=body.version)
    form = actions.form_for_values(name, ticket, version=body.version, values=body.values)
    if not form.is_valid():
        raise ValidationError(
            [
                {
                    "loc": ["body", "values", field],
                    "msg": " ".join(str(m) for m in messages),
                    "type": "value_error",
                }
                for field, messages in form.errors.items()
            ]
        )
    values = dict(form.cleaned_data)
    version = values.pop("version")
    moved = actions.perform(
        name, actor=request.user, ticket_id=ticket.pk, expected_version=version, values=values
    )
    return ticket_out(moved, request.user)


@router.post(
    "/tickets/{ticket_id}/handler",
    response=TicketOut,
    summary="Set the handler (处理人) of a routed ticket: its department's staff take it, a supervisor gives it",
)
def set_handler(request, ticket_id: int, body: HandlerIn):
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    changed = ticket_services.set_handler(
        actor=request.user,
        ticket_id=ticket.pk,
        expected_version=body.version,
        handler_id=body.handler_id,
    )
    return ticket_out(
        selectors.access_ticket(actor=request.user, ticket_id=changed.pk), request.user
    )


@router.post(
    "/tickets/{ticket_id}/fields",
    response=TicketOut,
    summary="Set the priority or category (调配: supervisors and up); the running time limits follow the policy that then applies",
)
def set_fields(request, ticket_id: int, body: FieldsIn):
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    changed = ticket_services.set_ticket_fields(
        actor=request.user,
        ticket_id=ticket.pk,
        expected_version=body.version,
        priority=body.priority,
        category_id=body.category_id,
    )
    return ticket_out(
        selectors.access_ticket(actor=request.user, ticket_id=changed.pk), request.user
    )


@router.post(
    "/tickets/{ticket_id}/notes",
    response={201: NoteOut},
    summary="Add an internal note, progress note or information request",
)
def add_note(request, ticket_id: int, body: NoteIn):
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    note = ticket_services.add_note(
        actor=request.user, ticket_id=ticket.pk, kind=body.kind, body=body.body
    )
    return Status(
        201,
        {
            "id": note.pk,
            "kind": note.kind,
            "body": mask_text(note.body, viewer=request.user),
            "author_id": note.author_id,
            "created_at": note.created_at,
        },
    )


@router.get(
    "/tickets/{ticket_id}/notes", response=list[NoteOut], summary="The ticket's notes, newest first"
)
def list_notes(request, ticket_id: int):
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    return [
        {
            "id": n.pk,
            "kind": n.kind,
            "body": mask_text(n.body, viewer=request.user),
            "author_id": n.author_id,
            "created_at": n.created_at,
        }
        for n in ticket.notes.order_by("-id")[:200]
    ]


def attachment_out(a) -> dict:
    return {
        "id": a.pk,
        "name": a.name,
        "content_type": a.content_type,
        "size": a.size,
        "uploaded_by_id": a.uploaded_by_id,
        "created_at": a.created_at,
        "url": reverse("tickets:attachment", args=[a.ticket_id, a.pk]),
    }


@router.post(
    "/tickets/{ticket_id}/attachments",
    response={201: AttachmentOut},
    summary="Attach an image or document (checked for what it really is; size-limited)",
)
@accepts_upload(max_upload_bytes)
def add_attachment(request, ticket_id: int, file: File[UploadedFile]):
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    return Status(
        201,
        attachment_out(
            attachments.add_attachment(actor=request.user, ticket_id=ticket.pk, upload=file)
        ),
    )


@router.get(
    "/tickets/{ticket_id}/attachments", response=list[AttachmentOut], summary="The ticket's files"
)
def list_attachments(request, ticket_id: int):
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    return [attachment_out(a) for a in ticket.attachments.all()]
