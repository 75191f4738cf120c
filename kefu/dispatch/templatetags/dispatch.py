from django import template

register = template.Library()

BADGES = {
    "assigned": "bg-orange-lt",
    "accepted": "bg-blue-lt",
    "on_the_way": "bg-blue-lt",
    "arrived": "bg-blue-lt",
    "done": "bg-green-lt",
    "failed": "bg-red-lt",
    "visited": "bg-secondary-lt",
    "cancelled": "bg-secondary-lt",
}


@register.filter
def state_badge(state: str) -> str:
    """One colour per meaning (UI.md): waiting orange, in progress blue, done green, closed grey."""
    return BADGES.get(state, "bg-secondary-lt")
