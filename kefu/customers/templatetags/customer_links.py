"""`{% openable_customers rows as openable %}`: which of the customers that a page's rows name the
viewer may open, read in one query, so that a list links only those (the others are named, not
linked: a link would answer 404 or 403). `rows` is one record or an iterable of them; each names
its customer by `customer_id`."""

from collections.abc import Iterable

from django import template

from kefu.customers import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def openable_customers(context, rows, attr: str = "customer_id") -> frozenset[int]:
    user = context["request"].user
    records = rows if isinstance(rows, Iterable) else [rows]
    ids = {i for i in (getattr(r, attr, None) for r in records) if i is not None}
    if not ids or not user.is_authenticated:
        return frozenset()
    return frozenset(selectors.openable_among(user, ids))
