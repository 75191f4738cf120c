"""SMS about work orders: the appointment to the customer and to the technician when an order is
given (created, rescheduled, reassigned). Task subscribers, after commit, outside any transaction
(send_sms must not run inside one). Retry-safe: each recipient's SMS of one assignment is claimed
(`AppointmentSms`, unique) before it is sent, so a retried task never sends it twice."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.core import timeline
from kefu.core.errors import DomainError
from kefu.core.events import Delivery, subscribe
from kefu.customers.models import Customer
from kefu.dispatch.events import WorkOrderAssigned
from kefu.dispatch.models import AppointmentSms, WorkOrder
from kefu.sms.services import send_sms

logger = logging.getLogger(__name__)

CUSTOMER_TEMPLATE = "dispatch"  # 派工通知: {name} {number} {time}
TECHNICIAN_TEMPLATE = "dispatch_technician"  # 派工提醒: {number} {time} {address} {customer}


def _window(order: WorkOrder) -> str:
    start = timezone.localtime(order.appointment_start)
    end = timezone.localtime(order.appointment_end)
    return f"{start:%m-%d %H:%M}-{end:%H:%M}"


def _claim(order: WorkOrder, *, recipient: str, assignment: int) -> AppointmentSms | None:
    """Claim the SMS for this recipient of this assignment; None when a run before already did."""
    try:
        with transaction.atomic():
            return AppointmentSms.objects.create(
                work_order=order, recipient=recipient, assignment=assignment
            )
    except IntegrityError:
        return None


def _send(
    order: WorkOrder,
    *,
    to: str,
    template: str,
    params: dict[str, str],
    recipient: str,
    assignment: int,
    customer: Customer | None = None,
) -> None:
    if not to:
        return
    claim = _claim(order, recipient=recipient, assignment=assignment)
    if claim is None:
        logger.info("work order %s: %s SMS already sent, not again", order.number, recipient)
        return
    try:
        result = send_sms(to, template, params, customer=customer)
        AppointmentSms.objects.filter(pk=claim.pk).update(sms_message_id=result.message_id)
    except DomainError as refusal:  # no template, no valid number: say so on the order's history
        logger.warning("work order %s: SMS %s not sent: %s", order.number, template, refusal)
        with translation.override(settings.LANGUAGE_CODE):
            timeline.record(
                subject=order,
                customer_id=order.customer_id,
                kind="dispatch.sms_failed",
                summary=_("%(number)s: SMS not sent: %(reason)s")
                % {"number": order.number, "reason": refusal.message},
                is_internal=True,
            )


def send_appointment_sms(event: WorkOrderAssigned) -> None:
    order = (
        WorkOrder.objects.select_related("customer", "technician")
        .filter(pk=event.work_order_id)
        .first()
    )
    if order is None or order.technician_id != event.technician_id:
        return  # reassigned again meanwhile: the later event sends
    time = _window(order)
    _send(
        order,
        to=order.contact_mobile,
        template=CUSTOMER_TEMPLATE,
        params={"name": order.customer.name, "number": order.number, "time": time},
        recipient="customer",
        assignment=event.version,
        customer=order.customer,
    )
    _send(
        order,
        to=order.technician.mobile,
        template=TECHNICIAN_TEMPLATE,
        params={
            "number": order.number,
            "time": time,
            "address": order.address,
            "customer": order.customer.name,
        },
        recipient="technician",
        assignment=event.version,
    )


def register() -> None:
    subscribe(WorkOrderAssigned, f"{__name__}.send_appointment_sms", mode=Delivery.TASK)
