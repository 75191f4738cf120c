"""紧急事件处理权 (seed 001) on tickets: a supervisor takes a ticket themselves whoever holds it
and however much they carry, with a reason, on record in the audit log. A take-over that lost a
race (someone changed the ticket first) is refused with the fresh state and recorded too."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.core import timeline
from kefu.core.errors import Conflict, DomainError, PermissionRefused
from kefu.core.events import emit
from kefu.tickets.events import TicketAssigned
from kefu.tickets.models import Ticket
from kefu.tickets.services.tickets import lock_ticket, save_changed

REASON_MAX = 500


def take_over_ticket(
    *, actor: User, ticket_id: int, expected_version: int, reason: str, request=None
) -> Ticket:
    if not actor.has_perm(Perm.HANDLE_EMERGENCY):
        raise PermissionRefused(_("Only holders of the emergency right may take a ticket over."))
    reason = (reason or "").strip()[:REASON_MAX]
    if not reason:
        raise DomainError(_("Say why you take this ticket over."))
    try:
        with transaction.atomic():
            ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
            if not ticket.is_open:
                raise DomainError(_("A closed ticket cannot be taken over."))
            if ticket.assignee_id == actor.pk:
                raise DomainError(_("You already hold this ticket."))
            previous = ticket.assignee_id
            ticket.assignee = actor
            save_changed(ticket, ["assignee"])
            timeline.record(
                subject=ticket,
                customer_id=ticket.customer_id,
                kind="tickets.taken_over",
                actor=actor,
                summary=_("%(number)s: taken over by %(user)s (emergency): %(reason)s")
                % {"number": ticket.number, "user": actor, "reason": reason},
                is_internal=True,
                data={"previous_assignee_id": previous, "reason": reason},
            )
            audit(
                AuditAction.TAKE_OVER,
                actor=actor,
                obj=ticket,
                request=request,
                details={
                    "outcome": "done",
                    "reason": reason,
                    "previous_assignee_id": previous,
                    "version": ticket.version,
                },
            )
            emit(
                TicketAssigned(
                    ticket_id=ticket.pk,
                    assignee_id=actor.pk,
                    previous_assignee_id=previous,
                    assigned_by_id=actor.pk,
                )
            )
    except Conflict as conflict:
        audit(  # outside the refused transaction: the lost race stays on record
            AuditAction.TAKE_OVER,
            actor=actor,
            object_type="tickets.ticket",
            object_id=str(ticket_id),
            request=request,
            details={
                "outcome": "conflict",
                "reason": reason,
                "expected_version": expected_version,
                "message": conflict.message,
            },
        )
        raise
    return ticket
