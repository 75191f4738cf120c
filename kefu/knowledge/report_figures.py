"""The knowledge base's figures in the reports (kefu/core/reporting.py, docs/reports.md): how many
widget questions self-service solved (deflection), and the questions nothing answered."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kefu.core.reporting import Column, Dimension, Figure, Measure
from kefu.knowledge.models import Outcome, SelfServiceQuery, UnansweredQuestion


def self_service_questions() -> QuerySet[SelfServiceQuery]:
    return SelfServiceQuery.objects.all()


def unanswered_questions() -> QuerySet[UnansweredQuestion]:
    return UnansweredQuestion.objects.all()


FIGURES = [
    Figure(
        key="self_service_deflection",
        label=_("Self-service deflection"),
        records="kefu.knowledge.report_figures.self_service_questions",
        date_field="created_at",
        dimensions={"outcome": Dimension("outcome", choices=tuple(Outcome.choices))},
        measure=Measure("share", condition=Q(outcome=Outcome.SOLVED), digits=1),
        unit="%",
        breakdown="outcome",
        record_columns=(
            Column(_("Question"), "question"),
            Column(_("State"), "outcome", choices=tuple(Outcome.choices)),
        ),
        description=_(
            "Share of the questions visitors typed in the chat widget that a public article "
            "answered (they clicked “this solved it”), so no person was needed."
        ),
        order=66,
    ),
    Figure(
        key="searches_without_answer",
        label=_("Searches without an answer"),
        records="kefu.knowledge.report_figures.unanswered_questions",
        date_field="first_asked_at",
        dimensions={"source": Dimension("source")},
        breakdown="source",
        record_columns=(
            Column(_("Question"), "question"),
            Column(_("Times asked"), "times"),
        ),
        description=_(
            "Distinct questions from the widget, agents' searches and people asked for after "
            "self-service that no article answered: write articles for them."
        ),
        higher_is_better=False,
        order=67,
    ),
]
