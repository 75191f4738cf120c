"""Who is told what about tickets and failed e-mail replies (in the app and by e-mail). Task
subscribers: run in the worker."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import ROLE_PERMISSIONS, Perm, Role
from kefu.conversations.events import EmailReplyStateChanged
from kefu.conversations.models import MailSendState
from kefu.core.events import Delivery, subscribe
from kefu.notifications.services import notify
from kefu.tickets.events import (
    PlanApprovalRequested,
    TicketAssigned,
    TicketRouted,
    TicketSlaBreached,
    TicketSlaWarning,
)
from kefu.tickets.models import SlaClock, Ticket
from kefu.tickets.states import TicketState


def _ticket(ticket_id: int) -> Ticket | None:
    return Ticket.objects.filter(pk=ticket_id).first()


def _link(ticket: Ticket) -> str:
    return reverse("tickets:detail", args=[ticket.pk])


def _department_staff(department_id: int | None) -> list[int]:
    if department_id is None:
        return []
    return list(User.objects.filter(department_id=department_id, role=Role.DEPARTMENT_STAFF, is_active=True)
                .values_list("pk", flat=True))


def _approvers() -> list[int]:
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if Perm.APPROVE in perms]
    return list(User.objects.filter(role__in=roles, is_active=True).values_list("pk", flat=True))


def on_assigned(event: TicketAssigned) -> None:
    ticket = _ticket(event.ticket_id)
    if ticket is None or event.assignee_id is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(recipient_ids=[event.assignee_id], kind=event.name, link=_link(ticket), exclude_id=event.assigned_by_id,
               title=_("Ticket %(number)s was assigned to you: %(subject)s") % {"number": ticket.number, "subject": ticket.subject})


def on_routed(event: TicketRouted) -> None:
    ticket = _ticket(event.ticket_id)
    if ticket is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(recipient_ids=_department_staff(event.department_id), kind=event.name, link=_link(ticket),
               exclude_id=event.routed_by_id,
               title=_("Complaint %(number)s was routed to your department: %(subject)s") % {"number": ticket.number, "subject": ticket.subject})


def on_plan_approval_requested(event: PlanApprovalRequested) -> None:
    ticket = _ticket(event.ticket_id)
    if ticket is None or ticket.state != TicketState.PLAN_PROPOSED:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(recipient_ids=_approvers(), kind=event.name, link=_link(ticket), exclude_id=event.proposed_by_id,
               title=_("The resolution plan of %(number)s waits for your approval") % {"number": ticket.number})


def on_sla_warning(event: TicketSlaWarning) -> None:
    ticket = _ticket(event.ticket_id)
    if ticket is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(recipient_ids=[event.assignee_id, *_department_staff(event.department_id)], kind=event.name, link=_link(ticket),
               title=_("%(number)s: the %(clock)s time limit is near") % {"number": ticket.number, "clock": SlaClock(event.clock).label})


def on_sla_breached(event: TicketSlaBreached) -> None:
    ticket = _ticket(event.ticket_id)
    if ticket is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(recipient_ids=[event.assignee_id, *event.escalated_to_ids], kind=event.name, link=_link(ticket),
               title=_("%(number)s: the %(clock)s time limit has passed") % {"number": ticket.number, "clock": SlaClock(event.clock).label})


def is_failed_reply(event: EmailReplyStateChanged) -> bool:
    return event.state == MailSendState.FAILED


def on_email_reply_failed(event: EmailReplyStateChanged) -> None:
    """The reply's author, and the agent serving the chat now if someone else, learn that the
    customer did not get it, with a link to the chat where it can be resent."""
    link = reverse("conversations:workspace") + f"?c={event.conversation_id}"
    with translation.override(settings.LANGUAGE_CODE):
        notify(recipient_ids=[event.author_id, event.assignee_id], kind=event.name, link=link,
               title=_("Chat #%(id)s: your e-mail reply could not be sent (%(reason)s)") % {
                   "id": event.conversation_id, "reason": event.reason})


def register() -> None:
    subscribe(EmailReplyStateChanged, f"{__name__}.on_email_reply_failed", mode=Delivery.TASK, when=is_failed_reply)
    for event_type, handler in [
        (TicketAssigned, on_assigned),
        (TicketRouted, on_routed),
        (PlanApprovalRequested, on_plan_approval_requested),
        (TicketSlaWarning, on_sla_warning),
        (TicketSlaBreached, on_sla_breached),
    ]:
        subscribe(event_type, f"{__name__}.{handler.__name__}", mode=Delivery.TASK)
