"""Return visits' figures in the reports (kefu/core/reporting.py, docs/reports.md): visits done,
the share done by their deadline, and the satisfaction surveys' scores (their distribution and
average). `selectors.visit_figures` keeps the one-call summary for the API."""

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.reporting import Column, Dimension, Figure, Measure
from kefu.customers.models import Level
from kefu.visits.models import (
    ReturnVisit,
    SurveyAnswer,
    SurveyTrigger,
    VisitChannel,
    VisitSource,
    VisitState,
)


def done_visits() -> QuerySet[ReturnVisit]:
    return ReturnVisit.objects.filter(state=VisitState.DONE, completed_at__isnull=False)


def survey_answers() -> QuerySet[SurveyAnswer]:
    return SurveyAnswer.objects.filter(score__isnull=False)


SCORES = tuple((str(n), str(n)) for n in range(1, 6))
VISIT_DIMENSIONS = {
    "agent": Dimension(
        "assignee_id",
        ("assignee__display_name", "assignee__username"),
        options="kefu.tickets.report_figures.agent_options",
    ),
    "channel": Dimension("channel", choices=tuple(VisitChannel.choices)),
    "source": Dimension("source", choices=tuple(VisitSource.choices)),
    "region": Dimension("customer__region"),
    "street": Dimension("customer__street"),
    "level": Dimension("customer__level", choices=tuple(Level.choices)),
}
VISIT_COLUMNS = (
    Column(_("Customer"), "customer__name"),
    Column(_("Agent"), "assignee__username"),
    Column(_("Source"), "source", choices=tuple(VisitSource.choices)),
    Column(_("Visit by"), "due_at"),
    Column(_("Visited"), "completed_at"),
)
SURVEY_DIMENSIONS = {
    "agent": Dimension(
        "invitation__agent_id",
        ("invitation__agent__display_name", "invitation__agent__username"),
        options="kefu.tickets.report_figures.agent_options",
    ),
    "team": Dimension(
        "invitation__team_id",
        ("invitation__team__name",),
        options="kefu.conversations.report_figures.team_options",
    ),
    "source": Dimension("invitation__source", choices=tuple(SurveyTrigger.choices)),
    "score": Dimension("score", choices=SCORES),
    "level": Dimension("invitation__customer__level", choices=tuple(Level.choices)),
}
SURVEY_COLUMNS = (
    Column(_("Customer"), "invitation__customer__name"),
    Column(_("Agent"), "invitation__agent__username"),
    Column(_("Survey"), "invitation__survey__title"),
    Column(_("Score"), "score"),
)

FIGURES = [
    Figure(
        key="visits_done",
        label=_("Return visits done"),
        records="kefu.visits.report_figures.done_visits",
        date_field="completed_at",
        dimensions=VISIT_DIMENSIONS,
        breakdown="agent",
        record_columns=VISIT_COLUMNS,
        record_url="visits:visit",
        record_access="kefu.visits.selectors.visible_visits",
        description=_("Return visits recorded in the period (reached or not), by agent."),
        order=75,
    ),
    Figure(
        key="visits_on_time",
        label=_("Return visits on time"),
        records="kefu.visits.report_figures.done_visits",
        date_field="completed_at",
        dimensions=VISIT_DIMENSIONS,
        measure=Measure("share", condition=Q(completed_at__lte=F("due_at")), digits=1),
        unit="%",
        breakdown="agent",
        record_columns=VISIT_COLUMNS,
        record_url="visits:visit",
        record_access="kefu.visits.selectors.visible_visits",
        description=_(
            "The share of the visits recorded in the period that were done by their deadline."
        ),
        order=76,
    ),
    Figure(
        key="survey_scores",
        label=_("Survey answers by score"),
        records="kefu.visits.report_figures.survey_answers",
        date_field="answered_at",
        dimensions=SURVEY_DIMENSIONS,
        breakdown="score",
        record_columns=SURVEY_COLUMNS,
        description=_(
            "Satisfaction survey answers in the period and how the scores (1–5) are spread."
        ),
        order=77,
    ),
    Figure(
        key="survey_average",
        label=_("Average survey score"),
        records="kefu.visits.report_figures.survey_answers",
        date_field="answered_at",
        dimensions=SURVEY_DIMENSIONS,
        measure=Measure("average", field="score", digits=2),
        unit=pgettext_lazy("unit", "points"),
        breakdown="agent",
        record_columns=SURVEY_COLUMNS,
        description=_("The average score (1–5) of the satisfaction survey answers in the period."),
        order=78,
    ),
]
