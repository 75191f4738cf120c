"""Orders API: the shop system posts orders (idempotently by platform + number); agents read them,
write remarks, and walk change requests. The same services as the pages."""

from typing import Any

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _
from ninja import P, QueryEx, Router, Status

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.masking import PersonalKind, for_viewer
from kefu.accounts.models import User
from kefu.core import ratelimit
from kefu.core.bulk_api import checked_items, refused_by_rule
from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.pagination import keyset_page
from kefu.orders import selectors
from kefu.orders.models import BankTransfer, ChangeRequest, Order, OrderRemark
from kefu.orders.schemas import (
    ChangeIn,
    ChangeOut,
    ConfirmOut,
    OrderIn,
    OrderOut,
    OrderPage,
    OrdersBulkIn,
    OrdersBulkOut,
    PromiseOut,
    RemarkIn,
    RemarkOut,
    StepIn,
    StockIn,
    TransferIn,
    TransferOut,
    WithdrawIn,
)
from kefu.orders.services import changes, orders, promises, remarks
from kefu.orders.services.money import parse_fen
from kefu.orders.services.orders import (
    OrderInput,
    clean_order,
    record_order,
    record_order_batch,
    require_order_intake,
)
from kefu.orders.states import steps_for

router = Router(tags=["orders"])


def order_out(order: Order, viewer: User, *, created: bool = False) -> dict[str, Any]:
    return {
        **{
            name: getattr(order, name)
            for name in (
                "id",
                "platform",
                "number",
                "buyer_id",
                "customer_id",
                "receiver_name",
                "address",
                "amount_fen",
                "paid_fen",
                "payment_method",
                "paid_at",
                "state",
                "logistics_company",
                "tracking_number",
                "ordered_at",
                "remarks_pending",
                "version",
            )
        },
        "receiver_mobile": for_viewer(order.receiver_mobile, PersonalKind.MOBILE, viewer=viewer)
        if order.receiver_mobile
        else "",
        "state_label": order.get_state_display(),
        "created": created,
        "items": list(order.items.all()),
    }


def change_out(change: ChangeRequest) -> dict[str, Any]:
    return {
        "id": change.pk,
        "order_id": change.order_id,
        "kind": change.kind,
        "path": change.path,
        "status": change.status,
        "steps": steps_for(change.kind, change.path),
        "steps_done": change.steps_done,
        "next_step": changes.next_step(change),
    }


def _order(request: AuthenticatedRequest, order_id: int) -> Order:
    return selectors.access_order(actor=request.user, order_id=order_id, request=request)


@router.post(
    "/orders",
    response={200: OrderOut, 201: OrderOut},
    summary="Post an order (idempotent by platform + number: 201 when created, 200 when it existed)",
)
def post_order(request: AuthenticatedRequest, body: OrderIn) -> Status[dict[str, Any]]:
    require_order_intake(request.user)
    data = clean_order(body.dict())
    order, created = record_order(actor=request.user, data=data)
    prefetch_related_objects([order], "items")  # the order as written; its items as stored
    return Status(201 if created else 200, order_out(order, request.user, created=created))


@router.post(
    "/orders/bulk",
    response=OrdersBulkOut,
    summary="Post up to 100 orders in one call (idempotent by platform + number, a result per item)",
    description=(
        "Each item is the body of POST /orders, checked and recorded by the same rules, all in one "
        "transaction: status 201 created, 200 already there (updated or unchanged), 409 refused "
        "(a state that goes back, a closed order), 400 or 422 not valid — a refused item changes "
        "nothing, the others still count. Counts as one call per item against the rate limits."
    ),
)
def post_orders(request: AuthenticatedRequest, body: OrdersBulkIn) -> dict[str, Any]:
    require_order_intake(request.user)
    ratelimit.charge(request, len(body.items))
    good, results = checked_items(OrderIn, body.items)
    cleaned: dict[int, OrderInput] = {}
    for index, item in good.items():
        try:
            cleaned[index] = clean_order(item.dict())
        except DomainError as error:
            results[index] = refused_by_rule(index, error)
    indexes = list(cleaned)
    outcomes = record_order_batch(actor=request.user, orders=[cleaned[i] for i in indexes])
    for index, outcome in zip(indexes, outcomes, strict=True):
        if isinstance(outcome, DomainError):
            results[index] = refused_by_rule(index, outcome)
        else:
            order, created = outcome
            results[index] = {
                "index": index,
                "status": 201 if created else 200,
                "id": order.pk,
                "number": order.number,
            }
    statuses = [r["status"] for r in results.values()]
    return {
        "created": statuses.count(201),
        "updated_or_unchanged": statuses.count(200),
        "results": [results[i] for i in range(len(body.items))],
    }


@router.get("/orders", response=OrderPage, summary="List orders (newest first)")
def list_orders(
    request: AuthenticatedRequest,
    q: QueryEx[str, P(max_length=120)] = "",
    state: str = "",
    platform: str = "",
    customer_id: QueryEx[int | None, P(ge=1, le=2**31 - 1)] = None,
    pending: bool = False,
    cursor: int | None = None,
    limit: QueryEx[int, P(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    if not selectors.may_see_orders(request.user):
        raise PermissionRefused(_("You do not have permission to do this."))
    qs = selectors.order_list(request.user, q=q, state=state, platform=platform, pending=pending)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    page = keyset_page(qs.prefetch_related("items"), cursor=cursor, size=limit)
    return {
        "items": [order_out(o, request.user) for o in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get("/orders/{order_id}", response=OrderOut, summary="One order with its items")
def get_order(request: AuthenticatedRequest, order_id: int) -> dict[str, Any]:
    return order_out(_order(request, order_id), request.user)


@router.post(
    "/orders/{order_id}/remarks",
    response={201: RemarkOut},
    summary="Write a red-flag remark (红旗备注); signed with the date and the writer's name",
)
def post_remark(
    request: AuthenticatedRequest, order_id: int, body: RemarkIn
) -> Status[OrderRemark]:
    remark = remarks.add_remark(actor=request.user, order=_order(request, order_id), text=body.text)
    return Status(201, remark)


@router.post(
    "/orders/{order_id}/remarks/confirm",
    response=ConfirmOut,
    summary="The printing desk confirms the order's new remarks",
)
def confirm_remarks(request: AuthenticatedRequest, order_id: int) -> dict[str, int]:
    count = remarks.confirm_remarks(actor=request.user, order=_order(request, order_id))
    return {"confirmed": count}


@router.post(
    "/orders/{order_id}/changes",
    response={201: ChangeOut},
    summary="Start a change request (address, attributes, cancel): its path follows the order's state",
)
def post_change(
    request: AuthenticatedRequest, order_id: int, body: ChangeIn
) -> Status[dict[str, Any]]:
    change = changes.request_change(
        actor=request.user, order=_order(request, order_id), **body.dict()
    )
    return Status(201, change_out(change))


@router.post(
    "/orders/{order_id}/changes/{change_id}/steps",
    response=ChangeOut,
    summary="Record the next step of a change request",
)
def post_change_step(
    request: AuthenticatedRequest, order_id: int, change_id: int, body: StepIn
) -> dict[str, Any]:
    order = _order(request, order_id)
    change = selectors.access_change(actor=request.user, order=order, change_id=change_id)
    return change_out(changes.record_change_step(actor=request.user, change=change, step=body.step))


@router.post(
    "/orders/{order_id}/changes/{change_id}/withdraw",
    response=ChangeOut,
    summary="Withdraw an open change request",
)
def post_change_withdraw(
    request: AuthenticatedRequest, order_id: int, change_id: int, body: WithdrawIn
) -> dict[str, Any]:
    order = _order(request, order_id)
    change = selectors.access_change(actor=request.user, order=order, change_id=change_id)
    return change_out(
        changes.withdraw_change(actor=request.user, change=change, reason=body.reason)
    )


@router.post(
    "/orders/{order_id}/transfers",
    response={201: TransferOut},
    summary="Register a bank transfer (银行转账明细) for an order paid by bank transfer",
)
def post_transfer(
    request: AuthenticatedRequest, order_id: int, body: TransferIn
) -> Status[BankTransfer]:
    transfer = orders.record_bank_transfer(
        actor=request.user,
        order=_order(request, order_id),
        payer=body.payer,
        bank=body.bank,
        amount_fen=parse_fen(body.amount, label=_("Amount")),
        transferred_on=body.transferred_on,
        reference=body.reference,
    )
    return Status(201, transfer)


@router.put(
    "/stock/{sku}", response=PromiseOut, summary="Set the stock of a SKU (the warehouse's count)"
)
def put_stock(request: AuthenticatedRequest, sku: str, body: StockIn) -> promises.Promise:
    stock = promises.set_stock(actor=request.user, sku=sku, quantity=body.quantity, name=body.name)
    return promises.promise_for(sku=stock.sku)


@router.get(
    "/stock/{sku}/promise",
    response=PromiseOut,
    summary="Stock of a SKU and the day it ships if paid now, in one line",
)
def get_promise(request: AuthenticatedRequest, sku: str) -> promises.Promise:
    if not selectors.may_see_orders(request.user):
        raise PermissionRefused(_("You do not have permission to do this."))
    return promises.promise_for(sku=sku[:64])
