"""Recording an order as the shop system or an import hands it over, idempotently by platform +
order number: the same order posted twice is one order; a later posting updates it (forward only)."""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core import timeline
from kefu.core.bulk_api import BULK_MAX
from kefu.core.errors import Conflict, DomainError, PermissionRefused, StrOrPromise
from kefu.core.events import emit
from kefu.core.text import strip_control_characters
from kefu.customers import identities
from kefu.customers.models import ContactIdentity, Customer, IdentityKind
from kefu.customers.selectors import find_by_identity
from kefu.orders.events import OrderRecorded
from kefu.orders.models import (
    BankTransfer,
    FulfilmentState,
    Order,
    OrderItem,
    PaymentMethod,
    Platform,
)
from kefu.orders.services.money import parse_fen, yuan
from kefu.orders.states import RANK

MAX_ITEMS = 200


@dataclass
class ItemInput:
    name: str
    sku: str = ""
    attributes: str = ""
    quantity: int = 1
    price_fen: int = 0


@dataclass
class OrderInput:
    platform: str
    number: str
    buyer_id: str = ""
    receiver_name: str = ""
    receiver_mobile: str = ""
    address: str = ""
    amount_fen: int = 0
    paid_fen: int = 0
    payment_method: str = ""
    paid_at: dt.datetime | None = None
    state: str = FulfilmentState.UNPAID
    logistics_company: str = ""
    tracking_number: str = ""
    ordered_at: dt.datetime | None = None
    items: list[ItemInput] = field(default_factory=list)


def _text(raw: object, *, label: StrOrPromise, max_length: int, required: bool = False) -> str:
    text = strip_control_characters(unicodedata.normalize("NFKC", str(raw or ""))).strip()
    if required and not text:
        raise DomainError(_("%(field)s is required.") % {"field": label})
    if len(text) > max_length:
        raise DomainError(
            _("%(field)s is longer than %(max)d characters.") % {"field": label, "max": max_length}
        )
    return text


@functools.lru_cache(maxsize=64)
def _displays(choices: type[models.TextChoices], language: str) -> dict[str, str]:
    """{display in `language`: value} of a choices class (an import names states in Chinese)."""
    with translation.override(language):
        return {str(display): value for value, display in choices.choices}


def _choice(
    raw: object, choices: type[models.TextChoices], *, label: StrOrPromise, default: str = ""
) -> str:
    text = str(raw or "").strip()
    if not text:
        return default
    if text.lower() in choices.values:
        return text.lower()
    found = _displays(choices, translation.get_language() or "")
    if text in found:
        return found[text]
    allowed = "、".join(str(display) for _value, display in choices.choices)
    raise DomainError(
        _("%(field)s: “%(value)s” is not one of: %(allowed)s")
        % {"field": label, "value": text[:30], "allowed": allowed}
    )


def _moment(raw: object, *, label: StrOrPromise) -> dt.datetime | None:
    if raw in (None, ""):
        return None
    moment: dt.datetime | None
    if isinstance(raw, dt.datetime):
        moment = raw
    else:
        text = str(raw).strip().replace("/", "-")
        moment = parse_datetime(text) if len(text) > 10 else None
        if moment is None:
            day = parse_date(text[:10]) if len(text) >= 8 else None
            moment = dt.datetime.combine(day, dt.time()) if day else None
        if moment is None:
            raise DomainError(
                _("%(field)s: “%(value)s” is not a date; write it as 2026-12-05 14:30.")
                % {"field": label, "value": str(raw)[:30]}
            )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # the shop's times are Beijing time
    return moment


def _quantity(raw: object) -> int:
    try:
        quantity = int(str(raw if raw not in (None, "") else 1).strip())
    except ValueError:
        raise DomainError(_("Quantity must be a whole number.")) from None
    if not 1 <= quantity <= 100_000:
        raise DomainError(_("Quantity must be between 1 and 100000."))
    return quantity


def clean_order(raw: dict[str, Any]) -> OrderInput:
    """An order from plain values (the API's body, an import's row), checked field by field; the
    first problem is raised as a DomainError whose message names the field."""
    items = []
    for entry in raw.get("items") or []:
        items.append(
            ItemInput(
                name=_text(
                    entry.get("name"), label=gettext_lazy("Product"), max_length=200, required=True
                ),
                sku=_text(entry.get("sku"), label=gettext_lazy("SKU"), max_length=64),
                attributes=_text(
                    entry.get("attributes"), label=gettext_lazy("Attributes"), max_length=200
                ),
                quantity=_quantity(entry.get("quantity")),
                price_fen=parse_fen(entry.get("price"), label=gettext_lazy("Unit price")),
            )
        )
    if len(items) > MAX_ITEMS:
        raise DomainError(_("An order holds at most %(max)d items.") % {"max": MAX_ITEMS})
    mobile = _text(raw.get("receiver_mobile"), label=gettext_lazy("Mobile"), max_length=20)
    if mobile:
        try:
            mobile = identities.normalise_mobile(mobile)
        except identities.InvalidIdentity as error:
            raise DomainError(str(error)) from None
    data = OrderInput(
        platform=_choice(raw.get("platform"), Platform, label=gettext_lazy("Platform")),
        number=_text(
            raw.get("number"), label=gettext_lazy("Order number"), max_length=64, required=True
        ),
        buyer_id=_text(raw.get("buyer_id"), label=gettext_lazy("Buyer id"), max_length=120),
        receiver_name=_text(
            raw.get("receiver_name"), label=gettext_lazy("Receiver"), max_length=60
        ),
        receiver_mobile=mobile,
        address=_text(raw.get("address"), label=gettext_lazy("Address"), max_length=300),
        amount_fen=parse_fen(raw.get("amount"), label=gettext_lazy("Amount")),
        paid_fen=parse_fen(raw.get("paid"), label=gettext_lazy("Paid")),
        payment_method=_choice(
            raw.get("payment_method"), PaymentMethod, label=gettext_lazy("Payment")
        ),
        paid_at=_moment(raw.get("paid_at"), label=gettext_lazy("Paid at")),
        state=_choice(
            raw.get("state"),
            FulfilmentState,
            label=gettext_lazy("State"),
            default=FulfilmentState.UNPAID,
        ),
        logistics_company=_text(
            raw.get("logistics_company"), label=gettext_lazy("Courier"), max_length=40
        ),
        tracking_number=_text(
            raw.get("tracking_number"), label=gettext_lazy("Tracking number"), max_length=64
        ),
        ordered_at=_moment(raw.get("ordered_at"), label=gettext_lazy("Ordered at")),
        items=items,
    )
    if not data.platform:
        raise DomainError(_("Platform is required."))
    if data.paid_fen > data.amount_fen and data.amount_fen:
        raise DomainError(_("Paid is more than the order's amount."))
    return data


def match_customer(*, buyer_id: str, mobile: str) -> Customer | None:
    """The archive's customer with this 旺旺 id, else with this mobile (both already normalised)."""
    if buyer_id:
        try:
            customer = find_by_identity(
                IdentityKind.WANGWANG, identities.normalise(IdentityKind.WANGWANG, buyer_id)
            )
        except identities.InvalidIdentity:
            customer = None
        if customer is not None:
            return customer
    if mobile:
        return find_by_identity(IdentityKind.MOBILE, mobile)
    return None


def require_order_intake(actor: User) -> None:
    """Orders come from the shop system (an API token) or an import: supervisors and managers."""
    if not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("You do not have permission to do this."))


ORDER_FIELDS = (
    "buyer_id",
    "receiver_name",
    "receiver_mobile",
    "address",
    "amount_fen",
    "paid_fen",
    "payment_method",
    "paid_at",
    "state",
    "logistics_company",
    "tracking_number",
    "ordered_at",
)


def _items_of(order: Order) -> list[tuple[str, str, str, int, int]]:
    return [
        (i.sku, i.name, i.attributes, i.quantity, i.price_fen) for i in order.items.order_by("id")
    ]


def _state_refusal(order: Order, new_state: str) -> str | None:
    if new_state == order.state:
        return None
    if order.state == FulfilmentState.CLOSED:
        return _("the order is closed")
    if new_state == FulfilmentState.CLOSED:
        return None
    if RANK[new_state] < RANK[order.state]:
        return _("it is already “%(state)s”; an order does not move back to “%(new)s”") % {
            "state": order.get_state_display(),
            "new": FulfilmentState(new_state).label,
        }
    return None


@transaction.atomic
def record_order(
    *, actor: User | None, data: OrderInput, check_permission: bool = True
) -> tuple[Order, bool]:
    """Create the order, or bring the stored one up to date. Returns (order, created). Posting the
    same order again changes nothing and writes no timeline entry. A state that goes back (paid after
    shipped) or any change to a closed order is refused (Conflict) and nothing is changed."""
    if check_permission and actor is not None:
        require_order_intake(actor)
    found = list(  # unique by (platform, number): [:1] with no ORDER BY to compile
        Order.objects.select_for_update()
        .filter(platform=data.platform, number=data.number)
        .order_by()[:1]
    )
    order = found[0] if found else None
    created = False
    if order is None:
        try:
            with transaction.atomic():
                order = _create(data)
                created = True
        except IntegrityError:  # another posting of the same order won the race
            order = Order.objects.select_for_update().get(
                platform=data.platform, number=data.number
            )
    if not created:
        changed = _update(order, data)
        if not changed:
            return order, False
    else:
        changed = ["created"]
    if order.customer_id and (created or "state" in changed):
        timeline.record(**_timeline_values(order, created=created))
    emit(
        OrderRecorded(
            order_id=order.pk, created=created, state=order.state, customer_id=order.customer_id
        )
    )
    return order, created


def _timeline_values(order: Order, *, created: bool) -> dict[str, Any]:
    summary = (
        _("Order %(number)s (%(platform)s, ¥%(amount)s): %(state)s")
        if created
        else _("Order %(number)s is now %(state)s")
    ) % {
        "number": order.number,
        "platform": order.get_platform_display(),
        "amount": yuan(order.amount_fen),
        "state": order.get_state_display(),
    }
    return {
        "subject": order,
        "customer_id": order.customer_id,
        "kind": "orders.created" if created else "orders.state",
        "summary": summary,
        "data": {"order_id": order.pk, "state": order.state},
    }


IMPORT_CHUNK = 500


def record_orders(*, actor: User, orders: list[OrderInput]) -> int:
    """Many orders at once (an import), in the caller's transaction, with the same outcome as
    `record_order` for each: orders already stored go through it one by one (forward only, a refusal
    raises); new ones are written in bulk per chunk — customers matched in two queries, orders, items
    and timeline entries by bulk inserts. Returns how many were created."""
    created = 0
    for start in range(0, len(orders), IMPORT_CHUNK):
        chunk = orders[start : start + IMPORT_CHUNK]
        stored = set(
            Order.objects.filter(number__in={d.number for d in chunk}).values_list(
                "platform", "number"
            )
        )
        new: dict[tuple[str, str], OrderInput] = {}
        for data in chunk:
            key = (data.platform, data.number)
            if key in stored:
                record_order(actor=actor, data=data, check_permission=False)
            else:
                new[key] = data  # a file's orders are unique by (platform, number) already
        created += len(_create_many(list(new.values())))
    return created


@transaction.atomic
def record_order_batch(
    *, actor: User, orders: list[OrderInput]
) -> list[tuple[Order, bool] | DomainError]:
    """Many orders in one transaction (the API's bulk call), each with the outcome `record_order`
    gives it — created, brought up to date, unchanged, or refused (Conflict) — returned item by
    item as (order, created) or the error. A refused item changes nothing; the others still count.
    New orders are written in bulk; stored ones, and a number repeated within the call, go through
    record_order one by one, in the call's order (idempotent by platform + number)."""
    require_order_intake(actor)
    if len(orders) > BULK_MAX:
        raise DomainError(_("At most %(max)d items in one call.") % {"max": BULK_MAX})
    stored = set(
        Order.objects.filter(number__in={d.number for d in orders}).values_list(
            "platform", "number"
        )
    )
    new: dict[tuple[str, str], int] = {}
    one_by_one: list[int] = []
    for index, data in enumerate(orders):
        key = (data.platform, data.number)
        if key in stored or key in new:
            one_by_one.append(index)
        else:
            new[key] = index
    results: dict[int, tuple[Order, bool] | DomainError] = {}
    try:
        with transaction.atomic():
            made = _create_many([orders[i] for i in new.values()])
    except IntegrityError:  # another call wrote one of them meanwhile (PostgreSQL): one by one
        one_by_one = sorted([*one_by_one, *new.values()])
    else:
        results.update({i: (order, True) for i, order in zip(new.values(), made, strict=True)})
    for index in one_by_one:
        try:
            results[index] = record_order(actor=actor, data=orders[index], check_permission=False)
        except DomainError as error:
            results[index] = error
    return [results[i] for i in range(len(orders))]


def _customers_by(kind: str, values: set[str]) -> dict[str, int]:
    if not values:
        return {}
    found: dict[str, int] = {}
    rows = ContactIdentity.objects.filter(kind=kind, value__in=values).order_by("-id")
    for value, customer_id in rows.values_list("value", "customer_id"):
        found[value] = customer_id  # the oldest identity wins, as find_by_identity's first row
    return found


def _wangwang(buyer_id: str) -> str:
    try:
        return identities.normalise(IdentityKind.WANGWANG, buyer_id) if buyer_id else ""
    except identities.InvalidIdentity:
        return ""


def _create_many(datas: list[OrderInput]) -> list[Order]:
    if not datas:
        return []
    handles = {d.number: _wangwang(d.buyer_id) for d in datas}
    by_handle = _customers_by(IdentityKind.WANGWANG, {h for h in handles.values() if h})
    by_mobile = _customers_by(
        IdentityKind.MOBILE, {d.receiver_mobile for d in datas if d.receiver_mobile}
    )
    made = Order.objects.bulk_create(
        [
            Order(
                platform=d.platform,
                number=d.number,
                customer_id=by_handle.get(handles[d.number]) or by_mobile.get(d.receiver_mobile),
                **{name: getattr(d, name) for name in ORDER_FIELDS},
            )
            for d in datas
        ],
        batch_size=IMPORT_CHUNK,
    )
    OrderItem.objects.bulk_create(
        [
            OrderItem(order=o, **vars(item))
            for o, d in zip(made, datas, strict=True)
            for item in d.items
        ],
        batch_size=IMPORT_CHUNK,
    )
    timeline.record_many(
        [timeline.unsaved_entry(**_timeline_values(o, created=True)) for o in made if o.customer_id]
    )
    for o in made:
        emit(OrderRecorded(order_id=o.pk, created=True, state=o.state, customer_id=o.customer_id))
    return made


def _create(data: OrderInput) -> Order:
    customer = match_customer(buyer_id=data.buyer_id, mobile=data.receiver_mobile)
    order = Order.objects.create(
        platform=data.platform,
        number=data.number,
        customer=customer,
        **{name: getattr(data, name) for name in ORDER_FIELDS},
    )
    OrderItem.objects.bulk_create(OrderItem(order=order, **vars(item)) for item in data.items)
    return order


def _update(order: Order, data: OrderInput) -> list[str]:
    refusal = _state_refusal(order, data.state)
    if refusal:
        raise Conflict(
            _("Order %(number)s was not changed: %(reason)s.")
            % {"number": order.number, "reason": refusal},
            current={"id": order.pk, "state": order.state, "version": order.version},
        )
    changed = []
    for name in ORDER_FIELDS:
        value = getattr(data, name)
        if name != "state" and value in ("", None, 0) and getattr(order, name):
            continue  # a posting that leaves a field out keeps what is stored
        if getattr(order, name) != value:
            setattr(order, name, value)
            changed.append(name)
    new_items = [(i.sku, i.name, i.attributes, i.quantity, i.price_fen) for i in data.items]
    if new_items and new_items != _items_of(order):
        order.items.all().delete()
        OrderItem.objects.bulk_create(OrderItem(order=order, **vars(i)) for i in data.items)
        changed.append("items")
    if order.customer_id is None:
        customer = match_customer(buyer_id=order.buyer_id, mobile=order.receiver_mobile)
        if customer is not None:
            order.customer = customer
            changed.append("customer")
    if changed:
        order.version += 1
        order.save()
    return changed


@transaction.atomic
def record_bank_transfer(
    *,
    actor: User,
    order: Order,
    payer: str,
    bank: str,
    amount_fen: int,
    transferred_on: dt.date,
    reference: str = "",
) -> BankTransfer:
    """A line of the bank-transfer register 银行转账明细 (seed 002 ⑦), on the order's log."""
    if not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("You do not have permission to do this."))
    if order.payment_method != PaymentMethod.BANK_TRANSFER:
        raise DomainError(_("This order is not paid by bank transfer."))
    if amount_fen <= 0:
        raise DomainError(_("The amount must be more than zero."))
    transfer = BankTransfer.objects.create(
        order=order,
        payer=_text(payer, label=_("Payer"), max_length=60, required=True),
        bank=_text(bank, label=_("Bank"), max_length=60),
        amount_fen=amount_fen,
        transferred_on=transferred_on,
        reference=_text(reference, label=_("Reference"), max_length=64),
        recorded_by=actor,
    )
    if order.customer_id:
        timeline.record(
            subject=order,
            customer_id=order.customer_id,
            kind="orders.bank_transfer",
            actor=actor,
            summary=_("Bank transfer of ¥%(amount)s registered for order %(number)s")
            % {"amount": yuan(amount_fen), "number": order.number},
            data={"order_id": order.pk, "transfer_id": transfer.pk},
        )
    return transfer


@transaction.atomic
def link_orders_of_customer(*, customer_id: int) -> int:
    """Orders that came in before their buyer had an archive: once a customer exists (or their
    mobile changed), the unmatched orders with their mobile or 旺旺 id are linked to them. Returns
    how many. Idempotent (a TASK subscriber may run twice)."""
    pairs = list(
        ContactIdentity.objects.filter(
            customer_id=customer_id, kind__in=[IdentityKind.MOBILE, IdentityKind.WANGWANG]
        ).values_list("kind", "value")
    )
    mobiles = [value for kind, value in pairs if kind == IdentityKind.MOBILE]
    buyers = [value for kind, value in pairs if kind == IdentityKind.WANGWANG]
    if not (mobiles or buyers):
        return 0
    unmatched = Order.objects.filter(customer__isnull=True).filter(
        Q(receiver_mobile__in=mobiles) | Q(buyer_id__in=buyers)
    )
    linked = 0
    for order in unmatched.select_for_update()[:1000]:
        order.customer_id = customer_id
        order.version += 1
        order.save(update_fields=["customer", "version", "updated_at"])
        timeline.record(
            subject=order,
            customer_id=customer_id,
            kind="orders.created",
            summary=_("Order %(number)s (%(platform)s, ¥%(amount)s): %(state)s")
            % {
                "number": order.number,
                "platform": order.get_platform_display(),
                "amount": yuan(order.amount_fen),
                "state": order.get_state_display(),
            },
            data={"order_id": order.pk, "state": order.state, "linked": True},
        )
        linked += 1
    return linked


@transaction.atomic
def move_orders_to_survivor(*, merged_id: int, survivor_id: int) -> int:
    """A merge moves the merged-away customer's orders to the survivor."""
    return Order.objects.filter(customer_id=merged_id).update(customer_id=survivor_id)
