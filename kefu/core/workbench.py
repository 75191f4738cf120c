"""Cards on the workbench (工作台), contributed by apps. One list; each entry is the dotted path of a
function `card(request) -> Card | None` (None when the card has nothing for this user)."""

from dataclasses import dataclass, field

from django.apps import apps
from django.utils.module_loading import import_string

WORKBENCH_CARDS = [
    "kefu.tickets.workbench.supervision_card",
    "kefu.tickets.workbench.my_tickets_card",
    "kefu.customers.workbench.contact_due_card",
    "kefu.customers.workbench.review_card",
    "kefu.sms.workbench.undelivered_card",
]


@dataclass
class Card:
    template: str
    context: dict = field(default_factory=dict)


def cards_for(request) -> list[Card]:
    cards = []
    for path in WORKBENCH_CARDS:
        app_label = path.split(".")[1]
        if not apps.is_installed(f"kefu.{app_label}"):
            continue
        card = import_string(path)(request)
        if card is not None:
            cards.append(card)
    return cards
