"""Feedback in the reports (docs/reports.md): reports received by category, severity and channel."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kefu.core.reporting import Column, Dimension, Figure
from kefu.feedback.models import Category, FeedbackReport, ReportChannel, Severity


def reports() -> QuerySet[FeedbackReport]:
    return FeedbackReport.objects.all()


FIGURES = [
    Figure(
        key="feedback_reports",
        label=_("Feedback and bug reports"),
        records="kefu.feedback.report_figures.reports",
        date_field="created_at",
        dimensions={
            "region": Dimension("customer__region"),
            "street": Dimension("customer__street"),
            # not "category" or "channel": the report page's filters of those names are the
            # tickets' category ids and channels
            "kind": Dimension("category", choices=tuple(Category.choices)),
            "severity": Dimension("severity", choices=tuple(Severity.choices)),
            "reported_through": Dimension("channel", choices=tuple(ReportChannel.choices)),
        },
        breakdown="kind",
        record_columns=(
            Column(_("Title"), "title"),
            Column(_("Customer"), "customer__name"),
            Column(_("Category"), "category", choices=tuple(Category.choices)),
            Column(_("Severity"), "severity", choices=tuple(Severity.choices)),
        ),
        record_url="feedback:report",
        record_access="kefu.feedback.selectors.visible_reports",
        description=_("Feedback and bugs reported by customers (desk, widget and webhook)."),
        higher_is_better=False,
        order=87,
    ),
]
