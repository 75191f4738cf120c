"""Reads of work orders: who may see which order, the technician's day, the dispatch board and the
figures the reports read (`dispatch_figures`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from django.db import connection
from django.db.models import Avg, Count, F, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.core.errors import StrOrPromise
from kefu.core.pagination import Page, keyset_page
from kefu.dispatch.models import OPEN_STATES, WorkOrder, WorkOrderState

# Warned this long before a limit (like the tickets' time limits).
WARNING_BEFORE = dt.timedelta(minutes=30)


def sees_every_order(user: User) -> bool:
    return user.has_perm(Perm.SERVE_CUSTOMERS) or user.has_perm(Perm.ASSIGN_WORK)


def visible_work_orders(user: User) -> QuerySet[WorkOrder]:
    """The CS side sees every order; a technician only the orders given to them."""
    qs = WorkOrder.objects.all()
    if sees_every_order(user):
        return qs
    if user.has_perm(Perm.WORK_ROUTED_TASKS):
        return qs.filter(technician=user)
    return qs.none()


def access_work_order(
    *, actor: User, work_order_id: int, request: HttpRequest | None = None
) -> WorkOrder:
    """The order if `actor` may see it; 404 (audited when it exists) otherwise."""
    order = (
        WorkOrder.objects.select_related("customer", "technician", "ticket", "visited_by")
        .filter(pk=work_order_id)
        .first()
    )
    if order is None:
        raise Http404
    if not visible_work_orders(actor).filter(pk=order.pk).exists():
        audit(AuditAction.ACCESS_DENIED, actor=actor, obj=order, request=request)
        raise Http404
    return order


@dataclass(frozen=True)
class HandedVisit:
    """A finished order's return visit that another app made a task of (kefu/visits, issue 16.4):
    recorded there, once, which records the order's own step too (services.record_handed_visit).
    What the order's page shows of it: where it is, who visits and the task's state, in words."""

    url: str
    assignee: str
    state: str


# Who keeps return visits of work orders: registered from their app's ready() (visits), so that
# dispatch asks without importing them (the dependency goes one way: visits → dispatch).
VisitKeeper = Callable[[int], HandedVisit | None]
_visit_keepers: list[VisitKeeper] = []


def keep_visits_with(keeper: VisitKeeper) -> None:
    """Register `keeper(work_order_id)`, which answers the order's HandedVisit or None."""
    if keeper not in _visit_keepers:
        _visit_keepers.append(keeper)


def handed_visit(work_order_id: int) -> HandedVisit | None:
    """The order's return visit as a task of another app, when one was made: then it is recorded
    there and not on the order (services.record_return_visit refuses)."""
    for keeper in _visit_keepers:
        found = keeper(work_order_id)
        if found is not None:
            return found
    return None


def lateness(order: WorkOrder, *, now: dt.datetime) -> str:
    """ "late" (a limit passed), "soon" (within WARNING_BEFORE) or "" for an open order."""
    if order.state not in OPEN_STATES or order.state == WorkOrderState.FAILED:
        return ""
    due = order.arrival_due_at if order.arrived_at is None else order.completion_due_at
    if due < now:
        return "late"
    if due < now + WARNING_BEFORE:
        return "soon"
    return ""


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def technician_day(*, technician: User, day: dt.date) -> list[WorkOrder]:
    """The technician's orders for the day, plus any still open from before, by appointment."""
    start, end = day_bounds(day)
    return list(
        WorkOrder.objects.select_related("customer")
        .filter(technician=technician)
        .filter(
            Q(appointment_start__gte=start, appointment_start__lt=end)
            | Q(appointment_start__lt=start, state__in=OPEN_STATES)
        )
        .order_by("appointment_start", "id")[:100]
    )


def technician_upcoming(*, technician: User, day: dt.date, days: int = 7) -> list[WorkOrder]:
    """The technician's open orders of the coming days (after `day`), by appointment."""
    _start, end = day_bounds(day)
    return list(
        WorkOrder.objects.select_related("customer")
        .filter(
            technician=technician,
            state__in=OPEN_STATES,
            appointment_start__gte=end,
            appointment_start__lt=end + dt.timedelta(days=days),
        )
        .order_by("appointment_start", "id")[:100]
    )


@dataclass(frozen=True)
class BoardFilter:
    day: dt.date
    technician_id: int | None = None
    area: str = ""
    state: str = ""
    late_only: bool = False
    cursor: str = ""  # the page after this (appointment, id): core.pagination.keyset_page


BOARD_PAGE = 100
# What a board row shows and its lateness needs: loading only these keeps a full board fast.
BOARD_FIELDS = (
    "number",
    "state",
    "area",
    "appointment_start",
    "appointment_end",
    "arrival_due_at",
    "completion_due_at",
    "arrived_at",
    "completed_at",
    "version",
    "customer__name",
    "technician__username",
    "technician__display_name",
)


class BoardColumn(TypedDict):
    state: WorkOrderState
    label: StrOrPromise
    count: int


class Board(TypedDict):
    """A page of the board's rows (each with its `lateness`), a column per state and how many of
    the orders are late (all of them, not only the page's)."""

    rows: list[WorkOrder]
    page: Page
    columns: list[BoardColumn]
    total: int
    late: int


def _late(now: dt.datetime) -> Q:
    return Q(
        Q(arrived_at__isnull=True, arrival_due_at__lt=now)
        | Q(arrived_at__isnull=False, completed_at__isnull=True, completion_due_at__lt=now),
        state__in=[s for s in OPEN_STATES if s != WorkOrderState.FAILED],
    )


def _day(actor: User, filters: BoardFilter) -> QuerySet[WorkOrder]:
    """The day's orders and the older ones still open. The technician and the area go into both
    halves of the OR, so that SQLite answers each half from its own index (technician or area, then
    appointment) instead of reading every order of the technician or area."""
    start, end = day_bounds(filters.day)
    narrow: dict[str, Any] = {}
    if filters.technician_id:
        narrow["technician_id"] = filters.technician_id
    if filters.area:
        narrow["area"] = filters.area
    return visible_work_orders(actor).filter(
        Q(appointment_start__gte=start, appointment_start__lt=end, **narrow)
        | Q(appointment_start__lt=start, state__in=OPEN_STATES, **narrow)
    )


def _counts(qs: QuerySet[WorkOrder], now: dt.datetime) -> dict[str, tuple[int, int]]:
    """(orders, late orders) per state, one grouped query."""
    return {
        state: (n, late)
        for state, n, late in qs.values_list("state")
        .annotate(n=Count("id"), late=Count("id", filter=_late(now)))
        .order_by()
    }


def board_totals(
    *, actor: User, filters: BoardFilter, now: dt.datetime | None = None
) -> tuple[int, int]:
    """How many orders the board holds and how many of them are late (the workbench card)."""
    counts = _counts(_day(actor, filters), now or timezone.now())
    return sum(n for n, _late in counts.values()), sum(late for _n, late in counts.values())


def board(*, actor: User, filters: BoardFilter, now: dt.datetime | None = None) -> Board:
    """The supervisors' board: the day's orders (and older ones still open) by state, each with its
    lateness, BOARD_PAGE at a time; counts by state and of the late. One query for the page's rows,
    one for the counts."""
    now = now or timezone.now()
    qs = _day(actor, filters)
    counts = _counts(qs, now)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.late_only:
        qs = qs.filter(_late(now))
    page = keyset_page(
        qs.select_related("customer", "technician")
        .only(*BOARD_FIELDS)
        .order_by("appointment_start", "id"),
        cursor=filters.cursor or None,
        size=BOARD_PAGE,
    )
    rows: list[WorkOrder] = page.items
    for order in rows:
        order.lateness = lateness(order, now=now)
    columns: list[BoardColumn] = [
        {"state": s, "label": s.label, "count": counts.get(s.value, (0, 0))[0]}
        for s in WorkOrderState
    ]
    return {
        "rows": rows,
        "page": page,
        "columns": columns,
        "total": sum(n for n, _late in counts.values()),
        "late": sum(late for _n, late in counts.values()),
    }


def areas() -> list[str]:
    """The areas in use (the first 200 by name), for the board's filter: a skip-scan of the area
    index, one seek per area, where SELECT DISTINCT read the area of every order (33 ms at 100,000
    orders on SQLite)."""
    table = connection.ops.quote_name(WorkOrder._meta.db_table)
    sql = (
        f"WITH RECURSIVE seen(area) AS ("  # noqa: S608  (the table's name, quoted; no input)
        f" SELECT MIN(area) FROM {table} WHERE area > %s"
        f" UNION ALL SELECT (SELECT MIN(area) FROM {table} WHERE area > seen.area)"
        f" FROM seen WHERE seen.area IS NOT NULL"
        f") SELECT area FROM seen WHERE area IS NOT NULL LIMIT 200"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [""])
        return [area for (area,) in cursor.fetchall()]


def visits_due(*, now: dt.datetime | None = None) -> QuerySet[WorkOrder]:
    """Done orders whose return visit is still to be made, the most urgent first."""
    return (
        WorkOrder.objects.filter(state=WorkOrderState.DONE)
        .select_related("customer", "technician")
        .order_by("visit_due_at", "id")
    )


def dispatch_figures(*, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Figures for the reports (the period [start, end)): orders created, done, not done, cancelled,
    arrivals late, completions after their limit, return visits made and on time, mean satisfaction."""
    created = WorkOrder.objects.filter(created_at__gte=start, created_at__lt=end)
    done = WorkOrder.objects.filter(completed_at__gte=start, completed_at__lt=end)
    visited = WorkOrder.objects.filter(visited_at__gte=start, visited_at__lt=end)
    by_state = dict(created.values_list("state").annotate(n=Count("id")).order_by())
    done_figures = done.aggregate(
        total=Count("id"),
        late_arrival=Count("id", filter=Q(arrived_at__gt=F("arrival_due_at"))),
        overdue=Count("id", filter=Q(completed_at__gt=F("completion_due_at"))),
    )
    visit_figures = visited.aggregate(
        total=Count("id"),
        on_time=Count("id", filter=Q(visited_at__lte=F("visit_due_at"))),
        satisfaction=Avg("satisfaction"),
    )
    return {
        "created": sum(by_state.values()),
        "by_state": by_state,
        "done": done_figures["total"],
        "arrived_late": done_figures["late_arrival"],
        "completed_late": done_figures["overdue"],
        "failed": WorkOrder.objects.filter(failed_at__gte=start, failed_at__lt=end).count(),
        "visited": visit_figures["total"],
        "visited_on_time": visit_figures["on_time"],
        "mean_satisfaction": (
            round(visit_figures["satisfaction"], 2)
            if visit_figures["satisfaction"] is not None
            else None
        ),
    }
