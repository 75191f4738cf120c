"""Reads of the orders app, who may see orders, and the figures the reports app reads.

Orders are the shop's, not one agent's: everyone who serves customers may look any order up (a buyer
in a chat asks about an order whoever took it). Personal data on them is masked on the pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404, HttpRequest

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.orders.models import (
    ChangeRequest,
    ChangeStatus,
    FulfilmentState,
    ImportStatus,
    Order,
    OrderImport,
    OrderRemark,
    Stock,
)


def may_see_orders(user: User) -> bool:
    return user.has_perm(Perm.SERVE_CUSTOMERS)


def may_import_orders(user: User) -> bool:
    return user.has_perm(Perm.ASSIGN_WORK)


def visible_orders(user: User) -> QuerySet[Order]:
    return Order.objects.all() if may_see_orders(user) else Order.objects.none()


def access_order(*, actor: User, order_id: int, request: HttpRequest | None = None) -> Order:
    """The order if `actor` may see orders; 404 (audited when it exists) otherwise."""
    order = Order.objects.select_related("customer").filter(pk=order_id).first()
    if order is None:
        raise Http404
    if not may_see_orders(actor):
        audit(AuditAction.ACCESS_DENIED, actor=actor, obj=order, request=request)
        raise Http404
    return order


def access_change(*, actor: User, order: Order, change_id: int) -> ChangeRequest:
    change = (
        ChangeRequest.objects.select_related("item", "created_by")
        .filter(pk=change_id, order=order)
        .first()
    )
    if change is None:
        raise Http404
    return change


def access_order_import(
    *, actor: User, job_id: int, request: HttpRequest | None = None
) -> OrderImport:
    job = OrderImport.objects.filter(pk=job_id).first()
    if job is None:
        raise Http404
    if job.created_by_id != actor.pk and not actor.has_perm(Perm.VIEW_AUDIT_LOG):
        audit(AuditAction.ACCESS_DENIED, actor=actor, obj=job, request=request)
        raise Http404
    return job


def order_list(
    user: User, *, q: str = "", state: str = "", platform: str = "", pending: bool = False
) -> QuerySet[Order]:
    """The list page's orders, newest first; `q` is an order number, a 旺旺 id or a tracking number
    (exact: each is an indexed look-up, never LIKE over the table)."""
    qs = visible_orders(user).select_related("customer").order_by("-id")
    if state:
        qs = qs.filter(state=state)
    if platform:
        qs = qs.filter(platform=platform)
    if pending:
        qs = qs.filter(remarks_pending=True)
    q = q.strip()
    if q:
        qs = qs.filter(Q(number=q) | Q(buyer_id=q) | Q(tracking_number=q))
    return qs


def customer_orders(customer_id: int, *, limit: int = 10) -> list[Order]:
    """A customer's latest orders with their items (the customer page and the chat's pane): one
    query on (customer, -id), one for the items."""
    return list(
        Order.objects.filter(customer_id=customer_id)
        .order_by("-id")
        .prefetch_related("items")[:limit]
    )


def desk_queue(user: User) -> QuerySet[Order]:
    """The printing desk's list: orders with remarks it has not confirmed, oldest first."""
    return (
        visible_orders(user)
        .filter(remarks_pending=True)
        .exclude(state=FulfilmentState.CLOSED)
        .order_by("id")
        .prefetch_related("remarks")
    )


def open_change(order: Order) -> ChangeRequest | None:
    return (
        ChangeRequest.objects.select_related("item", "created_by")
        .filter(order=order, status=ChangeStatus.OPEN)
        .first()
    )


def recent_imports(user: User) -> QuerySet[OrderImport]:
    qs = OrderImport.objects.order_by("-id")
    return qs if user.has_perm(Perm.VIEW_AUDIT_LOG) else qs.filter(created_by=user)


def order_figures(*, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Figures for the reports app over [start, end): orders created, their amount and what was paid
    (fen), orders by fulfilment state, change requests by kind and outcome, remarks written. SQL
    aggregates over indexed columns, no loop over rows."""
    orders = Order.objects.filter(created_at__gte=start, created_at__lt=end)
    totals = orders.aggregate(
        count=Count("id"), amount_fen=Sum("amount_fen"), paid_fen=Sum("paid_fen")
    )
    by_state = {
        row["state"]: row["n"] for row in orders.values("state").annotate(n=Count("id")).order_by()
    }
    changes = ChangeRequest.objects.filter(created_at__gte=start, created_at__lt=end)
    by_change = {
        (row["kind"], row["status"]): row["n"]
        for row in changes.values("kind", "status").annotate(n=Count("id")).order_by()
    }
    remarks = OrderRemark.objects.filter(created_at__gte=start, created_at__lt=end)
    return {
        "orders": totals["count"] or 0,
        "amount_fen": totals["amount_fen"] or 0,
        "paid_fen": totals["paid_fen"] or 0,
        "by_state": {state: by_state.get(state, 0) for state in FulfilmentState.values},
        "changes": [
            {"kind": kind, "status": status, "count": count}
            for (kind, status), count in sorted(by_change.items())
        ],
        "remarks": remarks.count(),
        "remarks_confirmed": remarks.filter(confirmed_at__isnull=False).count(),
        "imports": OrderImport.objects.filter(
            created_at__gte=start, created_at__lt=end, status=ImportStatus.IMPORTED
        ).count(),
    }


def stock_list(*, q: str = "") -> QuerySet[Stock]:
    """Stock rows by SKU; `q` matches a SKU's start or a word of the product's name."""
    qs = Stock.objects.order_by("-id")
    if q:
        qs = qs.filter(Q(sku__istartswith=q) | Q(name__icontains=q))
    return qs
