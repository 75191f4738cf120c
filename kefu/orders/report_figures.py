"""Orders in the reports (docs/reports.md): orders recorded by platform, state and the buyer's place,
and change requests by kind. SQL aggregates over indexed columns (kefu/core/reporting.py)."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kefu.core.reporting import Column, Dimension, Figure
from kefu.customers.models import Level
from kefu.orders.models import ChangeKind, ChangeRequest, FulfilmentState, Order, Platform


def orders() -> QuerySet[Order]:
    return Order.objects.all()


def change_requests() -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.all()


FIGURES = [
    Figure(
        key="orders",
        label=_("Orders"),
        records="kefu.orders.report_figures.orders",
        date_field="created_at",
        dimensions={
            "region": Dimension("customer__region"),
            "street": Dimension("customer__street"),
            "level": Dimension("customer__level", choices=tuple(Level.choices)),
            "platform": Dimension("platform", choices=tuple(Platform.choices)),
            "state": Dimension("state", choices=tuple(FulfilmentState.choices)),
        },
        breakdown="platform",
        record_columns=(
            Column(_("Order number"), "number"),
            Column(_("Platform"), "platform", choices=tuple(Platform.choices)),
            Column(_("Customer"), "customer__name"),
            Column(_("State"), "state", choices=tuple(FulfilmentState.choices)),
        ),
        record_url="orders:detail",
        record_access="kefu.orders.selectors.visible_orders",
        description=_("Orders recorded in the period (posted by the shop system or imported)."),
        order=80,
    ),
    Figure(
        key="order_changes",
        label=_("Order change requests"),
        records="kefu.orders.report_figures.change_requests",
        date_field="created_at",
        dimensions={
            "region": Dimension("order__customer__region"),
            "street": Dimension("order__customer__street"),
            "kind": Dimension("kind", choices=tuple(ChangeKind.choices)),
            "platform": Dimension("order__platform", choices=tuple(Platform.choices)),
        },
        breakdown="kind",
        record_columns=(
            Column(_("Order number"), "order__number"),
            Column(_("Kind"), "kind", choices=tuple(ChangeKind.choices)),
        ),
        description=_("Address, attribute and cancellation requests, by kind."),
        higher_is_better=False,
        order=81,
    ),
]
