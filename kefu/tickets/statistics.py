"""投诉分类统计表: complaints by month, category and department; valid or not; within or over the
time limit; late return visits; what resolving them cost. Grouped queries in the database, so it stays
quick at millions of tickets.

**One definition of "over the time limit" (超时)**, used by the table, its subtotals and totals, and
the breakdowns by department and by assignee: a complaint received in the period is over its time
limit when the sweep has recorded a breach of any of its limits (first response, a stage, the
resolution, the return visit: `SlaAlert` with level `breach`, marked on the ticket as
`first_breach_at` in the same transaction), however often. Each complaint counts
once, under the department responsible for it and the agent assigned to it now, so the breakdowns
add up to the table's total exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, fields
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from kefu.accounts.models import Department
from kefu.tickets.models import Ticket, TicketCategory
from kefu.tickets.states import TicketType, Validity

COUNTS = (
    "total",
    "valid",
    "invalid",
    "not_judged",
    "within_limit",
    "over_limit",
    "return_visit_late",
)


@dataclass(frozen=True)
class ComplaintRow:
    month: dt.date
    category: str
    department: str
    total: int
    valid: int
    invalid: int
    not_judged: int
    within_limit: int
    over_limit: int
    return_visit_late: int  # 三天之内回访 missed (a breach of the return-visit limit)
    cost: Decimal  # 处理代价 of the closed ones, yuan


@dataclass(frozen=True)
class Sums:
    """A subtotal or a total of rows: the same figures, summed."""

    total: int = 0
    valid: int = 0
    invalid: int = 0
    not_judged: int = 0
    within_limit: int = 0
    over_limit: int = 0
    return_visit_late: int = 0
    cost: Decimal = Decimal("0.00")

    @classmethod
    def of(cls, rows) -> Sums:
        names = [f.name for f in fields(cls)]
        return cls(
            **{n: sum((getattr(r, n) for r in rows), start=cls().__dict__[n]) for n in names}
        )


@dataclass(frozen=True)
class Month:
    month: dt.date
    rows: list[ComplaintRow]
    subtotal: Sums


# 超时 and 回访超时: the ticket's marks, set by the sweep in the transaction that records the first
# breach (services/sla.py), so counting them costs no lookup of SlaAlert per complaint (a correlated
# EXISTS made the table 3 times slower on PostgreSQL at a million tickets, bench/README.md).
OVERDUE = Q(first_breach_at__isnull=False)
RETURN_VISIT_LATE = Q(return_visit_breach_at__isnull=False)
SUMMED = ("total", "valid", "invalid", "over_limit", "return_visit_late", "cost")
CENT = Decimal("0.01")


def complaints(*, since: dt.datetime, until: dt.datetime) -> QuerySet[Ticket]:
    """Complaints received in [since, until)."""
    return Ticket.objects.filter(
        type=TicketType.COMPLAINT, created_at__gte=since, created_at__lt=until
    )


def _months(since: dt.datetime, until: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Local months cut in Python rather than with TruncMonth, which SQLite evaluates in Python once
    per row (3 times slower at a million tickets, bench/README.md). Asia/Shanghai has no daylight
    saving, so "+32 days, then the 1st" is always the next month."""
    month = timezone.localtime(since).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while month < until:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        yield month, following
        month = following


def complaint_table(*, since: dt.datetime, until: dt.datetime) -> list[ComplaintRow]:
    """One row per month, category and department of the complaints received in [since, until).

    Grouped by the ids in the database, over the covering index `ticket_complaint_figures` (no join
    per complaint); the names are put on the groups here, and groups that read the same (two
    departments of one name) are one row, as the table shows them."""
    categories = {
        c.pk: " / ".join(n for n in (c.parent.name if c.parent else None, c.name) if n)
        for c in TicketCategory.objects.select_related("parent")
    }
    departments = dict(Department.objects.values_list("pk", "name"))
    table = []
    for month, following in _months(since, until):
        groups = (
            complaints(since=max(month, since), until=min(following, until))
            .values("category_id", "department_id")
            .annotate(
                total=Count("id"),
                valid=Count("id", filter=Q(validity=Validity.VALID)),
                invalid=Count("id", filter=Q(validity=Validity.INVALID)),
                over_limit=Count("id", filter=OVERDUE),
                return_visit_late=Count("id", filter=RETURN_VISIT_LATE),
                cost=Sum("resolution_cost"),
            )
            .order_by()
        )
        rows: dict[tuple[str, str], dict] = {}
        for g in groups:
            key = (
                categories.get(g["category_id"]) or "—",
                departments.get(g["department_id"]) or "—",
            )
            row = rows.setdefault(key, dict.fromkeys(SUMMED, 0))
            for name in SUMMED:
                row[name] += g[name] or 0
        for (category, department), r in sorted(rows.items()):
            table.append(
                ComplaintRow(
                    month=month.date(),
                    category=category,
                    department=department,
                    total=r["total"],
                    valid=r["valid"],
                    invalid=r["invalid"],
                    not_judged=r["total"] - r["valid"] - r["invalid"],
                    within_limit=r["total"] - r["over_limit"],
                    over_limit=r["over_limit"],
                    return_visit_late=r["return_visit_late"],
                    cost=Decimal(r["cost"]).quantize(CENT),
                )
            )
    return table


def by_month(table: list[ComplaintRow], *, newest_first: bool = False) -> list[Month]:
    """The table's rows grouped by month, each month with its subtotal."""
    groups: dict[dt.date, list[ComplaintRow]] = {}
    for row in table:
        groups.setdefault(row.month, []).append(row)
    return [
        Month(month=m, rows=rows, subtotal=Sums.of(rows))
        for m, rows in sorted(groups.items(), reverse=newest_first)
    ]


def totals(table: list[ComplaintRow]) -> Sums:
    return Sums.of(table)


def overdue_by_department(table: list[ComplaintRow]) -> list[tuple[str, int]]:
    """Complaints over their time limit per responsible department (the table's own figures)."""
    counts: dict[str, int] = {}
    for row in table:
        counts[row.department] = counts.get(row.department, 0) + row.over_limit
    return sorted(((d, n) for d, n in counts.items() if n), key=lambda r: (-r[1], r[0]))


def overdue_by_assignee(*, since: dt.datetime, until: dt.datetime) -> dict[int | None, int]:
    """Complaints over their time limit per assignee (None: nobody assigned), same definition."""
    rows = (
        complaints(since=since, until=until)
        .filter(OVERDUE)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["assignee_id"]: r["n"] for r in rows}


def spreadsheet_rows(months: list[Month], total: Sums, *, subtotal_label, total_label):
    """The export's rows: each month's rows, then its subtotal; the total last."""

    def figures(s) -> list:
        return [getattr(s, n) for n in COUNTS] + [s.cost]

    for group in months:
        for r in group.rows:
            yield [r.month.strftime("%Y-%m"), r.category, r.department, *figures(r)]
        yield [group.month.strftime("%Y-%m"), str(subtotal_label), "", *figures(group.subtotal)]
    yield [str(total_label), "", "", *figures(total)]
