"""Display labels of choice fields, built once per language."""

from functools import lru_cache
from typing import Any

from django.utils.translation import gettext


@lru_cache(maxsize=512)
def choice_labels(model: Any, field_name: str, language: str | None) -> dict[Any, str]:
    """{value: label} of a choice field in one language, built once: get_FOO_display() rebuilds and
    hashes the whole choices table on every call, once per row and column of a list page."""
    return {value: str(label) for value, label in model._meta.get_field(field_name).flatchoices}


def duration_label(value: Any) -> str:
    """Seconds as people read them: 75 → "1分15秒" (in the active language); "—" when there are
    none. The template filter `seconds_as_duration` and the rows written in one pass both use it."""
    if value is None or value == "":
        return "—"
    seconds = round(float(value))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return gettext("%(h)dh %(m)02dm") % {"h": hours, "m": minutes}
    if minutes:
        return gettext("%(m)dm %(s)02ds") % {"m": minutes, "s": seconds}
    return gettext("%(s)ds") % {"s": seconds}
