"""Attachments on tickets: images and documents, checked for what they really are, size-limited."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core import timeline
from kefu.core.errors import DomainError, InvalidState, PermissionRefused
from kefu.core.uploads import inspect_upload, storage_path
from kefu.tickets.models import Ticket, TicketAttachment
from kefu.tickets.services.tickets import can_see_ticket

MAX_PER_TICKET = 30


def may_attach(actor: User, ticket: Ticket) -> bool:
    """The CS side and the responsible department's staff add files; inspectors only read."""
    if actor.has_perm(Perm.SERVE_CUSTOMERS):
        return True
    return (
        actor.has_perm(Perm.WORK_ROUTED_TASKS)
        and ticket.department_id is not None
        and actor.department_id == ticket.department_id
    )


def add_attachment(*, actor: User, ticket_id: int, upload) -> TicketAttachment:
    """Check the file, store it under a random name, record it on the ticket's history. A file that
    fails the check is refused whole; nothing is stored."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or not can_see_ticket(actor, ticket):
        raise DomainError(_("This ticket does not exist."))
    if not may_attach(actor, ticket):
        raise PermissionRefused(_("Your role may not add files to tickets."))
    if not ticket.is_open:
        raise InvalidState(_("The ticket is closed; reopen it to add files."))
    inspected = inspect_upload(upload)
    if ticket.attachments.count() >= MAX_PER_TICKET:
        raise DomainError(_("A ticket holds at most %(max)d files.") % {"max": MAX_PER_TICKET})
    stored = default_storage.save(storage_path("tickets", inspected), upload)
    try:
        with transaction.atomic():
            attachment = TicketAttachment.objects.create(
                ticket=ticket,
                file=stored,
                name=inspected.name,
                content_type=inspected.kind.content_type,
                size=inspected.size,
                uploaded_by=actor,
            )
            timeline.record(
                subject=ticket,
                customer_id=ticket.customer_id,
                kind="tickets.attachment",
                actor=actor,
                summary=_("%(number)s: file attached: %(name)s")
                % {"number": ticket.number, "name": inspected.name},
                is_internal=True,
                data={"attachment_id": attachment.pk},
            )
    except Exception:
        default_storage.delete(stored)
        raise
    return attachment
