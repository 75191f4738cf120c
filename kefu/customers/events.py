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
