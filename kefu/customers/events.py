"""Events of the customer archive."""

from dataclasses import dataclass
from typing import ClassVar

from kefu.core.events import DomainEvent


@dataclass(frozen=True)
class CustomerCreated(DomainEvent):
    name: ClassVar[str] = "customers.created"
    customer_id: int
    created_by_id: int | None


@dataclass(frozen=True)
class CustomersAssigned(DomainEvent):
    name: ClassVar[str] = "customers.assigned"
    owner_id: int
    customer_ids: tuple[int, ...]
    assigned_by_id: int


@dataclass(frozen=True)
class CustomersMerged(DomainEvent):
    name: ClassVar[str] = "customers.merged"
    survivor_id: int
    merged_id: int
    merged_by_id: int


@dataclass(frozen=True)
class ContactOverdue(DomainEvent):
    """The seven-day contact of these customers is overdue; their owner has not been told yet."""

    name: ClassVar[str] = "customers.contact_overdue"
    owner_id: int
    customer_ids: tuple[int, ...]


@dataclass(frozen=True)
class CustomerIdentified(DomainEvent):
    """The customer's name or primary mobile changed (records elsewhere that show or are found by
    them, such as ticket search documents, catch up)."""

    name: ClassVar[str] = "customers.identified"
    customer_id: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class CustomersImported(DomainEvent):
    name: ClassVar[str] = "customers.imported"
    job_id: int
    count: int
    imported_by_id: int | None


@dataclass(frozen=True)
class CustomerAssignmentRequested(DomainEvent):
    """An agent found that a contact point belongs to a customer they may not open, and asks a
    supervisor to assign that customer to them. The agent never learns who it is."""

    name: ClassVar[str] = "customers.assignment_requested"
    customer_id: int
    requested_by_id: int
