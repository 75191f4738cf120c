"""A card on the workbench or a panel on another app's page: a template and its context.

Apps declare their workbench cards in their `navigation.py` (kefu/core/shell.py); the shell
(kefu/web/workbench.py) calls them and renders each card with `{% render_card %}`."""

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Card:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
