"""The workbench's cards, as the installed apps declare them (WORKBENCH_CARDS in their
`navigation.py`), in their order; a card function returns None when it has nothing for this user."""

from django.utils.module_loading import import_string

from kefu.core.workbench import Card
from kefu.web.navigation import collected


def cards_for(request) -> list[Card]:
    cards = []
    for entry in collected("WORKBENCH_CARDS"):
        card = import_string(entry.path)(request)
        if card is not None:
            cards.append(card)
    return cards
