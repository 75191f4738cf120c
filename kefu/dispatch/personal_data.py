"""What dispatch orders hold about a customer (kefu/core/personal_data.py): contact, address and
what was said, and the appointment SMS that told the technician their name and address (sent to
the technician, so not among the customer's own messages); the times and states stay for the
statistics."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.core import personal_data as pd
from kefu.dispatch.models import AppointmentSms, WorkOrder, WorkOrderPhoto
from kefu.sms.models import SmsMessage

FIELDS = (
    "number", "state", "contact_mobile", "address", "area", "problem", "appointment_start",
    "completed_at", "completion_note", "confirmed_by", "visit_outcome",
)  # fmt: skip


def _technician_sms(customer: Any) -> Any:
    sent = AppointmentSms.objects.filter(work_order__customer=customer, recipient="technician")
    return SmsMessage.objects.filter(pk__in=sent.values("sms_message_id"))


def export(customer: Any) -> list[pd.Table | pd.StoredFile]:
    return [
        pd.Table("work_orders", pd.rows(WorkOrder.objects.filter(customer=customer), FIELDS)),
        pd.Table("technician_sms", pd.rows(_technician_sms(customer), ("created_at", "body"))),
        *pd.files(
            WorkOrderPhoto.objects.filter(work_order__customer=customer), "work_order_photos"
        ),
    ]


def erase(customer: Any) -> dict[str, int]:
    orders = WorkOrder.objects.filter(customer=customer)
    said = {"problem": pd.ERASED, "completion_note": "", "visit_outcome": "", "confirmed_by": ""}
    photos = WorkOrderPhoto.objects.filter(work_order__customer=customer)
    return {
        "work_orders": pd.blank(orders, contact_mobile="", address=pd.ERASED, **said),
        "work_order_photos": pd.delete_files(photos),
        "technician_sms": pd.blank(_technician_sms(customer), params={}, body=pd.ERASED),
    }


def register() -> None:
    pd.register(pd.Holder("dispatch", _("Dispatch orders"), export, erase, order=40))
