"""Red-flag remarks 红旗备注 (seed 002 ③④): each is a line of the order's log ending
"---2026-12-05 张三"; the printing desk 打单 sees the orders with remarks it has not confirmed."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core import timeline
from kefu.core.errors import DomainError, InvalidState, PermissionRefused
from kefu.core.events import emit
from kefu.core.text import strip_control_characters
from kefu.orders.events import OrderRemarked
from kefu.orders.models import Order, OrderRemark

MAX_REMARK = 400


def _require_serving(actor: User) -> None:
    if not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("You do not have permission to do this."))


def signed(text: str, *, actor: User) -> str:
    """The seed's signature: "…---2026-12-05 张三" (Beijing date, the writer's name)."""
    return f"{text}---{timezone.localdate().isoformat()} {actor}"


@transaction.atomic
def add_remark(*, actor: User, order: Order, text: str) -> OrderRemark:
    """Write a remark on the order and flag it for the printing desk."""
    _require_serving(actor)
    body = strip_control_characters(text or "").strip()
    if not body:
        raise DomainError(_("Write what the customer asked for."))
    if len(body) > MAX_REMARK:
        raise DomainError(_("A remark holds at most %(max)d characters.") % {"max": MAX_REMARK})
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.state == "closed":
        raise InvalidState(_("The order is closed; a remark would reach nobody."))
    if "---" not in body:
        body = signed(body, actor=actor)
    remark = OrderRemark.objects.create(order=order, text=body, author=actor)
    Order.objects.filter(pk=order.pk).update(remarks_pending=True)
    if order.customer_id:
        timeline.record(
            subject=order,
            customer_id=order.customer_id,
            kind="orders.remark",
            actor=actor,
            summary=_("Remark on order %(number)s: %(text)s")
            % {"number": order.number, "text": body[:200]},
            data={"order_id": order.pk, "remark_id": remark.pk},
        )
    emit(OrderRemarked(order_id=order.pk, remark_id=remark.pk, author_id=actor.pk))
    return remark


@transaction.atomic
def confirm_remarks(*, actor: User, order: Order) -> int:
    """The printing desk has read the order's new remarks (and changed its slips): they are
    confirmed and the order leaves the desk's list. Returns how many were confirmed."""
    _require_serving(actor)
    order = Order.objects.select_for_update().get(pk=order.pk)
    count = OrderRemark.objects.filter(order=order, confirmed_at__isnull=True).update(
        confirmed_at=timezone.now(), confirmed_by=actor
    )
    if not count and not order.remarks_pending:
        raise InvalidState(_("There is no new remark on this order to confirm."))
    Order.objects.filter(pk=order.pk).update(remarks_pending=False)
    return count
