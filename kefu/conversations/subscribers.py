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
from kefu.core.events import Delivery, DomainEvent, subscribe

logger = logging.getLogger(__name__)


def route_waiting(event: DomainEvent) -> None:
    from kefu.conversations.services.routing import assign_waiting

    if isinstance(event, PresenceChanged) and event.presence != Presence.ONLINE:
        return
    assign_waiting()


def register() -> None:
    for event_type in (ConversationStarted, ConversationRequeued, ConversationClosed, PresenceChanged):
        subscribe(event_type, route_waiting, mode=Delivery.INLINE)
    # E-mail inboxes: the agent's reply goes out by SMTP (kefu/conversations/email/).
    subscribe(MessagePosted, "kefu.conversations.email.subscribers.send_agent_reply", mode=Delivery.TASK,
              when=is_email_reply)
    subscribe(EmailReplyStateChanged, "kefu.conversations.email.subscribers.send_resent_reply", mode=Delivery.TASK,
              when=is_resend)
