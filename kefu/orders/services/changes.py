"""Change requests (seed 002 ⑤⑥): an address or attribute change, or a cancellation after payment,
taken along the path the order's fulfilment state calls for. Each step is recorded with who made it
and when; the applying step checks the order is still where the path expects it, so a parcel that
left meanwhile is not changed behind the courier's back."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core import timeline
from kefu.core.errors import Conflict, DomainError, InvalidState, PermissionRefused
from kefu.core.events import emit
from kefu.core.text import strip_control_characters
from kefu.orders.events import OrderChangeFinished, OrderChangeRequested
from kefu.orders.models import (
    ChangeKind,
    ChangePath,
    ChangeRequest,
    ChangeStatus,
    FulfilmentState,
    Order,
    OrderItem,
    OrderRemark,
)
from kefu.orders.services.remarks import signed
from kefu.orders.states import APPLYING_STEPS, PATH_BY_STATE, PATH_STATES, STEP_LABELS, steps_for


def _require_serving(actor: User) -> None:
    if not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("You do not have permission to do this."))


def change_refusal(order: Order, kind: str) -> str | None:
    """Why the order's state forbids a change request of `kind` now, or None (pages hide the form)."""
    if order.state == FulfilmentState.CLOSED:
        return _("The order is closed; it cannot be changed.")
    if order.state in (FulfilmentState.SHIPPED, FulfilmentState.RECEIVED):
        return _(
            "The order has shipped: changes and cancellations are after-sales work. Open an "
            "after-sales case instead."
        )
    if kind == ChangeKind.CANCEL and order.state == FulfilmentState.UNPAID:
        return _(
            "The order is not paid: nothing to refund, the buyer can close it on the platform."
        )
    return None


def _clean(text: str, *, max_length: int) -> str:
    return strip_control_characters(text or "").strip()[:max_length]


@transaction.atomic
def request_change(
    *,
    actor: User,
    order: Order,
    kind: str,
    new_address: str = "",
    item_id: int | None = None,
    new_attributes: str = "",
    reason: str = "",
) -> ChangeRequest:
    _require_serving(actor)
    if kind not in ChangeKind.values:
        raise DomainError(_("Choose what the customer wants changed."))
    order = Order.objects.select_for_update().get(pk=order.pk)
    refusal = change_refusal(order, kind)
    if refusal:
        raise InvalidState(refusal)
    new_address = _clean(new_address, max_length=300)
    new_attributes = _clean(new_attributes, max_length=200)
    item = None
    if kind == ChangeKind.ADDRESS and not new_address:
        raise DomainError(_("Give the new address."))
    if kind == ChangeKind.ATTRIBUTES:
        item = OrderItem.objects.filter(order=order, pk=item_id).first() if item_id else None
        if item is None:
            raise DomainError(_("Choose the item to change."))
        if not new_attributes:
            raise DomainError(_("Give the new attributes."))
        if new_attributes == item.attributes:
            raise DomainError(_("The item already has these attributes."))
    path = PATH_BY_STATE[FulfilmentState(order.state)]
    try:
        with transaction.atomic():
            change = ChangeRequest.objects.create(
                order=order,
                kind=kind,
                path=path,
                new_address=new_address,
                item=item,
                new_attributes=new_attributes,
                reason=_clean(reason, max_length=300),
                created_by=actor,
            )
    except IntegrityError:
        raise Conflict(
            _("This order already has a change in progress; finish or withdraw it first.")
        ) from None
    if order.customer_id:
        timeline.record(
            subject=order,
            customer_id=order.customer_id,
            kind="orders.change_requested",
            actor=actor,
            summary=_("%(kind)s requested on order %(number)s")
            % {"kind": change.get_kind_display(), "number": order.number},
            data={"order_id": order.pk, "change_id": change.pk, "path": path},
        )
    emit(OrderChangeRequested(change_id=change.pk, order_id=order.pk, kind=kind, path=path))
    return change


def next_step(change: ChangeRequest) -> str | None:
    if change.status != ChangeStatus.OPEN:
        return None
    steps = steps_for(change.kind, change.path)
    done = len(change.steps_done)
    return steps[done] if done < len(steps) else None


def _remark_text(change: ChangeRequest, *, before: dict[str, str], actor: User) -> str:
    """The remark in the seed's words for this kind and path, signed."""
    if change.kind == ChangeKind.CANCEL:
        text = _(
            "Customer cancelled after payment; the order is void, refund handed to after-sales"
        )
    elif change.kind == ChangeKind.ADDRESS and change.path == "printed":
        text = _(
            "Customer asked to change the address, the new address is: %(address)s; changed on "
            "the delivery note and courier slip"
        ) % {"address": change.new_address}
    elif change.kind == ChangeKind.ADDRESS:
        text = _("Customer asked to change the address, the new address is: %(address)s") % {
            "address": change.new_address
        }
    elif change.path == "not_printed":
        text = _("Customer ordered %(old)s and asked for %(new)s; changed") % {
            "old": before.get("attributes", ""),
            "new": change.new_attributes,
        }
    else:
        text = _("Customer asked for %(new)s; changed on the delivery note and courier slip") % {
            "new": change.new_attributes
        }
    return signed(text, actor=actor)


def _apply(change: ChangeRequest, order: Order) -> dict[str, str]:
    """Make the change on the order; returns what it was before (kept in the step)."""
    if change.kind == ChangeKind.ADDRESS:
        before = {"address": order.address}
        order.address = change.new_address
    elif change.kind == ChangeKind.ATTRIBUTES:
        item = OrderItem.objects.select_for_update().get(pk=change.item_id or 0)
        before = {"attributes": item.attributes}
        item.attributes = change.new_attributes
        item.save(update_fields=["attributes"])
    else:
        before = {"state": order.state}
        order.state = FulfilmentState.CLOSED
    order.version += 1
    order.save()
    return before


@transaction.atomic
def record_change_step(*, actor: User, change: ChangeRequest, step: str) -> ChangeRequest:
    """Record the next step of the path (only the next one, in order)."""
    _require_serving(actor)
    change = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("item")
        .get(pk=change.pk)
    )
    order = Order.objects.select_for_update().get(pk=change.order_id)
    change.order = order
    expected = next_step(change)
    if expected is None:
        raise InvalidState(_("This change request is finished."))
    if step != expected:
        raise Conflict(
            _("The next step is “%(step)s”; reload the page.") % {"step": STEP_LABELS[expected]}
        )
    record = {
        "step": step,
        "at": timezone.now().isoformat(),
        "by": actor.pk,
        "by_name": str(actor),
    }
    if step in APPLYING_STEPS:
        if order.state not in PATH_STATES[ChangePath(change.path)]:
            raise InvalidState(
                _(
                    "The order is now “%(state)s”, so this path no longer fits; withdraw the "
                    "request and make a new one."
                )
                % {"state": order.get_state_display()}
            )
        record["before"] = _apply(change, order)
    if step == "remark":
        before: dict[str, str] = next(
            (s["before"] for s in change.steps_done if s.get("before")), {}
        )
        text = _remark_text(change, before=before, actor=actor)
        remark = OrderRemark.objects.create(order=order, text=text[:500], author=actor)
        Order.objects.filter(pk=order.pk).update(remarks_pending=True)
        record["remark_id"] = remark.pk
    if step in ("tell_desk", "reprint"):
        Order.objects.filter(pk=order.pk).update(remarks_pending=True)
    change.steps_done = [*change.steps_done, record]
    finished = next_step(change) is None
    if finished:
        change.status = ChangeStatus.DONE
        change.finished_at = timezone.now()
    change.save()
    if order.customer_id:
        timeline.record(
            subject=order,
            customer_id=order.customer_id,
            kind="orders.change_step",
            actor=actor,
            summary=_("Order %(number)s: %(step)s")
            % {"number": order.number, "step": STEP_LABELS[step]},
            data={"order_id": order.pk, "change_id": change.pk, "step": step},
        )
    if finished:
        emit(OrderChangeFinished(change_id=change.pk, order_id=order.pk, status=change.status))
    return change


@transaction.atomic
def withdraw_change(*, actor: User, change: ChangeRequest, reason: str = "") -> ChangeRequest:
    _require_serving(actor)
    change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    if change.status != ChangeStatus.OPEN:
        raise InvalidState(_("This change request is finished."))
    change.status = ChangeStatus.WITHDRAWN
    change.finished_at = timezone.now()
    change.steps_done = [
        *change.steps_done,
        {
            "step": "withdrawn",
            "at": timezone.now().isoformat(),
            "by": actor.pk,
            "by_name": str(actor),
            "reason": _clean(reason, max_length=200),
        },
    ]
    change.save()
    emit(OrderChangeFinished(change_id=change.pk, order_id=change.order_id, status=change.status))
    return change
