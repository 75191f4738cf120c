"""What return visits hold about a customer (kefu/core/personal_data.py): the visits and what the
customer said in them, survey answers and care messages (satisfaction, scores, reached/unreached
and states stay for the statistics)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.core import personal_data as pd
from kefu.visits.models import CareMessage, ReturnVisit, SurveyAnswer, VisitRecord

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
        pd.Table(
            "survey_answers", pd.rows(_answers(customer), ("score", "answers", "answered_at"))
        ),
        pd.Table(
            "care_messages",
            pd.rows(
                CareMessage.objects.filter(customer=customer),
                ("kind", "template_code", "params", "scheduled_at", "state", "sent_at"),
            ),
        ),
    ]


def erase(customer: Any) -> dict[str, int]:
    records = VisitRecord.objects.filter(visit__customer=customer)
    said = {"product_opinion": "", "service_opinion": "", "suggestions": ""}
    return {
        "visit_records": pd.blank(records, **said),
        "survey_answers": pd.blank(_answers(customer), answers={}),  # the score stays
        "care_messages": pd.blank(CareMessage.objects.filter(customer=customer), params={}),
    }


def _answers(customer: Any) -> Any:
    return SurveyAnswer.objects.filter(invitation__customer=customer)


def register() -> None:
    pd.register(pd.Holder("visits", _("Return visits"), export, erase, order=40))
