"""Events of the knowledge base."""

from dataclasses import dataclass
from typing import ClassVar

from kefu.core.events import DomainEvent


@dataclass(frozen=True)
class ArticlePublished(DomainEvent):
    """An article was published by its reviewer: agents (and customers, when public) see it."""

    name: ClassVar[str] = "knowledge.article_published"
    article_id: int
    published_by_id: int
    changed_by_id: int | None


@dataclass(frozen=True)
class MessageFlagged(DomainEvent):
    """A customer's chat message reads angry or urgent: the supervisors are told at once."""

    name: ClassVar[str] = "knowledge.message_flagged"
    conversation_id: int
    message_id: int
    reasons: str  # comma-separated: anger, regulator, bad_review, repeated
    assignee_id: int | None
    excerpt: str
