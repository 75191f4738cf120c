"""Keyset pagination: pages by id, never COUNT(*) or OFFSET (ARCHITECTURE.md).

    page = keyset_page(queryset, cursor=request.GET.get("cursor"), size=50)
    page.items, page.next_cursor, page.has_next

The queryset must be ordered by id (ascending or descending); the cursor is the last id shown.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass
class Page:
    items: list[Any]
    next_cursor: int | None
    cursor: int | None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def _parse_cursor(cursor: Any) -> int | None:
    try:
        value = int(cursor)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**63 else None  # beyond a 64-bit id it names no row (and SQLite overflows)


def keyset_page(qs: QuerySet, *, cursor: Any = None, size: int = DEFAULT_PAGE_SIZE) -> Page:
    size = max(1, min(int(size), MAX_PAGE_SIZE))
    ordering = qs.query.order_by or qs.model._meta.ordering
    descending = bool(ordering) and ordering[0] in ("-id", "-pk")
    parsed = _parse_cursor(cursor)
    if parsed is not None:
        qs = qs.filter(id__lt=parsed) if descending else qs.filter(id__gt=parsed)
    rows = list(qs.order_by("-id" if descending else "id")[: size + 1])
    has_next = len(rows) > size
    rows = rows[:size]
    return Page(items=rows, next_cursor=rows[-1].id if has_next else None, cursor=parsed)
