"""The archive's figure in the reports (kefu/core/reporting.py, docs/reports.md): new customers by
region, street, level and source."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kefu.core.reporting import Column, Dimension, Figure
from kefu.customers.models import Customer, Level, Source


def customers() -> QuerySet[Customer]:
    return Customer.objects.all()


FIGURES = [
    Figure(
        key="customers",
        label=_("New customers"),
        records="kefu.customers.report_figures.customers",
        date_field="created_at",
        dimensions={
            "region": Dimension("region"),
            "street": Dimension("street"),
            "level": Dimension("level", choices=tuple(Level.choices)),
            "source": Dimension("source", choices=tuple(Source.choices)),
        },
        breakdown="street",
        record_columns=(
            Column(_("Name"), "name"),
            Column(_("Province"), "region"),
            Column(_("Street"), "street"),
            Column(_("Membership level"), "level", choices=tuple(Level.choices)),
        ),
        record_url="customers:detail",
        record_access="kefu.customers.selectors.visible_customers",
        description=_("Customers added to the archive in the period."),
        order=50,
    ),
]
