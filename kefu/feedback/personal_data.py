"""What feedback reports hold about a customer (kefu/core/personal_data.py). A problem made of a
report takes the report's title (services.group_report): erased with it, while the problem, its
state and the reports it counts stay."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.core import personal_data as pd
from kefu.feedback.models import FeedbackReport, Screenshot
from kefu.feedback.selectors import problems_titled_by

FIELDS = ("id", "channel", "category", "severity", "title", "steps", "device", "app_version")


def export(customer: Any) -> list[pd.Table | pd.StoredFile]:
    return [
        pd.Table("feedback", pd.rows(FeedbackReport.objects.filter(customer=customer), FIELDS)),
        *pd.files(Screenshot.objects.filter(report__customer=customer), "feedback_screenshots"),
    ]


def erase(customer: Any) -> dict[str, int]:
    reports = FeedbackReport.objects.filter(customer=customer)
    return {
        "feedback_problems": pd.blank(problems_titled_by(customer.pk), title=pd.ERASED),
        "feedback": pd.blank(reports, title=pd.ERASED, steps="", device=""),
        "feedback_screenshots": pd.delete_files(
            Screenshot.objects.filter(report__customer=customer)
        ),
    }


def register() -> None:
    pd.register(pd.Holder("feedback", _("Feedback and bugs"), export, erase, order=40))
