"""Keyset pagination: pages by id, or by a time and then id, never COUNT(*) or OFFSET (ARCHITECTURE.md).

    page = keyset_page(queryset, cursor=request.GET.get("cursor"), size=50)
    page.items, page.next_cursor, page.has_next

By default the queryset must be ordered by id (ascending or descending); the cursor is the last id
shown. Ordered by a datetime column that is never null and then id, both the same way
(`order_by("-started_at", "-id")`, or `by="-started_at"`), the pages follow that time; the cursor is
then `<microseconds since 1970>_<id>` of the last row and the index behind the order should be
(column, id). A queryset narrowed by kefu.core.search.filter() is paged by reading the search index
in id order (growing batches, each filtered by the rest of the queryset), not by testing every row.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from kefu.core.search.engine import page_ids, split_match

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass
class Page:
    items: list[Any]
    next_cursor: int | str | None
    cursor: int | str | None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def _parse_cursor(cursor: Any) -> int | None:
    try:
        value = int(cursor)
    except (TypeError, ValueError):
        return None
    return (
        value if 0 < value < 2**63 else None
    )  # beyond a 64-bit id it names no row (and SQLite overflows)


def _parse_time_cursor(cursor: Any) -> tuple[dt.datetime, int] | None:
    micros, _sep, last_id = str(cursor or "").partition("_")
    if not (micros.isdigit() and len(micros) <= 17 and _parse_cursor(last_id)):
        return None
    return EPOCH + dt.timedelta(microseconds=int(micros)), int(last_id)


def _time_cursor(moment: dt.datetime, pk: int) -> str:
    return f"{(moment - EPOCH) // dt.timedelta(microseconds=1)}_{pk}"


def keyset_page(
    qs: QuerySet[Any, Any],
    *,
    cursor: Any = None,
    size: int = DEFAULT_PAGE_SIZE,
    by: str | None = None,
) -> Page:
    size = max(1, min(int(size), MAX_PAGE_SIZE))
    if by is not None:  # a time order named here rather than on the queryset
        qs = qs.order_by(by, "-id" if by.startswith("-") else "id")
    ordering = list(qs.query.order_by or qs.model._meta.ordering)
    if len(ordering) == 2 and ordering[1] in ("id", "-id") and ordering[0].lstrip("-") != "pk":
        return _time_page(qs, ordering, cursor=cursor, size=size)
    descending = bool(ordering) and ordering[0] in ("-id", "-pk")
    parsed = _parse_cursor(cursor)
    searched = split_match(qs)
    if searched is not None:
        rows = page_ids(
            searched.rest, searched.match, after=parsed, count=size + 1, descending=descending
        )
        has_next = len(rows) > size
        rows = rows[:size]
        return Page(items=rows, next_cursor=rows[-1].pk if has_next else None, cursor=parsed)
    if parsed is not None:
        qs = qs.filter(id__lt=parsed) if descending else qs.filter(id__gt=parsed)
    rows = list(qs.order_by("-id" if descending else "id")[: size + 1])
    has_next = len(rows) > size
    rows = rows[:size]
    return Page(items=rows, next_cursor=rows[-1].pk if has_next else None, cursor=parsed)


def _time_page(qs: QuerySet[Any, Any], ordering: list[str], *, cursor: Any, size: int) -> Page:
    """A page ordered by (a non-null datetime, id), both ascending or both descending."""
    field = ordering[0].lstrip("-")
    descending = ordering[0].startswith("-")
    if descending != ordering[1].startswith("-"):
        raise ValueError("keyset_page: the time and the id must be ordered the same way")
    parsed = _parse_time_cursor(cursor)
    if parsed is not None:
        moment, last_id = parsed
        op = "lt" if descending else "gt"
        qs = qs.filter(Q(**{f"{field}__{op}": moment}) | Q(**{field: moment, f"id__{op}": last_id}))
    rows = list(qs.order_by(*ordering)[: size + 1])
    has_next = len(rows) > size
    rows = rows[:size]
    next_cursor = _time_cursor(getattr(rows[-1], field), rows[-1].pk) if has_next else None
    return Page(items=rows, next_cursor=next_cursor, cursor=cursor if parsed else None)
