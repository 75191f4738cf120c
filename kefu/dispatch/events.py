"""Events of work orders 派工单."""

from dataclasses import dataclass
from typing import ClassVar

from kefu.core.events import DomainEvent


@dataclass(frozen=True)
class WorkOrderAssigned(DomainEvent):
    """A technician was given the order (created, rescheduled or reassigned): SMS to both."""

    name: ClassVar[str] = "dispatch.assigned"
    work_order_id: int
    technician_id: int
    assigned_by_id: int | None
    previous_technician_id: int | None
    # The order's version after the assignment: the SMS subscriber sends each assignment's SMS once.
    version: int = 0


@dataclass(frozen=True)
class WorkOrderProgressed(DomainEvent):
    """A step of the order: accepted, on the way, arrived, done, not done, cancelled, visited."""

    name: ClassVar[str] = "dispatch.progressed"
    work_order_id: int
    state: str
    actor_id: int | None


@dataclass(frozen=True)
class WorkOrderLate(DomainEvent):
    """The sweep found an order late: `limit` is "arrival" or "completion"; told once each."""

    name: ClassVar[str] = "dispatch.late"
    work_order_id: int
    limit: str
    technician_id: int
