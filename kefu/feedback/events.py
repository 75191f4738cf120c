"""Events of feedback and bugs."""

from dataclasses import dataclass
from typing import ClassVar

from kefu.core.events import DomainEvent


@dataclass(frozen=True)
class ProblemStateChanged(DomainEvent):
    """A grouped problem was confirmed, fixed or declared won't-fix: every reporter is told."""

    name: ClassVar[str] = "feedback.problem_state_changed"
    problem_id: int
    state: str
    changed_by_id: int


@dataclass(frozen=True)
class ProblemOpened(DomainEvent):
    """A new problem was made of a customer's report: the development department is told."""

    name: ClassVar[str] = "feedback.problem_opened"
    problem_id: int
    opened_by_id: int
