"""Badges of tickets: one colour per meaning across the app (UI.md)."""

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language

from kefu.core.labels import choice_labels
from kefu.tickets.models import Ticket
from kefu.tickets.states import Priority, TicketState

register = template.Library()

STATE_COLOURS = {
    TicketState.RECEIVED: "orange",
    TicketState.CONFIRMED: "orange",  # waiting
    TicketState.ROUTED: "blue",
    TicketState.INVESTIGATED: "blue",
    TicketState.PLAN_PROPOSED: "blue",
    TicketState.PLAN_APPROVED: "blue",
    TicketState.CARRIED_OUT: "blue",  # in progress
    TicketState.RETURN_VISITED: "green",
    TicketState.ANSWERED: "green",  # done
    TicketState.CLOSED: "secondary",  # closed
}
PRIORITY_COLOURS = {
    Priority.LOW: "secondary",
    Priority.NORMAL: "azure",
    Priority.HIGH: "orange",
    Priority.URGENT: "red",
}


# Labels from a table built once per language (kefu.core.labels.choice_labels): no
# translation per row, where get_FOO_display() translates every choice of the field on each call.


def _label(ticket: Ticket, field: str) -> str:
    return choice_labels(type(ticket), field, get_language()).get(getattr(ticket, field), "")


@register.simple_tag
def state_badge(ticket):
    colour = STATE_COLOURS.get(ticket.state, "secondary")
    return format_html(
        '<span class="badge bg-{}-lt" data-state="{}">{}</span>',
        colour,
        ticket.state,
        _label(ticket, "state"),
    )


@register.simple_tag
def priority_badge(ticket):
    colour = PRIORITY_COLOURS.get(ticket.priority, "secondary")
    return format_html('<span class="badge bg-{}-lt">{}</span>', colour, _label(ticket, "priority"))


@register.filter
def type_label(ticket) -> str:
    return _label(ticket, "type")


@register.simple_tag
def due_badge(due, now, done=False):
    """A deadline: red when passed (breached), plain otherwise; nothing when there is none or it is met."""
    if due is None or done:
        return ""
    css = "text-danger fw-bold" if due < now else "text-secondary"
    local = timezone.localtime(due)
    return format_html(
        '<span class="{}" title="{}">{}</span>',
        css,
        local.strftime("%Y-%m-%d %H:%M"),
        local.strftime("%m-%d %H:%M"),
    )


@register.filter
def category_path(category) -> str:
    from kefu.tickets.actions import category_path as path

    return path(category)
