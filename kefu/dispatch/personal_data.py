"""What dispatch orders hold about a customer (kefu/core/personal_data.py): contact, address and
what was said; the times and states stay for the statistics."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.core import personal_data as pd
from kefu.dispatch.models import WorkOrder, WorkOrderPhoto

FIELDS = (
    "number", "state", "contact_mobile", "address", "area", "problem", "appointment_start",
    "completed_at", "completion_note", "confirmed_by", "visit_outcome",
)  # fmt: skip


def export(customer: Any) -> list[pd.Table | pd.StoredFile]:
    return [
        pd.Table("work_orders", pd.rows(WorkOrder.objects.filter(customer=customer), FIELDS)),
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
    }


def register() -> None:
    pd.register(pd.Holder("dispatch", _("Dispatch orders"), export, erase, order=40))
