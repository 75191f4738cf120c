"""服务分析报告 per responsible department (issue 13.4): the complaints routed to the department in
the period against the period before, by category (repeated problems: a category twice or more),
the causes it recorded, the average time to an approved plan and to closing, and the customers'
suggestions routed to it. SQL aggregates, and the latest texts with a limit."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from django.db.models import Avg, Count, QuerySet

from kefu.accounts.models import Department, User
from kefu.accounts.roles import Perm
from kefu.core.sql_time import Elapsed
from kefu.reports.selectors import Change, ReportFilters, change, local_range
from kefu.tickets.models import Ticket
from kefu.tickets.states import TicketType

TEXTS = 20  # the latest causes and suggestions shown


class DepartmentSummary(Change):
    """A department's complaints in the period and in the period before, with the change."""

    department: Department
    complaints: int
    previous: int


class CategoryCount(TypedDict):
    label: str  # "parent / category", or "—" for complaints without one
    n: int
    repeated: bool  # twice or more in the period


class Cause(TypedDict):
    pk: int
    number: str
    cause: str


class Suggestion(TypedDict):
    pk: int
    number: str
    subject: str


class DepartmentAnalysis(DepartmentSummary):
    hours_to_plan: float | None
    hours_to_close: float | None
    categories: list[CategoryCount]
    causes: list[Cause]  # the latest TEXTS
    suggestions: list[Suggestion]  # the latest TEXTS


def may_read_department(user: User, department: Department) -> bool:
    """Readers of reports see every department's; a department's staff their own only."""
    if user.has_perm(Perm.VIEW_REPORTS):
        return True
    return user.has_perm(Perm.WORK_ROUTED_TASKS) and user.department_id == department.pk


def departments_for(user: User) -> QuerySet[Department]:
    qs = Department.objects.filter(is_customer_service=False).order_by("name")
    if user.has_perm(Perm.VIEW_REPORTS):
        return qs
    if user.has_perm(Perm.WORK_ROUTED_TASKS) and user.department_id is not None:
        return qs.filter(pk=user.department_id)
    return qs.none()


def reads_service_analysis(user: User) -> bool:
    """Whether the user may see any service analysis at all (the list's 403 otherwise)."""
    if user.has_perm(Perm.VIEW_REPORTS):
        return True
    return user.has_perm(Perm.WORK_ROUTED_TASKS) and departments_for(user).exists()


def _complaints(filters: ReportFilters, **where: object) -> QuerySet[Ticket]:
    start, end = local_range(filters.since, filters.until)
    return Ticket.objects.filter(
        type=TicketType.COMPLAINT, created_at__gte=start, created_at__lt=end, **where
    )


def summaries(departments: list[Department], filters: ReportFilters) -> list[DepartmentSummary]:
    """Each department's complaints in the period and the period before, with the change: two
    grouped counts, whatever the number of departments."""

    def counts(period: ReportFilters) -> dict[int, int]:
        rows = (
            _complaints(period, department__in=departments)
            .values("department_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {r["department_id"]: r["n"] for r in rows}

    now, before = counts(filters), counts(filters.previous())
    return [
        {
            "department": d,
            "complaints": now.get(d.pk, 0),
            "previous": before.get(d.pk, 0),
            **change(now.get(d.pk, 0), before.get(d.pk, 0)),
        }
        for d in departments
    ]


def _hours(value: dt.timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 1)


def analysis(department: Department, filters: ReportFilters) -> DepartmentAnalysis:
    complaints = _complaints(filters, department=department)
    durations = complaints.aggregate(
        n=Count("pk"),
        to_plan=Avg(Elapsed("plan_decided_at", "created_at")),
        to_close=Avg(Elapsed("closed_at", "created_at")),
    )
    previous = _complaints(filters.previous(), department=department).count()
    categories = list(
        complaints.values("category__parent__name", "category__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "category__name")[:30]
    )
    start, end = local_range(filters.since, filters.until)
    return {
        "department": department,
        "complaints": durations["n"],
        "previous": previous,
        **change(durations["n"], previous),
        "hours_to_plan": _hours(durations["to_plan"]),
        "hours_to_close": _hours(durations["to_close"]),
        "categories": [
            {
                "label": " / ".join(
                    n for n in (c["category__parent__name"], c["category__name"]) if n
                )
                or "—",
                "n": c["n"],
                "repeated": c["n"] >= 2,
            }
            for c in categories
        ],
        "causes": list(
            complaints.exclude(cause="")
            .order_by("-created_at")
            .values("pk", "number", "cause")[:TEXTS]
        ),
        "suggestions": list(
            Ticket.objects.filter(
                type=TicketType.SUGGESTION,
                department=department,
                created_at__gte=start,
                created_at__lt=end,
            )
            .order_by("-created_at")
            .values("pk", "number", "subject")[:TEXTS]
        ),
    }


def readable_department(user: User, department_id: int) -> Department | None:
    """The responsible department `department_id` if `user` may read its analysis; None otherwise,
    so that another department's answers as a missing one (404)."""
    department = Department.objects.filter(pk=department_id, is_customer_service=False).first()
    if department is None or not may_read_department(user, department):
        return None
    return department
