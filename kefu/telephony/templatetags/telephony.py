from django import template

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """125 → 2:05; 3725 → 1:02:05; 0 → —."""
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        return "—"
    if seconds <= 0:
        return "—"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def masked_number(number: str) -> str:
    from kefu.telephony.selectors import masked_number as mask

    return mask(number or "")
