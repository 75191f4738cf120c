"""After-sales in the reports (docs/reports.md): cases opened by kind and state, the share of
neutral and negative reviews the buyer revised, and postage and compensation lines asked."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kefu.aftersales.models import (
    AfterSalesCase,
    CaseKind,
    CaseState,
    MoneyLine,
    MoneyLineKind,
    MoneyLineState,
    Review,
    ReviewOutcome,
    ReviewRating,
)
from kefu.core.reporting import Column, Dimension, Figure, Measure
from kefu.customers.models import Level


def cases() -> QuerySet[AfterSalesCase]:
    return AfterSalesCase.objects.all()


def closed_reviews() -> QuerySet[Review]:
    return Review.objects.filter(closed_at__isnull=False)


def money_lines() -> QuerySet[MoneyLine]:
    return MoneyLine.objects.all()


PLACE = {
    "region": Dimension("customer__region"),
    "street": Dimension("customer__street"),
    "level": Dimension("customer__level", choices=tuple(Level.choices)),
}

FIGURES = [
    Figure(
        key="aftersales_cases",
        label=_("After-sales cases"),
        records="kefu.aftersales.report_figures.cases",
        date_field="created_at",
        dimensions={
            **PLACE,
            "kind": Dimension("kind", choices=tuple(CaseKind.choices)),
            "state": Dimension("state", choices=tuple(CaseState.choices)),
        },
        breakdown="kind",
        record_columns=(
            Column(_("Order number"), "order__number"),
            Column(_("Customer"), "customer__name"),
            Column(_("Kind"), "kind", choices=tuple(CaseKind.choices)),
            Column(_("State"), "state", choices=tuple(CaseState.choices)),
        ),
        record_url="aftersales:detail",
        record_access="kefu.aftersales.selectors.visible_cases",
        description=_("Returns, exchanges, refunds, reissues and quality cases opened."),
        higher_is_better=False,
        order=82,
    ),
    Figure(
        key="reviews_revised",
        label=_("Bad reviews revised"),
        records="kefu.aftersales.report_figures.closed_reviews",
        date_field="closed_at",
        dimensions={
            **PLACE,
            "rating": Dimension("rating", choices=tuple(ReviewRating.choices)),
            "outcome": Dimension("outcome", choices=tuple(ReviewOutcome.choices)),
        },
        measure=Measure("share", condition=Q(outcome=ReviewOutcome.REVISED), digits=1),
        unit="%",
        breakdown="rating",
        record_columns=(
            Column(_("Order number"), "order__number"),
            Column(_("Outcome"), "outcome", choices=tuple(ReviewOutcome.choices)),
        ),
        record_url="aftersales:review",
        record_access="kefu.aftersales.selectors.visible_reviews",
        description=_("Of the neutral and negative reviews handled, the share the buyer revised."),
        order=83,
    ),
    Figure(
        key="money_lines",
        label=_("Postage and compensation asked"),
        records="kefu.aftersales.report_figures.money_lines",
        date_field="requested_at",
        dimensions={
            "region": Dimension("case__customer__region"),
            "street": Dimension("case__customer__street"),
            "kind": Dimension("kind", choices=tuple(MoneyLineKind.choices)),
            "state": Dimension("state", choices=tuple(MoneyLineState.choices)),
        },
        breakdown="kind",
        record_columns=(
            Column(_("Order number"), "case__order__number"),
            Column(_("Kind"), "kind", choices=tuple(MoneyLineKind.choices)),
            Column(_("State"), "state", choices=tuple(MoneyLineState.choices)),
        ),
        description=_("Postage refunds and compensation asked of finance."),
        higher_is_better=False,
        order=84,
    ),
]
