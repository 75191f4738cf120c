"""The ticket list's search, shared by the page and the API: a saved view, then filters."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kefu.accounts.models import User
from kefu.core.querysets import filter_given
from kefu.tickets import selectors
from kefu.tickets.models import Ticket
from kefu.tickets.states import OPEN_STATES


def search_tickets(
    *, user: User, view: str = "", q: str = "", type: str = "", state: str = "", priority: str = "",
    category: int | None = None, oldest_first: bool = False,
) -> QuerySet[Ticket]:
    """Tickets `user` may see: in the saved view `view` (selectors.SAVED_VIEWS, or all), matching the
    number (exact, any case), the subject (contains) or the customer's name (exact); `state` may be
    "open" for every state but closed; `category` includes its subcategories."""
    qs = selectors.saved_view(user=user, view=view) if view in selectors.SAVED_VIEWS else selectors.visible_tickets(user)
    qs = filter_given(qs, type=type, priority=priority)
    q = q.strip()
    if q:
        qs = qs.filter(Q(number=q.upper()) | Q(subject__icontains=q) | Q(customer__name=q))
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state:
        qs = qs.filter(state=state)
    if category:
        qs = qs.filter(Q(category_id=category) | Q(category__parent_id=category))
    return qs.order_by("id" if oldest_first else "-id")
