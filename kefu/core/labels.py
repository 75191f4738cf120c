"""Display labels of choice fields, built once per language."""

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=512)
def choice_labels(model: Any, field_name: str, language: str | None) -> dict[Any, str]:
    """{value: label} of a choice field in one language, built once: get_FOO_display() rebuilds and
    hashes the whole choices table on every call, once per row and column of a list page."""
    return {value: str(label) for value, label in model._meta.get_field(field_name).flatchoices}
