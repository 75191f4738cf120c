"""The chats' figures in the reports (kefu/core/reporting.py, docs/reports.md): chats per agent and
team (会话统计's volume; the page 会话统计 keeps the response times) and the chats' ratings."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.conversations.models import ChannelKind, Conversation, ConversationState
from kefu.core.reporting import Column, Dimension, Figure, Measure
from kefu.customers.models import Level


def chats() -> QuerySet[Conversation]:
    return Conversation.objects.all()


def rated_chats() -> QuerySet[Conversation]:
    return Conversation.objects.filter(rating__isnull=False)


def team_options() -> list[tuple[str, str]]:
    from kefu.accounts.models import Team

    return [(str(t.pk), t.name) for t in Team.objects.order_by("name")]


DIMENSIONS = {
    "region": Dimension("customer__region"),
    "street": Dimension("customer__street"),
    "channel": Dimension("inbox__kind", choices=tuple(ChannelKind.choices)),
    "team": Dimension(
        "team_id", ("team__name",), options="kefu.conversations.report_figures.team_options"
    ),
    "agent": Dimension(
        "assignee_id",
        ("assignee__display_name", "assignee__username"),
        options="kefu.tickets.report_figures.agent_options",
    ),
    "level": Dimension("customer__level", choices=tuple(Level.choices)),
}
COLUMNS = (
    Column(_("Customer"), "customer__name"),
    Column(_("Channel"), "inbox__kind", choices=tuple(ChannelKind.choices)),
    Column(_("Team"), "team__name"),
    Column(_("Agent"), "assignee__username"),
    Column(_("State"), "state", choices=tuple(ConversationState.choices)),
)

FIGURES = [
    Figure(
        key="chats",
        label=_("Chats"),
        records="kefu.conversations.report_figures.chats",
        date_field="created_at",
        dimensions=DIMENSIONS,
        breakdown="agent",
        record_columns=COLUMNS,
        record_url="conversations:chat",
        record_access="kefu.conversations.selectors.visible_conversations",
        description=_(
            "Chats started in the period, by the agent who served them (chat "
            "statistics has their response times)."
        ),
        order=45,
    ),
    Figure(
        key="chat_ratings",
        label=_("Chat ratings"),
        records="kefu.conversations.report_figures.rated_chats",
        date_field="created_at",
        dimensions=DIMENSIONS,
        measure=Measure("average", field="rating", digits=2),
        breakdown="agent",
        record_columns=(*COLUMNS, Column(_("Rating"), "rating")),
        record_url="conversations:chat",
        record_access="kefu.conversations.selectors.visible_conversations",
        description=_("Average rating (1–5) the customers gave the chats started in the period."),
        unit=pgettext_lazy("unit", "points"),
        order=65,
    ),
]
