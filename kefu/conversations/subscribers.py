"""Routing runs after commit whenever a conversation may find an agent: one starts or is sent back to
a team's queue, one closes (the agent has room again), an agent comes online."""

import logging

from kefu.accounts.events import PresenceChanged
from kefu.accounts.models import Presence
from kefu.conversations.email.subscribers import is_email_reply, is_resend
from kefu.conversations.events import (
    ConversationClosed,
    ConversationRequeued,
    ConversationStarted,
    EmailReplyStateChanged,
    MessagePosted,
)
from kefu.conversations.models import MailSendState
from kefu.core.events import Delivery, DomainEvent, subscribe
from kefu.customers.events import CustomerIdentified, CustomersMerged

logger = logging.getLogger(__name__)


def route_waiting(event: DomainEvent) -> None:
    from kefu.conversations.services.routing import assign_waiting

    if isinstance(event, PresenceChanged) and event.presence != Presence.ONLINE:
        return
    assign_waiting()


def note_contact(event: ConversationClosed | EmailReplyStateChanged) -> None:
    from kefu.conversations.services.contacts import note_conversation_contact

    note_conversation_contact(conversation_id=event.conversation_id)


def is_sent_reply(event: EmailReplyStateChanged) -> bool:
    return event.state == MailSendState.SENT


def reindex_customer_conversations(event: CustomerIdentified | CustomersMerged) -> None:
    """After commit, in a worker (a customer can have many chats): their documents take the
    customer's new name. Until it runs, they are found by the old one, and by their messages."""
    from kefu.conversations.documents import index_conversations
    from kefu.conversations.models import Conversation

    customer_id = event.customer_id if isinstance(event, CustomerIdentified) else event.survivor_id
    index_conversations(
        Conversation.objects.filter(customer_id=customer_id).values_list("pk", flat=True)
    )


def name_changed(event: CustomerIdentified) -> bool:
    """A chat's document holds the customer's name, not their mobile: a new mobile changes none."""
    return "name" in event.fields


def register() -> None:
    subscribe(
        CustomerIdentified,
        f"{__name__}.reindex_customer_conversations",
        mode=Delivery.TASK,
        when=name_changed,
    )
    subscribe(CustomersMerged, f"{__name__}.reindex_customer_conversations", mode=Delivery.TASK)
    for event_type in (
        ConversationStarted,
        ConversationRequeued,
        ConversationClosed,
        PresenceChanged,
    ):
        subscribe(event_type, route_waiting, mode=Delivery.INLINE)
    # E-mail inboxes: the agent's reply goes out by SMTP (kefu/conversations/email/).
    subscribe(
        MessagePosted,
        "kefu.conversations.email.subscribers.send_agent_reply",
        mode=Delivery.TASK,
        when=is_email_reply,
    )
    subscribe(
        EmailReplyStateChanged,
        "kefu.conversations.email.subscribers.send_resent_reply",
        mode=Delivery.TASK,
        when=is_resend,
    )
    # The seven-day rule: a closed chat, or an e-mail reply that went out, is contact made.
    subscribe(ConversationClosed, f"{__name__}.note_contact", mode=Delivery.TASK)
    subscribe(
        EmailReplyStateChanged, f"{__name__}.note_contact", mode=Delivery.TASK, when=is_sent_reply
    )
