"""Creating tickets, assigning them, watchers and notes; the lock-and-version helper every write uses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import Department, User
from kefu.accounts.roles import Perm
from kefu.core import timeline
from kefu.core.bulk_api import BULK_MAX
from kefu.core.business_calendar import BusinessCalendar
from kefu.core.errors import Conflict, DomainError, InvalidState, PermissionRefused
from kefu.core.events import emit
from kefu.customers.models import Customer
from kefu.tickets.documents import index_ticket, index_tickets
from kefu.tickets.events import (
    TicketAssigned,
    TicketCreated,
    TicketFieldsChanged,
    TicketHandlerChanged,
    TicketNoteAdded,
)
from kefu.tickets.models import Channel, NoteKind, Ticket, TicketCategory, TicketNote
from kefu.tickets.services import sla
from kefu.tickets.services.numbering import next_ticket_number, next_ticket_numbers
from kefu.tickets.states import Priority, TicketType

SUBJECT_MAX = 200


def lock_ticket(*, ticket_id: int, expected_version: int) -> Ticket:
    """The ticket, locked for this transaction, if nobody changed it since `expected_version`.

    Call inside the service's transaction. Raises Conflict with the fresh state otherwise: of two
    agents moving the same ticket at once, the second one lands here.
    """
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("category", "department", "customer")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise DomainError(_("This ticket does not exist."))
    if ticket.version != expected_version:
        raise Conflict(
            _(
                "Someone else changed ticket %(number)s first; it is now “%(state)s” (version %(version)s). "
                "Look at its fresh state and try again."
            )
            % {
                "number": ticket.number,
                "state": ticket.get_state_display(),
                "version": ticket.version,
            }
        )
    return ticket


def save_changed(ticket: Ticket, fields: list[str]) -> None:
    """Write `fields` and the next version. Call while holding the row lock from lock_ticket()."""
    ticket.version += 1
    ticket.save(update_fields=[*fields, "version", "updated_at"])
    index_ticket(ticket, fields)


def can_see_ticket(user: User, ticket: Ticket) -> bool:
    """The CS side sees every ticket; department staff only those routed to their department."""
    from kefu.tickets.selectors import sees_every_ticket

    if sees_every_ticket(user):
        return True
    if user.has_perm(Perm.WORK_ROUTED_TASKS):
        return ticket.department_id is not None and ticket.department_id == user.department_id
    return False


def _clean_subject(subject: str) -> str:
    subject = " ".join(subject.split())
    if not subject:
        raise DomainError(_("A ticket needs a subject."), field="subject")
    if len(subject) > SUBJECT_MAX:
        raise DomainError(
            _("The subject is longer than %(max)d characters.") % {"max": SUBJECT_MAX},
            field="subject",
        )
    return subject


def active_category(category_id: int) -> TicketCategory:
    """The category a ticket may be filed under now (it exists and is turned on)."""
    # order_by() and [:1], not first(): ordering by pk costs more to compile than the query takes
    # to run (a tenth of creating a ticket, bench/README.md).
    # The parents come in the same query: the answer shows the category's path (root / leaf).
    found = list(
        TicketCategory.objects.filter(pk=category_id, is_active=True)
        .select_related("parent__parent")
        .order_by()[:1]
    )
    category = found[0] if found else None
    if category is None:
        raise DomainError(
            _("This category does not exist or is no longer in use."), field="category_id"
        )
    return category


def existing_department(department_id: int) -> Department:
    department = Department.objects.filter(pk=department_id).first()
    if department is None:
        raise DomainError(_("This department does not exist."), field="department_id")
    return department


def _customer_rows(ids: list[int]) -> dict[int, Customer]:
    """{customer id: the customer, with what a new ticket reads of it: the customer it was merged
    into, and the name and mobile its search document holds}."""
    return {
        c.pk: c
        for c in Customer.objects.filter(pk__in=ids)
        .order_by()
        .only("merged_into_id", "name", "mobile")
    }


@dataclass
class Known:
    """What a bulk call's items refer to, read in two queries instead of two per item."""

    customers: dict[int, Customer]
    categories: dict[int, TicketCategory]

    @classmethod
    def of(cls, items: list[dict[str, Any]]) -> Known:
        customer_ids = {i["customer_id"] for i in items if i.get("customer_id") is not None}
        category_ids = {i["category_id"] for i in items if i.get("category_id") is not None}
        return cls(
            customers=_customer_rows(list(customer_ids)) if customer_ids else {},
            categories={
                c.pk: c
                for c in TicketCategory.objects.filter(pk__in=category_ids, is_active=True)
                .select_related("parent__parent")
                .order_by()
            }
            if category_ids
            else {},
        )


def _new_ticket(
    *,
    actor: User,
    now: dt.datetime,
    calendar: BusinessCalendar | None = None,
    known: Known | None = None,
    type: str,
    subject: str,
    content: str = "",
    customer_id: int | None = None,
    channel: str = Channel.OTHER,
    category_id: int | None = None,
    priority: str = Priority.NORMAL,
    department_id: int | None = None,
    assignee_id: int | None = None,
    complainant: str = "",
    complained_at: dt.datetime | None = None,
) -> Ticket:
    """The ticket `create_ticket` writes, checked and with its deadlines, not yet numbered or saved.
    Only reads: a DomainError here leaves nothing behind. `known`: the customers and categories of
    a bulk call, read once for all its items."""
    if not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("Your role may not create tickets."))
    if type not in TicketType.values:
        raise DomainError(_("Unknown ticket type."), field="type")
    if channel not in Channel.values:
        raise DomainError(_("Unknown channel."), field="channel")
    if priority not in Priority.values:
        raise DomainError(_("Unknown priority."), field="priority")
    ticket = Ticket(
        type=type,
        subject=_clean_subject(subject),
        content=content.strip(),
        channel=channel,
        priority=priority,
        complainant=complainant.strip()[:60],
        complained_at=complained_at,
        created_by=actor,
        created_at=now,
    )
    if customer_id is not None:
        customer = (
            known.customers.get(customer_id)
            if known is not None
            else next(iter(_customer_rows([customer_id]).values()), None)
        )
        if customer is None:
            raise DomainError(_("This customer does not exist."), field="customer_id")
        if customer.merged_into_id:
            ticket.customer_id = customer.merged_into_id  # read when its search document is made
        else:
            ticket.customer = customer  # the search document's name and mobile, not read again
        if type == TicketType.COMPLAINT and not ticket.complainant:
            ticket.complainant = customer.name
    if type == TicketType.COMPLAINT and ticket.complained_at is None:
        ticket.complained_at = now
    if category_id is not None:
        if known is None:
            ticket.category = active_category(category_id)
        elif category_id in known.categories:
            ticket.category = known.categories[category_id]
        else:
            raise DomainError(
                _("This category does not exist or is no longer in use."), field="category_id"
            )
    if department_id is not None:
        ticket.department = existing_department(department_id)
    if assignee_id is not None:
        ticket.assignee = _assignable(actor=actor, assignee_id=assignee_id, current=None)
    sla.set_deadlines_on_create(ticket, now=now, calendar=calendar)
    return ticket


def _created_entry(ticket: Ticket, *, actor: User, now: dt.datetime) -> dict[str, Any]:
    """The timeline entry of a new ticket (timeline.record's arguments)."""
    return {
        "subject": ticket,
        "customer_id": ticket.customer_id,
        "kind": "tickets.created",
        "actor": actor,
        "occurred_at": now,
        "summary": _("%(number)s: %(type)s received: %(subject)s")
        % {"number": ticket.number, "type": ticket.get_type_display(), "subject": ticket.subject},
        "data": {"number": ticket.number, "type": ticket.type},
    }


def _announce_created(ticket: Ticket, *, actor: User) -> None:
    emit(
        TicketCreated(
            ticket_id=ticket.pk,
            number=ticket.number,
            type=ticket.type,
            created_by_id=actor.pk,
            priority=ticket.priority,
        )
    )
    if ticket.assignee_id:
        emit(
            TicketAssigned(
                ticket_id=ticket.pk,
                assignee_id=ticket.assignee_id,
                previous_assignee_id=None,
                assigned_by_id=actor.pk,
            )
        )


@transaction.atomic
def create_ticket(
    *,
    actor: User,
    type: str,
    subject: str,
    content: str = "",
    customer_id: int | None = None,
    channel: str = Channel.OTHER,
    category_id: int | None = None,
    priority: str = Priority.NORMAL,
    department_id: int | None = None,
    assignee_id: int | None = None,
    complainant: str = "",
    complained_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """A new ticket in state `received`, numbered, with its deadlines in working time."""
    now = now or timezone.now()
    ticket = _new_ticket(
        actor=actor,
        now=now,
        type=type,
        subject=subject,
        content=content,
        customer_id=customer_id,
        channel=channel,
        category_id=category_id,
        priority=priority,
        department_id=department_id,
        assignee_id=assignee_id,
        complainant=complainant,
        complained_at=complained_at,
    )
    ticket.number = next_ticket_number(at=now)
    ticket.save()
    index_ticket(ticket)
    timeline.record(**_created_entry(ticket, actor=actor, now=now))
    _announce_created(ticket, actor=actor)
    return ticket


@transaction.atomic
def create_tickets(
    *, actor: User, items: list[dict[str, Any]], now: dt.datetime | None = None
) -> list[Ticket | DomainError]:
    """Many tickets in one transaction (the API's bulk call), each by the same rules as
    create_ticket: checked alone, numbered, with its deadlines, timeline entry, search document and
    events (after commit). Returns, item by item, the ticket or the DomainError that refused it; a
    refused item writes nothing and the others are still created."""
    if not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("Your role may not create tickets."))
    if len(items) > BULK_MAX:
        raise DomainError(_("At most %(max)d items in one call.") % {"max": BULK_MAX})
    now = now or timezone.now()
    calendar = BusinessCalendar()  # one calendar: its days are read once for the whole call
    known = Known.of(items)
    results: list[Ticket | DomainError] = []
    for fields in items:
        try:
            results.append(
                _new_ticket(actor=actor, now=now, calendar=calendar, known=known, **fields)
            )
        except DomainError as error:
            results.append(error)
    tickets = [t for t in results if isinstance(t, Ticket)]
    if not tickets:
        return results
    for ticket, number in zip(
        tickets, next_ticket_numbers(at=now, count=len(tickets)), strict=True
    ):
        ticket.number = number
    Ticket.objects.bulk_create(tickets)
    index_tickets(tickets)
    timeline.record_many(
        [timeline.unsaved_entry(**_created_entry(t, actor=actor, now=now)) for t in tickets]
    )
    for ticket in tickets:
        _announce_created(ticket, actor=actor)
    return results


def _assignable(*, actor: User, assignee_id: int | None, current: int | None) -> User | None:
    """The new assignee if `actor` may give the ticket to them.

    Supervisors and managers (调配) give tickets to anyone who serves customers; an agent may only
    take an unassigned ticket for themselves.
    """
    takes_it_themselves = (
        actor.has_perm(Perm.SERVE_CUSTOMERS) and assignee_id == actor.pk and current is None
    )
    if not actor.has_perm(Perm.ASSIGN_WORK) and not takes_it_themselves:
        raise PermissionRefused(
            _("Only a supervisor may assign tickets; you may take an unassigned one yourself.")
        )
    if assignee_id is None:
        return None
    assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
    if assignee is None or not assignee.has_perm(Perm.SERVE_CUSTOMERS):
        raise DomainError(_("Tickets can only be assigned to active customer service staff."))
    return assignee


@transaction.atomic
def assign_ticket(
    *, actor: User, ticket_id: int, expected_version: int, assignee_id: int | None
) -> Ticket:
    """Give the ticket to one assignee (or none). There is only ever one assignee."""
    ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
    previous = ticket.assignee_id
    assignee = _assignable(actor=actor, assignee_id=assignee_id, current=previous)
    if previous == assignee_id:
        return ticket
    ticket.assignee = assignee
    save_changed(ticket, ["assignee"])
    summary = (
        _("%(number)s: assigned to %(user)s") % {"number": ticket.number, "user": assignee}
        if assignee
        else _("%(number)s: unassigned") % {"number": ticket.number}
    )
    timeline.record(
        subject=ticket,
        customer_id=ticket.customer_id,
        kind="tickets.assigned",
        actor=actor,
        summary=summary,
        is_internal=True,
        data={"assignee_id": assignee_id, "previous_assignee_id": previous},
    )
    emit(
        TicketAssigned(
            ticket_id=ticket.pk,
            assignee_id=assignee_id,
            previous_assignee_id=previous,
            assigned_by_id=actor.pk,
        )
    )
    return ticket


@transaction.atomic
def set_handler(
    *, actor: User, ticket_id: int, expected_version: int, handler_id: int | None
) -> Ticket:
    """处理人 of a routed ticket: a staff member of its responsible department. Its staff may take it
    for themselves; a supervisor (调配) may give it to any of them or clear it."""
    ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
    if not can_see_ticket(actor, ticket):
        raise DomainError(_("This ticket does not exist."))
    takes_it = (
        handler_id == actor.pk
        and actor.has_perm(Perm.WORK_ROUTED_TASKS)
        and actor.department_id is not None
        and actor.department_id == ticket.department_id
    )
    if not takes_it and not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(
            _(
                "Only the department's own staff take a ticket; a supervisor gives it to one of them."
            )
        )
    if ticket.department_id is None or not ticket.is_open:
        raise InvalidState(_("Only an open ticket routed to a department has a handler."))
    previous = ticket.handler_id
    handler = None
    if handler_id is not None:
        handler = User.objects.filter(
            pk=handler_id, is_active=True, department_id=ticket.department_id
        ).first()
        if handler is None or not handler.has_perm(Perm.WORK_ROUTED_TASKS):
            raise DomainError(
                _("The handler must be active staff of %(department)s.")
                % {"department": ticket.department}
            )
    if previous == handler_id:
        return ticket
    ticket.handler = handler
    save_changed(ticket, ["handler"])
    timeline.record(
        subject=ticket,
        customer_id=ticket.customer_id,
        kind="tickets.handler",
        actor=actor,
        summary=(
            _("%(number)s: handled by %(user)s") % {"number": ticket.number, "user": handler}
            if handler
            else _("%(number)s: no handler") % {"number": ticket.number}
        ),
        is_internal=True,
        data={"handler_id": handler_id, "previous_handler_id": previous},
    )
    emit(
        TicketHandlerChanged(
            ticket_id=ticket.pk,
            handler_id=handler_id,
            previous_handler_id=previous,
            changed_by_id=actor.pk,
        )
    )
    return ticket


@transaction.atomic
def set_ticket_fields(
    *,
    actor: User,
    ticket_id: int,
    expected_version: int,
    priority: str | None = None,
    category_id: int | None = None,
    department_id: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Set the priority, category or department of an open ticket (调配: supervisors, managers and
    the rules they write); fields left None stay. A new priority or category counts the running
    time limits again from the policy that now applies (sla.recompute_running)."""
    if not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("Only a supervisor may change a ticket's priority or category."))
    ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
    if not ticket.is_open:
        raise InvalidState(_("Only an open ticket can be changed."))
    changed: list[str] = []
    if priority is not None and priority != ticket.priority:
        if priority not in Priority.values:
            raise DomainError(_("Unknown priority."), field="priority")
        ticket.priority = priority
        changed.append("priority")
    if category_id is not None and category_id != ticket.category_id:
        ticket.category = active_category(category_id)
        changed.append("category")
    if department_id is not None and department_id != ticket.department_id:
        ticket.department = existing_department(department_id)
        changed.append("department")
    if not changed:
        return ticket
    now = now or timezone.now()
    moved = (
        sla.recompute_running(ticket, now=now) if {"priority", "category"} & set(changed) else {}
    )
    save_changed(ticket, [*changed, *moved])
    summary = _(
        "%(number)s: priority %(priority)s, category %(category)s, department %(department)s"
    ) % {
        "number": ticket.number,
        "priority": ticket.get_priority_display(),
        "category": ticket.category or "—",
        "department": ticket.department or "—",
    }
    if moved:
        labels = {
            "first_response_due_at": _("First response"),
            "stage_due_at": _("This stage"),
            "resolve_due_at": _("Resolution"),
        }
        summary += "; " + _("time limits counted again: %(limits)s") % {
            "limits": " · ".join(
                f"{labels[f]} {timezone.localtime(d).strftime('%m-%d %H:%M')}"
                for f, d in moved.items()
            )
        }
    timeline.record(
        subject=ticket,
        customer_id=ticket.customer_id,
        kind="tickets.fields_changed",
        actor=actor,
        occurred_at=now,
        summary=summary,
        is_internal=True,
        data={"fields": changed, "deadlines": {f: d.isoformat() for f, d in moved.items()}},
    )
    emit(TicketFieldsChanged(ticket_id=ticket.pk, fields=tuple(changed), changed_by_id=actor.pk))
    return ticket


@transaction.atomic
def set_watching(*, actor: User, ticket_id: int, user_id: int, watching: bool) -> None:
    """Add or remove a watcher. Anyone may watch a ticket they can see; only a supervisor adds others."""
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None or not can_see_ticket(actor, ticket):
        raise DomainError(_("This ticket does not exist."))
    if user_id != actor.pk and not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("Only a supervisor may add or remove other watchers."))
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not can_see_ticket(user, ticket):
        raise DomainError(_("This user cannot see the ticket."))
    if watching:
        ticket.watchers.add(user)
    else:
        ticket.watchers.remove(user)


@transaction.atomic
def add_note(*, actor: User, ticket_id: int, kind: str, body: str) -> TicketNote:
    """An internal note, a progress note or an information request. Never shown to the customer.

    The CS side writes internal and progress notes; the responsible department's staff write progress
    notes and ask for information (补充信息)."""
    body = body.strip()
    if not body:
        raise DomainError(_("The note is empty."), field="body")
    if kind not in NoteKind.values:
        raise DomainError(_("Unknown kind of note."), field="kind")
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None or not can_see_ticket(actor, ticket):
        raise DomainError(_("This ticket does not exist."))
    cs_side = actor.has_perm(Perm.SERVE_CUSTOMERS)
    department_side = (
        actor.has_perm(Perm.WORK_ROUTED_TASKS) and actor.department_id == ticket.department_id
    )
    allowed = (cs_side and kind != NoteKind.INFO_REQUEST) or department_side
    if not allowed:
        raise PermissionRefused(_("Your role may not add this kind of note to this ticket."))
    note = TicketNote.objects.create(ticket=ticket, kind=kind, body=body, author=actor)
    timeline.record(
        subject=ticket,
        customer_id=ticket.customer_id,
        kind=f"tickets.note_{kind}",
        actor=actor,
        summary=_("%(number)s: %(kind)s: %(body)s")
        % {"number": ticket.number, "kind": note.get_kind_display(), "body": body[:200]},
        is_internal=True,
        data={"note_id": note.pk},
    )
    emit(TicketNoteAdded(ticket_id=ticket.pk, note_id=note.pk, kind=kind, author_id=actor.pk))
    return note
