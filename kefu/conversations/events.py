"""Events of conversations. They carry ids and plain values (a task subscriber rebuilds them)."""

from dataclasses import dataclass
from typing import ClassVar

from kefu.core.events import DomainEvent


@dataclass(frozen=True)
class ConversationStarted(DomainEvent):
    name: ClassVar[str] = "conversations.started"
    conversation_id: int
    inbox_id: int
    visitor_id: int
    customer_id: int | None


@dataclass(frozen=True)
class MessagePosted(DomainEvent):
    """A new message was stored (never emitted again for a repeated idempotency key)."""

    name: ClassVar[str] = "conversations.message_posted"
    conversation_id: int
    channel: str  # the inbox's ChannelKind: web, email, …
    message_id: int
    seq: int
    sender: str
    author_id: int | None
    author_name: str
    body: str
    is_internal: bool
    created_at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class ConversationAssigned(DomainEvent):
    """Routing, a transfer to an agent, a take-over or a reassignment gave the conversation to
    `assignee_id`. `assigned_by_id` is None when routing did it."""

    name: ClassVar[str] = "conversations.assigned"
    conversation_id: int
    assignee_id: int
    assignee_name: str
    previous_assignee_id: int | None
    assigned_by_id: int | None


@dataclass(frozen=True)
class ConversationRequeued(DomainEvent):
    """Transferred to a team: back in the queue, for routing to give to one of the team's agents."""

    name: ClassVar[str] = "conversations.requeued"
    conversation_id: int
    team_id: int | None
    previous_assignee_id: int | None
    transferred_by_id: int | None


@dataclass(frozen=True)
class ConversationClosed(DomainEvent):
    name: ClassVar[str] = "conversations.closed"
    conversation_id: int
    assignee_id: int | None
    closed_by_id: int | None
    reason: str


@dataclass(frozen=True)
class ConversationRated(DomainEvent):
    name: ClassVar[str] = "conversations.rated"
    conversation_id: int
    assignee_id: int | None
    rating: int


@dataclass(frozen=True)
class EmailReplyStateChanged(DomainEvent):
    """An agent's e-mail reply was sent, finally failed (`reason` says why, for the agent), or was
    queued again by a resend. `state` is a MailSendState value."""

    name: ClassVar[str] = "conversations.email_reply_state"
    conversation_id: int
    message_id: int
    state: str
    reason: str
    author_id: int | None
    assignee_id: int | None
