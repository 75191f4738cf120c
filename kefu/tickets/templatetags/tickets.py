"""Badges of tickets: one colour per meaning across the app (UI.md)."""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext

from kefu.accounts.masking import mask_text
from kefu.accounts.roles import Perm
from kefu.core.labels import choice_labels
from kefu.tickets.models import Ticket
from kefu.tickets.states import Priority, TicketState

register = template.Library()

STATE_COLOURS: dict[str, str] = {
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
PRIORITY_COLOURS: dict[str, str] = {
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


# The ticket list's rows, built in one pass: drawn by the template engine, fifty rows of ten cells
# (a for loop, an if, a url, a translate, four tags and a dozen variables each) were most of the
# page's server time (bench/README.md, pages-tickets). The same markup as before, with what is the
# same for every row (the viewer's reveal permission, the labels, "Select") looked up once.
ROW = (
    "<tr>{}"
    '<td class="text-nowrap"><a href="{}">{}</a></td>'
    "<td>{}</td>"
    '<td class="text-truncate" style="max-width: 22rem">{}</td>'
    "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
    '<td class="text-nowrap">{}</td>'
    "</tr>"
)
SENTINEL = 987654321987  # a ticket id in the one reversed link, replaced by each row's
NO_CUSTOMER = SafeString('<span class="text-secondary">—</span>')


@register.simple_tag(takes_context=True)
def ticket_rows(context, tickets, selectable=False) -> str:
    """The <tr> of each ticket on the list page; a tick box each when `selectable` (bulk actions)."""
    viewer, now = context["user"], context["now"]
    reveal = viewer.has_perm(Perm.REVEAL_PERSONAL_DATA)
    select = gettext("Select")
    language = get_language()
    link = reverse("tickets:detail", args=[SENTINEL])  # one reverse, not one a row
    types, states, priorities = (
        choice_labels(Ticket, field, language) for field in ("type", "state", "priority")
    )

    def cells(t: Ticket):
        tick = (
            format_html(
                '<td><input class="form-check-input" type="checkbox" name="ticket" value="{}" '
                'aria-label="{} {}"></td>',
                t.pk,
                select,
                t.number,
            )
            if selectable
            else ""
        )
        return (
            tick,
            link.replace(str(SENTINEL), str(t.pk)),
            t.number,
            types.get(t.type, ""),
            t.subject if reveal else mask_text(t.subject, viewer=None),
            t.customer.name if t.customer else NO_CUSTOMER,
            format_html(
                '<span class="badge bg-{}-lt" data-state="{}">{}</span>',
                STATE_COLOURS.get(t.state, "secondary"),
                t.state,
                states.get(t.state, ""),
            ),
            format_html(
                '<span class="badge bg-{}-lt">{}</span>',
                PRIORITY_COLOURS.get(t.priority, "secondary"),
                priorities.get(t.priority, ""),
            ),
            t.department or "—",
            t.assignee or "—",
            due_badge(t.resolve_due_at, now, done=t.closed_at),
        )

    return format_html_join("\n", ROW, (cells(t) for t in tickets))


@register.simple_tag
def complaint_rows(rows) -> str:
    """The <tr> of each row of a month of the complaint statistics, in one pass: a year is hundreds
    of rows of ten figures, and a figure each through the template's variable and localisation
    machinery was a third of the page (bench/README.md). The figures are whole numbers and yuan
    with two decimals, written as the template wrote them (no thousands separator)."""
    return format_html_join(
        "\n",
        "<tr><td>{}</td><td>{}</td>"
        '<td class="text-end">{}</td><td class="text-end">{}</td><td class="text-end">{}</td>'
        '<td class="text-end">{}</td><td class="text-end">{}</td>'
        '<td class="text-end{}">{}</td><td class="text-end{}">{}</td>'
        '<td class="text-end">{}</td></tr>',
        (
            (
                r.category,
                r.department,
                r.total,
                r.valid,
                r.invalid,
                r.not_judged,
                r.within_limit,
                " text-danger fw-bold" if r.over_limit else "",
                r.over_limit,
                " text-danger" if r.return_visit_late else "",
                r.return_visit_late,
                r.cost,
            )
            for r in rows
        ),
    )
