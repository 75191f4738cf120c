"""{% load orders %}: amounts in fen shown as ¥1,280.00, and an order's state as a badge."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from kefu.orders.models import Order

register = template.Library()

STATE_COLOURS = {
    "unpaid": "orange",
    "paid": "blue",
    "printed": "blue",
    "packed": "blue",
    "shipped": "azure",
    "received": "green",
    "closed": "secondary",
}


@register.filter
def fen(value: int | str | None) -> str:
    try:
        amount = int(value or 0)
    except (TypeError, ValueError):
        return ""
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    return f"{sign}¥{amount // 100:,}.{amount % 100:02d}"


@register.simple_tag
def order_state(order: Order) -> SafeString:
    colour = STATE_COLOURS.get(order.state, "secondary")
    return format_html(
        '<span class="badge bg-{}-lt" data-state="{}">{}</span>',
        colour,
        order.state,
        order.get_state_display(),
    )
