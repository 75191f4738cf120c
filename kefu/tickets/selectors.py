"""Reads of tickets, who may see which ticket, and the saved views (statistics.py counts breaches).

The CS side (agents, supervisors, managers; inspectors read) sees every ticket: SPEC C4 "the CS side
sees every step". Department staff see only tickets routed to their own department. Another
department's ticket answers exactly like a missing one (404, audited when it exists).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.db.models.lookups import LessThanOrEqual
from django.http import Http404
from django.utils import timezone

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.core.business_calendar import BusinessCalendar
from kefu.core.models import TimelineEntry
from kefu.core.statemachine import Transition
from kefu.tickets.models import Ticket, running_due
from kefu.tickets.services.sla import WARNING_BEFORE
from kefu.tickets.states import OPEN_STATES, TicketState, flow_for


def sees_every_ticket(user: User) -> bool:
    return any(
        user.has_perm(p) for p in (Perm.SERVE_CUSTOMERS, Perm.ASSIGN_WORK, Perm.INSPECT_QUALITY)
    )


def visible_tickets(user: User) -> QuerySet[Ticket]:
    qs = Ticket.objects.all()
    if sees_every_ticket(user):
        return qs
    if user.has_perm(Perm.WORK_ROUTED_TASKS) and user.department_id is not None:
        return qs.filter(department_id=user.department_id)
    return qs.none()


# What a row of the ticket list shows (templatetags/tickets.ticket_rows), and no more: a list page reads
# 51 tickets with their customer, department and assignee, and the other ~50 columns of a ticket and
# of a customer cost ~5 ms of a page on PostgreSQL (bench/README.md, search at 1,000,000).
LIST_ROW_FIELDS = (
    *("id", "number", "type", "subject", "state", "priority", "resolve_due_at", "closed_at"),
    *("customer", "customer__name", "department", "department__name"),
    *("assignee", "assignee__display_name", "assignee__username"),
)


def for_list_rows(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`qs` reading what the list's rows show, their relations joined."""
    return qs.select_related("customer", "department", "assignee").only(*LIST_ROW_FIELDS)


def access_ticket(*, actor: User, ticket_id: int, request=None) -> Ticket:
    """The ticket if `actor` may see it; 404 (audited when it exists) otherwise."""
    ticket = (
        Ticket.objects.select_related("category", "department", "assignee", "handler", "customer")
        .filter(pk=ticket_id)
        .first()
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
        t
        for t in flow.transitions.values()
        if ticket.state in t.source
        and all(g(actor, ticket) is None for g in t.guards if not getattr(g, "checks_input", False))
    ]


def ticket_history(ticket: Ticket) -> QuerySet[TimelineEntry]:
    from kefu.core import timeline

    return timeline.entries_for(ticket)


# --- saved views ---------------------------------------------------------------------------------

SAVED_VIEWS = ("mine", "my_department", "unassigned", "about_to_breach", "awaiting_approval")


def about_to_breach_q(*, now: dt.datetime, horizon: dt.datetime) -> Q:
    """Open tickets whose running deadline (models.running_due) is at or before `horizon` (passed
    ones included).

    Written as "not closed" (what OPEN_STATES means) and the very expression of the partial index
    ticket_open_running_due (models.Ticket.Meta), so both databases read that index's range."""
    return ~Q(state=TicketState.CLOSED) & Q(LessThanOrEqual(running_due(), horizon))


def soonest_due_first(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`qs` (about to breach) by running deadline, then id: the order of ticket_open_running_due,
    so a page is the index's first rows, not every match sorted. Page it with keyset_page (the
    cursor is the deadline and id of the last row)."""
    return qs.annotate(running_due=running_due()).order_by("running_due", "id")


def saved_view(*, user: User, view: str, now: dt.datetime | None = None) -> QuerySet[Ticket]:
    """One of SAVED_VIEWS, within what `user` may see, newest first (keyset-paginate on -id)."""
    qs = visible_tickets(user)
    if view == "mine":
        qs = qs.filter(assignee=user, state__in=OPEN_STATES)
    elif view == "my_department":
        qs = (
            qs.filter(department_id=user.department_id, state__in=OPEN_STATES)
            if user.department_id
            else qs.none()
        )
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


def return_visit_satisfaction(*, start: dt.datetime, end: dt.datetime, tz=None, by_day: bool):
    """Complaints' return-visit satisfaction 追踪回访满意度 recorded in [start, end), per agent (the
    ticket's assignee, else whoever made the visit) and, when `by_day`, per local day: rows of
    {"agent", "day"?, "answers", "total"} on the 1–5 scale every channel shares, so that a chat
    statistic can add them to its ratings."""
    from django.db.models import Sum
    from django.db.models.functions import Coalesce

    from kefu.core.sql_time import LocalDate

    qs = Ticket.objects.filter(
        return_visited_at__gte=start, return_visited_at__lt=end, satisfaction__isnull=False
    ).annotate(agent=Coalesce("assignee_id", "return_visited_by_id"))
    keys = ["agent"]
    if by_day:
        qs = qs.annotate(day=LocalDate("return_visited_at", tzinfo=tz))
        keys.append("day")
    return (
        qs.filter(agent__isnull=False)
        .values(*keys)
        .annotate(answers=Count("id"), total=Sum("satisfaction"))
        .order_by()
    )
