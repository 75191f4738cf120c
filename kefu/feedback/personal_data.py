"""What feedback reports hold about a customer (kefu/core/personal_data.py)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.core import personal_data as pd
from kefu.feedback.models import FeedbackReport, Screenshot

FIELDS = ("id", "channel", "category", "severity", "title", "steps", "device", "app_version")


def export(customer: Any) -> list[pd.Table | pd.StoredFile]:
    return [
        pd.Table("feedback", pd.rows(FeedbackReport.objects.filter(customer=customer), FIELDS)),
        *pd.files(Screenshot.objects.filter(report__customer=customer), "feedback_screenshots"),
    ]


def erase(customer: Any) -> dict[str, int]:
    reports = FeedbackReport.objects.filter(customer=customer)
    return {
        "feedback": pd.blank(reports, title=pd.ERASED, steps="", device=""),
        "feedback_screenshots": pd.delete_files(
            Screenshot.objects.filter(report__customer=customer)
        ),
    }


def register() -> None:
    pd.register(pd.Holder("feedback", _("Feedback and bugs"), export, erase, order=40))
