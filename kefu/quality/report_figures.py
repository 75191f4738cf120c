"""Quality and performance in the reports (kefu/core/reporting.py, docs/reports.md): the automatic
quality score of the checked conversations and the share where the customer complained, by agent,
team and channel; the performance sheets' scores (绩效考核表) signed in the period, by agent."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.accounts.roles import Perm
from kefu.core.reporting import Column, Dimension, Figure, Measure
from kefu.quality.models import Inspection, PerformanceSheet, PerformanceState


def checked() -> QuerySet[Inspection]:
    return Inspection.objects.filter(agent__isnull=False)


def signed_sheets() -> QuerySet[PerformanceSheet]:
    return PerformanceSheet.objects.exclude(state=PerformanceState.DRAFT).filter(
        score__isnull=False
    )


AGENT = Dimension(
    "agent_id",
    ("agent__display_name", "agent__username"),
    options="kefu.tickets.report_figures.agent_options",
)
DIMENSIONS = {
    "agent": AGENT,
    "team": Dimension(
        "conversation__team_id",
        ("conversation__team__name",),
        options="kefu.conversations.report_figures.team_options",
    ),
    "channel": Dimension("channel"),
}
COLUMNS = (
    Column(_("Chat"), "conversation_id"),
    Column(_("Agent"), "agent__display_name"),
    Column(_("Automatic score"), "score"),
)
RECORDS = "kefu.quality.report_figures."

FIGURES = [
    Figure(
        key="quality_score",
        label=_("Quality score"),
        records=RECORDS + "checked",
        date_field="closed_at",
        dimensions=DIMENSIONS,
        measure=Measure("average", field="score", digits=1),
        breakdown="agent",
        record_columns=COLUMNS,
        record_url="quality:inspection",
        record_access="kefu.quality.selectors.visible_inspections",
        description=_("Average automatic quality score (0–100) of the conversations closed."),
        unit=pgettext_lazy("unit", "points"),
        order=80,
    ),
    Figure(
        key="complained_chats",
        label=_("Chats with a complaint"),
        records=RECORDS + "checked",
        date_field="closed_at",
        dimensions=DIMENSIONS,
        measure=Measure("share", condition=Q(complained=True), digits=1),
        breakdown="agent",
        record_columns=COLUMNS,
        record_url="quality:inspection",
        record_access="kefu.quality.selectors.visible_inspections",
        description=_("Share of the checked conversations where the customer complained."),
        unit="%",
        higher_is_better=False,
        order=81,
    ),
    Figure(
        key="performance_score",
        label=_("Performance score"),
        records=RECORDS + "signed_sheets",
        date_field="signed_at",
        dimensions={"agent": AGENT},
        measure=Measure("average", field="score", digits=1),
        breakdown="agent",
        record_columns=(
            Column(_("Month"), "month"),
            Column(_("Agent"), "agent__display_name"),
            Column(_("Score"), "score"),
        ),
        record_url="quality:performance_sheet",
        record_access="kefu.quality.selectors.visible_performance",
        description=_("Average KPI score of the performance sheets signed in the period."),
        unit=pgettext_lazy("unit", "points"),
        perms=(Perm.EVALUATE,),
        order=82,
    ),
]
