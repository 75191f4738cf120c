"""What return visits hold about a customer (kefu/core/personal_data.py): the visits and what the
customer said in them (satisfaction and reached/unreached stay for the statistics)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.core import personal_data as pd
from kefu.visits.models import ReturnVisit, VisitRecord

VISIT = ("id", "source", "channel", "state", "scheduled_at", "completed_at")
RECORD = (
    "visit", "reached", "unreached_reason", "satisfaction", "product_opinion", "service_opinion",
    "suggestions", "recorded_at",
)  # fmt: skip


def export(customer: Any) -> list[pd.Table | pd.StoredFile]:
    return [
        pd.Table("return_visits", pd.rows(ReturnVisit.objects.filter(customer=customer), VISIT)),
        pd.Table(
            "visit_records", pd.rows(VisitRecord.objects.filter(visit__customer=customer), RECORD)
        ),
    ]


def erase(customer: Any) -> dict[str, int]:
    records = VisitRecord.objects.filter(visit__customer=customer)
    said = {"product_opinion": "", "service_opinion": "", "suggestions": ""}
    return {"visit_records": pd.blank(records, **said)}


def register() -> None:
    pd.register(pd.Holder("visits", _("Return visits"), export, erase, order=40))
