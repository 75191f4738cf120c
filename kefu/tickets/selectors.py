"""Reads of tickets, who may see which ticket, the saved views, and breach counts.

The CS side (agents, supervisors, managers; inspectors read) sees every ticket: SPEC C4 "the CS side
sees every step". Department staff see only tickets routed to their own department. Another
department's ticket answers exactly like a missing one (404, audited when it exists).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.core.business_calendar import BusinessCalendar
from kefu.core.models import TimelineEntry
from kefu.core.statemachine import Transition
from kefu.tickets.models import SlaAlert, SlaLevel, Ticket
from kefu.tickets.services.sla import WARNING_BEFORE
from kefu.tickets.states import OPEN_STATES, TicketState, flow_for


def sees_every_ticket(user: User) -> bool:
    return any(user.has_perm(p) for p in (Perm.SERVE_CUSTOMERS, Perm.ASSIGN_WORK, Perm.INSPECT_QUALITY))


def visible_tickets(user: User) -> QuerySet[Ticket]:
    qs = Ticket.objects.all()
    if sees_every_ticket(user):
        return qs
    if user.has_perm(Perm.WORK_ROUTED_TASKS) and user.department_id is not None:
        return qs.filter(department_id=user.department_id)
    return qs.none()


def access_ticket(*, actor: User, ticket_id: int, request=None) -> Ticket:
    """The ticket if `actor` may see it; 404 (audited when it exists) otherwise."""
    ticket = (
        Ticket.objects.select_related("category", "department", "assignee", "customer")
        .filter(pk=ticket_id).first()
    )
    if ticket is None:
        raise Http404
    if not visible_tickets(actor).filter(pk=ticket.pk).exists():
        audit(AuditAction.ACCESS_DENIED, actor=actor, obj=ticket, request=request)
        raise Http404
    return ticket


def allowed_transitions(*, actor: User, ticket: Ticket) -> list[Transition]:
    """The loop's next moves `actor` may make now: the buttons on the ticket page.

    Guards that check the move's own input (states.input_check) are skipped: the button shows and
    the form asks for the input; the service refuses the move if it is still missing."""
    flow = flow_for(ticket.type)
    return [
        t for t in flow.transitions.values()
        if ticket.state in t.source
        and all(g(actor, ticket) is None for g in t.guards if not getattr(g, "checks_input", False))
    ]


def ticket_history(ticket: Ticket) -> QuerySet[TimelineEntry]:
    from kefu.core import timeline

    return timeline.entries_for(ticket)


# --- saved views ---------------------------------------------------------------------------------

SAVED_VIEWS = ("mine", "my_department", "unassigned", "about_to_breach", "awaiting_approval")


def about_to_breach_q(*, now: dt.datetime, horizon: dt.datetime) -> Q:
    """Open tickets with a deadline at or before `horizon` (passed ones included)."""
    return Q(state__in=OPEN_STATES) & (
        Q(first_responded_at__isnull=True, first_response_due_at__lte=horizon)
        | Q(stage_due_at__lte=horizon)
        | Q(resolve_due_at__lte=horizon)
    )


def saved_view(*, user: User, view: str, now: dt.datetime | None = None) -> QuerySet[Ticket]:
    """One of SAVED_VIEWS, within what `user` may see, newest first (keyset-paginate on -id)."""
    qs = visible_tickets(user)
    if view == "mine":
        qs = qs.filter(assignee=user, state__in=OPEN_STATES)
    elif view == "my_department":
        qs = qs.filter(department_id=user.department_id, state__in=OPEN_STATES) if user.department_id else qs.none()
    elif view == "unassigned":
        qs = qs.filter(assignee__isnull=True, state__in=OPEN_STATES)
    elif view == "about_to_breach":
        now = now or timezone.now()
        horizon = BusinessCalendar().add_working_time(now, WARNING_BEFORE)
        qs = qs.filter(about_to_breach_q(now=now, horizon=horizon))
    elif view == "awaiting_approval":
        qs = qs.filter(state=TicketState.PLAN_PROPOSED)
    else:
        raise ValueError(f"unknown saved view {view!r}")
    return qs.order_by("-id")


# --- breach counts ------------------------------------------------------------------------------


def _breaches(since: dt.datetime | None, until: dt.datetime | None) -> QuerySet[SlaAlert]:
    qs = SlaAlert.objects.filter(level=SlaLevel.BREACH)
    if since is not None:
        qs = qs.filter(recorded_at__gte=since)
    if until is not None:
        qs = qs.filter(recorded_at__lt=until)
    return qs


def breach_counts_by_department(*, since: dt.datetime | None = None, until: dt.datetime | None = None) -> dict[int | None, int]:
    """Breaches recorded in [since, until) per responsible department at the time of the breach."""
    rows = _breaches(since, until).values("department_id").annotate(n=Count("id")).order_by()
    return {r["department_id"]: r["n"] for r in rows}


def breach_counts_by_agent(*, since: dt.datetime | None = None, until: dt.datetime | None = None) -> dict[int | None, int]:
    """Breaches recorded in [since, until) per assignee at the time of the breach (None: unassigned)."""
    rows = _breaches(since, until).values("assignee_id").annotate(n=Count("id")).order_by()
    return {r["assignee_id"]: r["n"] for r in rows}
