"""Events of quality and performance."""

from dataclasses import dataclass
from typing import ClassVar

from kefu.core.events import DomainEvent


@dataclass(frozen=True)
class SheetSubmitted(DomainEvent):
    name: ClassVar[str] = "quality.sheet_submitted"
    sheet_id: int
    submitted_by_id: int


@dataclass(frozen=True)
class SheetDecided(DomainEvent):
    name: ClassVar[str] = "quality.sheet_decided"
    sheet_id: int
    state: str  # approved or returned
    decided_by_id: int
    drafted_by_id: int


@dataclass(frozen=True)
class ConversationChecked(DomainEvent):
    """A closed conversation was checked automatically; `severe` when a forbidden word was found
    (the supervisors are alerted at once)."""

    name: ClassVar[str] = "quality.conversation_checked"
    inspection_id: int
    conversation_id: int
    agent_id: int | None
    score: int
    severe: bool


@dataclass(frozen=True)
class CallChecked(DomainEvent):
    """A recorded call was checked by its notes; `severe` when a forbidden word was found (the
    supervisors are alerted at once, as for a chat)."""

    name: ClassVar[str] = "quality.call_checked"
    inspection_id: int
    call_id: int
    agent_id: int | None
    score: int
    severe: bool


# The review events are of a chat (conversation_id) or of a call (call_id, conversation_id empty);
# inspection_id is the check both open at (empty in events queued before it was added).


@dataclass(frozen=True)
class ReviewDone(DomainEvent):
    name: ClassVar[str] = "quality.reviewed"
    review_id: int
    conversation_id: int | None
    agent_id: int | None
    reviewer_id: int
    score: int
    inspection_id: int | None = None
    call_id: int | None = None
    findings: int = 0  # the automatic check's findings the review looked at


@dataclass(frozen=True)
class ReviewAppealed(DomainEvent):
    name: ClassVar[str] = "quality.appealed"
    review_id: int
    conversation_id: int | None
    agent_id: int
    inspection_id: int | None = None
    call_id: int | None = None


@dataclass(frozen=True)
class AppealDecided(DomainEvent):
    name: ClassVar[str] = "quality.appeal_decided"
    review_id: int
    conversation_id: int | None
    agent_id: int | None
    decided_by_id: int
    upheld: bool
    final_score: int
    inspection_id: int | None = None
    call_id: int | None = None
