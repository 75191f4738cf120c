"""Small helpers every list's search and every workbench figure use."""

from typing import Any, TypeVar

from django.db.models import BooleanField, Case, DateTimeField, Func, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

QS = TypeVar("QS", bound=QuerySet[Any, Any])  # a list's queryset, handed back of the same kind


def filter_given(qs: QS, **lookups: object) -> QS:
    """`qs` filtered by the lookups whose value was given: a list's filters left empty (None, "", 0)
    do not narrow it."""
    return qs.filter(**{lookup: value for lookup, value in lookups.items() if value})


# Figures on the workbench stop counting here: "1000+" says as much as 1,000,000 does, and a count
# that stops costs at most this many index entries (COUNT over a whole table cost the workbench
# 573 ms at 1,000,000 tickets, bench/README.md, pages).
COUNT_CAP = 1000


class CappedCount(int):
    """A count that may have stopped at its cap; shown as "1000+" then (str), compared as a number."""

    capped: bool = False

    def __str__(self) -> str:
        return f"{int(self)}+" if self.capped else str(int(self))


def count_up_to(qs: QuerySet[Any, Any], cap: int | None = None) -> CappedCount:
    """How many rows `qs` has, counting no further than `cap` (default COUNT_CAP):
    SELECT COUNT(*) FROM (… LIMIT cap), so an index walk stops there."""
    cap = cap or COUNT_CAP
    found = qs.order_by()[:cap].count()
    count = CappedCount(found)
    count.capped = found >= cap
    return count


# At or above this many rows a user may see, a list walks its order and tests each row; below it the
# indexes find the rows and the database sorts them (narrow_to).
FEW = 500


def are_many(*parts: QuerySet[Any, Any], few: int | None = None) -> bool:
    """Whether the parts hold `few` (default FEW) rows or more together, each counted up to it."""
    few = few or FEW
    total = 0
    for part in parts:
        total += count_up_to(part, cap=few)
        if total >= few:
            return True
    return False


def narrow_to(qs: QS, condition: Q, *, many: bool) -> QS:
    """`qs` narrowed to the rows `condition` lets a user see, planned for a list newest first.

    An OR of a few indexed terms (owner, creator, id IN …) leads both databases to collect every
    matching row through the indexes and sort them: fast for a new agent with a few rows, seconds for
    a busy one with 50,000 (bench/README.md, pages). With `many`, the condition is one expression no
    index serves, so the list walks its own order (the primary key or a time index) and stops at the
    page's end, which comes soon when the user may see many of the rows."""
    if not many:
        return qs.filter(condition)
    seen = Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    return qs.alias(visible_to_user=seen).filter(visible_to_user=True)


class EarliestOf(Func):
    """The earliest of its datetime arguments that are not NULL (NULL when all are), written alike
    on both databases so that an index on it (a deadline a list is ordered by) serves the query:
    LEAST on PostgreSQL, which skips NULLs; on SQLite, whose MIN(a, b, …) is NULL as soon as one
    argument is, MIN over the arguments each coalesced with the others in turn. No constant in it:
    SQLite matches an indexed expression only when the query's is the same, parameters included."""

    function = "LEAST"
    output_field = DateTimeField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        args = self.get_source_expressions()
        rotated = [Coalesce(*args[i:], *args[:i]) for i in range(len(args))]
        return Func(*rotated, function="MIN", output_field=self.output_field).as_sql(
            compiler, connection, **extra_context
        )
