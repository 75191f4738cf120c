"""Replies to the customer through the channel the ticket came from: e-mail now (chat and SMS when
those channels land). The reply is kept on the ticket's and the customer's timeline."""

from __future__ import annotations

import datetime as dt
import smtplib

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core import timeline
from kefu.core.errors import DomainError, PermissionRefused
from kefu.tickets.models import Ticket
from kefu.tickets.services.tickets import save_changed

REPLY_MAX = 4000


def reply_address(ticket: Ticket) -> str:
    """Where a reply goes: the customer's e-mail address, or '' when there is none."""
    return ticket.customer.email if ticket.customer and ticket.customer.email else ""


def reply_to_customer(
    *, actor: User, ticket_id: int, body: str, now: dt.datetime | None = None
) -> Ticket:
    """Send `body` to the customer by e-mail, with the ticket number in the subject so their answer can
    be threaded back; record it; the first reply meets the first-response time limit."""
    if not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("Only customer service may reply to the customer."))
    body = body.strip()
    if not body:
        raise DomainError(_("The reply is empty."))
    if len(body) > REPLY_MAX:
        raise DomainError(_("The reply is longer than %(max)d characters.") % {"max": REPLY_MAX})
    now = now or timezone.now()
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("customer")
            .filter(pk=ticket_id)
            .first()
        )
        if ticket is None:
            raise DomainError(_("This ticket does not exist."))
        address = reply_address(ticket)
        if not address:
            raise DomainError(
                _("The customer has no e-mail address; reply by phone and record it as a note.")
            )
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
            save_changed(ticket, ["first_responded_at"])
        timeline.record(
            subject=ticket,
            customer_id=ticket.customer_id,
            kind="tickets.reply",
            actor=actor,
            occurred_at=now,
            summary=_("%(number)s: reply sent to %(address)s: %(body)s")
            % {"number": ticket.number, "address": address, "body": body[:200]},
            data={"channel": "email", "to": address, "body": body},
        )
        message = EmailMessage(
            subject=f"[{ticket.number}] {ticket.subject}",
            body=body,
            to=[address],
            headers={"X-Kefu-Ticket": ticket.number},
        )
        try:  # last, inside the transaction: a reply that could not be sent is not recorded as sent
            message.send(fail_silently=False)
        except (OSError, smtplib.SMTPException) as error:
            raise DomainError(
                _(
                    "The e-mail could not be sent (%(error)s); nothing was recorded. Try again later."
                )
                % {"error": type(error).__name__}
            ) from error
    return ticket
