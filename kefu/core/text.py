"""Text that comes in from outside, made safe to store: one rule for every boundary.

Control characters have no meaning in a name, a message or a search, and they do harm: PostgreSQL
refuses a NUL in text (a 500 where SQLite silently stored it), a lone surrogate cannot be encoded
at all, and a leading `\\x01` hid a formula from the spreadsheet check (issue 10). Every boundary —
query strings and forms (`kefu.core.middleware.CleanInputMiddleware`), API bodies
(`kefu.api.CleanParser`), the widget, websocket frames, e-mail, imports — drops them with
`strip_control_characters`, the same way in both modes. Tab, line feed and carriage return stay:
they are how people write several lines.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls but tab, LF and CR; DEL and the C1 controls; UTF-16 surrogates (never valid alone).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def strip_control_characters(text: str) -> str:
    """`text` without control characters (tab and line breaks kept)."""
    return CONTROL_CHARACTERS.sub("", text)


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def clean_data(value: Any) -> Any:
    """Parsed JSON (or any nest of dicts and lists) with control characters dropped from every
    string, keys included. Other values are returned as they are."""
    if isinstance(value, str):
        return strip_control_characters(value)
    if isinstance(value, dict):
        return {clean_data(k): clean_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_data(v) for v in value]
    return value
