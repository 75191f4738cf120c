"""Events of the call records."""

from dataclasses import dataclass
from typing import ClassVar

from kefu.core.events import DomainEvent


@dataclass(frozen=True)
class IncomingCallRinging(DomainEvent):
    """A customer's call rings on an agent's extension: their open pages show the caller's card."""

    name: ClassVar[str] = "telephony.incoming_call"
    call_id: int
    agent_id: int


@dataclass(frozen=True)
class CallRecorded(DomainEvent):
    """A call has ended and is on record (entered by an agent or reported by the telephony system)."""

    name: ClassVar[str] = "telephony.call_recorded"
    call_id: int
    customer_id: int | None
    agent_id: int | None
    outcome: str
