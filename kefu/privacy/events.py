"""Events of personal-data rights (docs/events.md)."""

from dataclasses import dataclass
from typing import ClassVar

from kefu.core.events import DomainEvent


@dataclass(frozen=True)
class CustomerErased(DomainEvent):
    """A customer's personal data was erased everywhere (the customer row stays, pseudonymised)."""

    name: ClassVar[str] = "privacy.customer_erased"
    customer_id: int
    request_id: int
