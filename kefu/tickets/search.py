"""The ticket list's search, shared by the page and the API: a saved view, then filters, then the
words of `q` through the search index (kefu/tickets/documents.py says what a ticket is found by)."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from kefu.accounts.models import User
from kefu.core import search
from kefu.core.querysets import filter_given
from kefu.tickets import selectors
from kefu.tickets.documents import TICKETS
from kefu.tickets.models import Ticket
from kefu.tickets.states import OPEN_STATES

# A whole ticket number (TS20261123-0001) is looked up by its unique index; anything else is searched.
FULL_NUMBER = re.compile(r"[A-Za-z]{2}\d{8}-\d{4,}")


def search_tickets(
    *,
    user: User,
    view: str = "",
    q: str = "",
    type: str = "",
    state: str = "",
    priority: str = "",
    category: int | None = None,
    oldest_first: bool = False,
) -> QuerySet[Ticket]:
    """Tickets `user` may see: in the saved view `view` (selectors.SAVED_VIEWS, or all), matching
    `q` — a whole number exactly; otherwise every word of it in the ticket's number, text, complainant,
    customer's name or mobile (search index, by prefix for numbers and names); `state` may be "open"
    for every state but closed; `category` includes its subcategories. Newest first (by id): page it
    with keyset_page."""
    qs = (
        selectors.saved_view(user=user, view=view)
        if view in selectors.SAVED_VIEWS
        else selectors.visible_tickets(user)
    )
    qs = filter_given(qs, type=type, priority=priority)
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state:
        qs = qs.filter(state=state)
    if category:
        qs = qs.filter(Q(category_id=category) | Q(category__parent_id=category))
    qs = qs.order_by("id" if oldest_first else "-id")
    q = search.clean_query(q)
    if FULL_NUMBER.fullmatch(q):
        return qs.filter(number=q.upper())
    if q:
        return search.filter(qs, TICKETS, q)
    return qs
