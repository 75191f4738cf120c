"""What an agent does from a chat beyond talking: link the visitor to a customer archive (an
existing one, or one created from the chat through the customers services) and turn the
conversation into a ticket (a complaint keeps the transcript in its content)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.conversations.models import (
    ChannelKind,
    Conversation,
    ConversationState,
    SenderKind,
    Visitor,
)
from kefu.conversations.selectors import transcript
from kefu.conversations.services.messages import post_message
from kefu.conversations.states import CONVERSATION_FLOW
from kefu.core import timeline
from kefu.core.errors import DomainError
from kefu.customers.models import Customer
from kefu.customers.services.profiles import ContactPoints, IdentityTaken, create_customer
from kefu.tickets.models import Channel, Ticket
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType

TICKET_CHANNEL: dict[str, str] = {
    ChannelKind.WEB: Channel.WEB_CHAT,
    ChannelKind.EMAIL: Channel.EMAIL,
    ChannelKind.SMS: Channel.SMS,
    ChannelKind.PHONE: Channel.PHONE,
}


@transaction.atomic
def link_customer(*, actor: User, conversation: Conversation, customer: Customer) -> Conversation:
    """Say who the visitor is: the conversation, the visitor's other live chats and their future
    ones belong to `customer`. The serving agent or a supervisor may; load `customer` with the
    customers' access rules first."""
    locked = (
        Conversation.objects.select_for_update().select_related("visitor").get(pk=conversation.pk)
    )
    CONVERSATION_FLOW.check(locked.state, "hand_off", actor=actor, obj=locked)
    customer = Customer.objects.get(pk=customer.merged_into_id or customer.pk)
    Visitor.objects.filter(pk=locked.visitor_id).update(customer=customer)
    Conversation.objects.filter(visitor_id=locked.visitor_id).exclude(
        state=ConversationState.CLOSED
    ).update(customer=customer)
    Conversation.objects.filter(pk=locked.pk).update(customer=customer)
    timeline.record(
        subject=locked,
        customer_id=customer.pk,
        kind="conversations.linked",
        actor=actor,
        summary=_("Chat #%(id)s linked to this customer") % {"id": locked.pk},
    )
    conversation.customer = customer
    conversation.visitor.customer = customer
    return conversation


def create_customer_from_chat(
    *, actor: User, conversation: Conversation, name: str, mobile: str = ""
) -> tuple[Customer, bool]:
    """A new customer archive from the chat, linked to it. When the mobile already belongs to a
    customer, the chat is linked to that customer instead. Returns (customer, created)."""
    CONVERSATION_FLOW.check(conversation.state, "hand_off", actor=actor, obj=conversation)
    contacts = ContactPoints({"mobile": [mobile]}) if mobile.strip() else None
    try:
        with transaction.atomic():
            customer = create_customer(actor=actor, name=name, contacts=contacts)
        created = True
    except IdentityTaken as taken:
        customer, created = taken.other, False
    link_customer(actor=actor, conversation=conversation, customer=customer)
    return customer, created


@transaction.atomic
def create_ticket_from_chat(
    *,
    actor: User,
    conversation: Conversation,
    type: str,
    subject: str,
    content: str = "",
    priority: str = "normal",
) -> Ticket:
    """A ticket of the chat's customer (through create_ticket). A complaint always carries the
    transcript (what the customer saw; internal notes stay out); other types carry it too, under
    the agent's description. The chat gets an internal note naming the ticket while it is open."""
    CONVERSATION_FLOW.check(conversation.state, "hand_off", actor=actor, obj=conversation)
    if type not in TicketType.values:
        raise DomainError(_("Unknown ticket type."))
    chat = transcript(conversation)
    parts = [content.strip()] if content.strip() else []
    if chat:
        parts.append(_("Chat #%(id)s transcript:") % {"id": conversation.pk} + "\n" + chat)
    ticket = create_ticket(
        actor=actor,
        type=type,
        subject=subject,
        content="\n\n".join(parts),
        customer_id=conversation.customer_id,
        channel=TICKET_CHANNEL.get(conversation.inbox.kind, Channel.OTHER),
        priority=priority,
    )
    if not conversation.is_closed:
        post_message(
            conversation=conversation,
            sender=SenderKind.AGENT,
            author=actor,
            is_internal=True,
            body=_("Ticket %(number)s created: %(subject)s")
            % {"number": ticket.number, "subject": ticket.subject},
        )
    return ticket
