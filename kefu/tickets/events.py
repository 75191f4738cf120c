"""Events of tickets. Ids and plain values only: TASK subscribers rebuild them in a Huey worker."""

from dataclasses import dataclass
from typing import ClassVar

from kefu.core.events import DomainEvent


@dataclass(frozen=True)
class TicketCreated(DomainEvent):
    name: ClassVar[str] = "tickets.created"
    ticket_id: int
    number: str
    type: str
    created_by_id: int | None
    priority: str = "normal"  # Priority: an urgent ticket is told to the supervisors at once


@dataclass(frozen=True)
class TicketTransitioned(DomainEvent):
    """Any move of the state machine (one event type; `transition` names the move)."""

    name: ClassVar[str] = "tickets.transitioned"
    ticket_id: int
    transition: str
    from_state: str
    to_state: str
    actor_id: int
    version: int


@dataclass(frozen=True)
class TicketRouted(DomainEvent):
    """A valid complaint was routed: the department's staff should be told."""

    name: ClassVar[str] = "tickets.routed"
    ticket_id: int
    department_id: int | None  # None: no routing rule named a department
    routed_by_id: int


@dataclass(frozen=True)
class PlanApprovalRequested(DomainEvent):
    """A resolution plan waits for a supervisor (请主管领导批示)."""

    name: ClassVar[str] = "tickets.plan_approval_requested"
    ticket_id: int
    proposed_by_id: int


@dataclass(frozen=True)
class TicketAssigned(DomainEvent):
    name: ClassVar[str] = "tickets.assigned"
    ticket_id: int
    assignee_id: int | None
    previous_assignee_id: int | None
    assigned_by_id: int


@dataclass(frozen=True)
class TicketHandlerChanged(DomainEvent):
    """处理人: who in the responsible department handles the complaint (picked on routing, taken or
    given later). The new handler is told unless they took it themselves."""

    name: ClassVar[str] = "tickets.handler_changed"
    ticket_id: int
    handler_id: int | None
    previous_handler_id: int | None
    changed_by_id: int


@dataclass(frozen=True)
class TicketNoteAdded(DomainEvent):
    name: ClassVar[str] = "tickets.note_added"
    ticket_id: int
    note_id: int
    kind: str
    author_id: int


@dataclass(frozen=True)
class TicketSlaWarning(DomainEvent):
    """A deadline is near (the assignee and the department are warned)."""

    name: ClassVar[str] = "tickets.sla_warning"
    ticket_id: int
    clock: str
    due_at: str  # ISO 8601, UTC
    assignee_id: int | None
    department_id: int | None


@dataclass(frozen=True)
class TicketSlaBreached(DomainEvent):
    """A deadline passed: escalated to the supervisors named here."""

    name: ClassVar[str] = "tickets.sla_breached"
    ticket_id: int
    clock: str
    due_at: str  # ISO 8601, UTC
    assignee_id: int | None
    department_id: int | None
    escalated_to_ids: tuple[int, ...]


@dataclass(frozen=True)
class TicketFieldsChanged(DomainEvent):
    """Priority, category or department set outside the loop's moves (set_ticket_fields)."""

    name: ClassVar[str] = "tickets.fields_changed"
    ticket_id: int
    fields: tuple[str, ...]
    changed_by_id: int
