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
class ReviewDone(DomainEvent):
    name: ClassVar[str] = "quality.reviewed"
    review_id: int
    conversation_id: int
    agent_id: int | None
    reviewer_id: int
    score: int


@dataclass(frozen=True)
class ReviewAppealed(DomainEvent):
    name: ClassVar[str] = "quality.appealed"
    review_id: int
    conversation_id: int
    agent_id: int


@dataclass(frozen=True)
class AppealDecided(DomainEvent):
    name: ClassVar[str] = "quality.appeal_decided"
    review_id: int
    conversation_id: int
    agent_id: int | None
    decided_by_id: int
    upheld: bool
    final_score: int
