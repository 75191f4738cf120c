"""Work orders in the reports (docs/reports.md): orders by technician, area and state, and the share
of arrivals within the appointment window."""

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kefu.core.reporting import Column, Dimension, Figure, Measure
from kefu.dispatch.models import Source, WorkOrder, WorkOrderState


def work_orders() -> QuerySet[WorkOrder]:
    return WorkOrder.objects.all()


def arrivals() -> QuerySet[WorkOrder]:
    return WorkOrder.objects.filter(arrived_at__isnull=False)


DIMENSIONS = {
    "region": Dimension("customer__region"),
    "street": Dimension("customer__street"),
    "technician": Dimension("technician_id", ("technician__display_name", "technician__username")),
    "area": Dimension("area"),
    "source": Dimension("source", choices=tuple(Source.choices)),
}

FIGURES = [
    Figure(
        key="work_orders",
        label=_("Work orders"),
        records="kefu.dispatch.report_figures.work_orders",
        date_field="appointment_start",
        dimensions={
            **DIMENSIONS,
            "state": Dimension("state", choices=tuple(WorkOrderState.choices)),
        },
        breakdown="technician",
        record_columns=(
            Column(_("Number"), "number"),
            Column(_("Customer"), "customer__name"),
            Column(_("Technician"), "technician__display_name"),
            Column(_("State"), "state", choices=tuple(WorkOrderState.choices)),
        ),
        record_url="dispatch:detail",
        record_access="kefu.dispatch.selectors.visible_work_orders",
        description=_("Work orders by their appointment day."),
        order=85,
    ),
    Figure(
        key="dispatch_on_time",
        label=_("Technicians on time"),
        records="kefu.dispatch.report_figures.arrivals",
        date_field="arrived_at",
        dimensions=DIMENSIONS,
        measure=Measure("share", condition=Q(arrived_at__lte=F("arrival_due_at")), digits=1),
        unit="%",
        breakdown="technician",
        record_columns=(
            Column(_("Number"), "number"),
            Column(_("Technician"), "technician__display_name"),
            Column(_("Arrived at"), "arrived_at"),
            Column(_("Arrival due"), "arrival_due_at"),
        ),
        record_url="dispatch:detail",
        record_access="kefu.dispatch.selectors.visible_work_orders",
        description=_(
            "Of the arrivals at the customer's, the share within the appointment window."
        ),
        order=86,
    ),
]
