"""The rows of the chat statistics (会话统计) written in one pass: 92 days of thirty agents are
about 2,800 rows of fourteen cells, which through the template's tags and filters one by one cost
as much as reading the chats (bench/README.md). The cells are what the template wrote: the same
filters (seconds_as_duration's duration_label, floatformat) and widthratio's rounding."""

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from kefu.conversations.statistics import AgentDay
from kefu.core.labels import duration_label

register = template.Library()

NONE = "—"
END = '<td class="text-end">{}</td>'


def _percent(part: float, whole: float) -> str:
    """{% widthratio part whole 100 %}%"""
    return f"{round(part / whole * 100)}%"


def _cells(row: AgentDay, *, marked: bool) -> SafeString:
    """The figures of one row, from the chats to the pre-sales steps; `marked`: the testids the
    totals' table carries."""
    satisfaction: str = NONE
    if row.satisfaction is not None:
        satisfaction = format_html(
            '{} <span class="text-secondary small">({})</span>',
            floatformat(row.satisfaction, 2),
            row.satisfaction_answers,
        )
    figures = format_html(
        END * 7 + '<td class="text-end"{}>{}</td>' + END,
        row.chats,
        _percent(row.answered, row.chats) if row.response_rate is not None else NONE,
        duration_label(row.first_response_seconds),
        duration_label(row.response_seconds),
        duration_label(row.handling_seconds),
        floatformat(row.messages_per_chat, 1) if row.messages_per_chat is not None else NONE,
        floatformat(row.rating, 2) if row.rating is not None else NONE,
        mark_safe(' data-testid="satisfaction"') if marked else "",
        satisfaction,
        row.presales_chats or NONE,
    )
    steps = format_html_join(
        "",
        '<td class="text-end"{}>{}</td>',
        (
            (
                mark_safe(' data-testid="step-share"') if marked else "",
                _percent(share, 1) if share is not None else NONE,
            )
            for share in row.step_shares
        ),
    )
    return figures + steps


@register.simple_tag
def chat_total_rows(totals: list[tuple[str, AgentDay]]) -> SafeString:
    """The <tr> of each agent over the whole period."""
    return format_html_join(
        "\n",
        "<tr><td>{}</td>{}</tr>",
        ((name, _cells(t, marked=True)) for name, t in totals),
    )


@register.simple_tag
def chat_day_rows(days: list[tuple[str, AgentDay]]) -> SafeString:
    """The <tr> of each agent and day."""
    return format_html_join(
        "\n",
        "<tr><td>{}</td><td>{}</td>{}</tr>",
        ((d.day.isoformat(), name, _cells(d, marked=False)) for name, d in days),
    )
