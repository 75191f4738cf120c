"""The tickets' figures in the reports (kefu/core/reporting.py, docs/reports.md): consultations,
complaints, business handled, satisfaction and time limits met, each filtered and broken down by the
customer's region and street, the channel, the agent, the category and the customer's level."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.reporting import Column, Dimension, Figure, Measure
from kefu.customers.models import Level
from kefu.tickets.models import Channel, Ticket, TicketCategory
from kefu.tickets.states import TicketState, TicketType


def consultations() -> QuerySet[Ticket]:
    return Ticket.objects.filter(type=TicketType.CONSULTATION)


def complaints() -> QuerySet[Ticket]:
    return Ticket.objects.filter(type=TicketType.COMPLAINT)


def all_tickets() -> QuerySet[Ticket]:
    return Ticket.objects.all()


def closed_tickets() -> QuerySet[Ticket]:
    return Ticket.objects.filter(state=TicketState.CLOSED)


def rated_tickets() -> QuerySet[Ticket]:
    return Ticket.objects.filter(satisfaction__isnull=False)


def category_options() -> list[tuple[str, str]]:
    return [
        (str(c.pk), " / ".join(n for n in (c.parent.name if c.parent else "", c.name) if n))
        for c in TicketCategory.objects.select_related("parent").order_by("parent__name", "name")
    ]


def agent_options() -> list[tuple[str, str]]:
    from kefu.accounts.models import User

    return [
        (str(u.pk), str(u))
        for u in User.objects.filter(is_active=True, agent_profile__isnull=False).order_by(
            "username"
        )
    ]


DIMENSIONS = {
    "region": Dimension("customer__region"),
    "street": Dimension("customer__street"),
    "channel": Dimension("channel", choices=tuple(Channel.choices)),
    "agent": Dimension(
        "assignee_id",
        ("assignee__display_name", "assignee__username"),
        options="kefu.tickets.report_figures.agent_options",
    ),
    "category": Dimension(
        "category_id",
        ("category__name",),
        options="kefu.tickets.report_figures.category_options",
    ),
    "level": Dimension("customer__level", choices=tuple(Level.choices)),
    "department": Dimension("department_id", ("department__name",)),
}
TYPE = {"type": Dimension("type", choices=tuple(TicketType.choices))}
COLUMNS = (
    Column(_("Number"), "number"),
    Column(_("Subject"), "subject"),
    Column(_("Type"), "type", choices=tuple(TicketType.choices)),
    Column(_("Channel"), "channel", choices=tuple(Channel.choices)),
    Column(_("Category"), "category__name"),
    Column(_("Street"), "customer__street"),
    Column(_("State"), "state", choices=tuple(TicketState.choices)),
)
RECORDS = "kefu.tickets.report_figures."

FIGURES = [
    Figure(
        key="consultations",
        label=_("Consultations"),
        records=RECORDS + "consultations",
        date_field="created_at",
        dimensions=DIMENSIONS,
        breakdown="category",
        record_columns=COLUMNS,
        record_url="tickets:detail",
        record_access="kefu.tickets.selectors.visible_tickets",
        description=_("Consultation tickets received in the period."),
        order=10,
    ),
    Figure(
        key="complaints",
        label=_("Complaints"),
        records=RECORDS + "complaints",
        date_field="created_at",
        dimensions=DIMENSIONS,
        breakdown="category",
        record_columns=COLUMNS,
        record_url="tickets:detail",
        record_access="kefu.tickets.selectors.visible_tickets",
        description=_(
            "Complaints received in the period (the complaint classification table "
            "breaks them down by month, category and department)."
        ),
        higher_is_better=False,
        order=20,
    ),
    Figure(
        key="business",
        label=_("Business handled"),
        records=RECORDS + "closed_tickets",
        date_field="closed_at",
        dimensions={**DIMENSIONS, **TYPE},
        breakdown="type",
        record_columns=COLUMNS,
        record_url="tickets:detail",
        record_access="kefu.tickets.selectors.visible_tickets",
        description=_("Tickets of every type closed in the period."),
        order=30,
    ),
    Figure(
        key="workload",
        label=_("Workload per agent"),
        records=RECORDS + "closed_tickets",
        date_field="closed_at",
        dimensions={**DIMENSIONS, **TYPE},
        breakdown="agent",
        record_columns=COLUMNS,
        record_url="tickets:detail",
        record_access="kefu.tickets.selectors.visible_tickets",
        description=_("Tickets closed in the period, by the agent assigned to them."),
        order=40,
    ),
    Figure(
        key="satisfaction",
        label=_("Satisfaction"),
        records=RECORDS + "rated_tickets",
        date_field="created_at",
        dimensions=DIMENSIONS,
        measure=Measure("average", field="satisfaction", digits=2),
        breakdown="agent",
        record_columns=(*COLUMNS, Column(_("Satisfaction"), "satisfaction")),
        record_url="tickets:detail",
        record_access="kefu.tickets.selectors.visible_tickets",
        description=_(
            "Average satisfaction (1–5) of the tickets received in the period and rated."
        ),
        unit=pgettext_lazy("unit", "points"),
        order=60,
    ),
    Figure(
        key="time_limits",
        label=_("Time limits met"),
        records=RECORDS + "all_tickets",
        date_field="created_at",
        dimensions={**DIMENSIONS, **TYPE},
        measure=Measure("share", condition=Q(first_breach_at__isnull=True), digits=1),
        breakdown="department",
        record_columns=COLUMNS,
        record_url="tickets:detail",
        record_access="kefu.tickets.selectors.visible_tickets",
        description=_(
            "Share of the tickets received in the period none of whose time limits was breached."
        ),
        unit="%",
        order=70,
    ),
]
