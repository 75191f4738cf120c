"""Events of the after-sales app."""

from dataclasses import dataclass
from typing import ClassVar

from kefu.core.events import DomainEvent


@dataclass(frozen=True)
class CaseMoved(DomainEvent):
    """An after-sales case was opened (move "open") or moved along its flow."""

    name: ClassVar[str] = "aftersales.case_moved"
    case_id: int
    order_id: int
    move: str
    state: str
    actor_id: int


@dataclass(frozen=True)
class ReviewClosed(DomainEvent):
    """A neutral or negative review was handled: its outcome is known."""

    name: ClassVar[str] = "aftersales.review_closed"
    review_id: int
    order_id: int
    outcome: str


@dataclass(frozen=True)
class MoneyMoved(DomainEvent):
    """After-sales money changed: `record` is "money_line" (postage or compensation), "claim" (a
    courier claim) or "invoice"; `move` the step (request, approve, decline, pay, file, accept,
    reject, settle, issue)."""

    name: ClassVar[str] = "aftersales.money_moved"
    record: str
    record_id: int
    move: str
    state: str
    actor_id: int
