"""Events of the orders app."""

from dataclasses import dataclass
from typing import ClassVar

from kefu.core.events import DomainEvent


@dataclass(frozen=True)
class OrderRecorded(DomainEvent):
    """An order came in (API or import) or changed as the shop system reported it."""

    name: ClassVar[str] = "orders.recorded"
    order_id: int
    created: bool
    state: str
    customer_id: int | None


@dataclass(frozen=True)
class OrderRemarked(DomainEvent):
    """A red-flag remark was written: the printing desk has something to confirm."""

    name: ClassVar[str] = "orders.remarked"
    order_id: int
    remark_id: int
    author_id: int


@dataclass(frozen=True)
class OrderChangeRequested(DomainEvent):
    name: ClassVar[str] = "orders.change_requested"
    change_id: int
    order_id: int
    kind: str
    path: str


@dataclass(frozen=True)
class OrderChangeFinished(DomainEvent):
    name: ClassVar[str] = "orders.change_finished"
    change_id: int
    order_id: int
    status: str  # done or withdrawn
