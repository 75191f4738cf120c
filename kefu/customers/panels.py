"""Panels other apps put on the customer page (open tickets, later chats and visits). Each entry is
the dotted path of `panel(request, customer) -> Card | None`; the archive knows nothing else of them."""

from django.apps import apps
from django.utils.module_loading import import_string

from kefu.core.workbench import Card

CUSTOMER_PANELS = [
    "kefu.tickets.panels.open_tickets",
    "kefu.telephony.panels.recent_calls",
    "kefu.sms.panels.recent_sms",
    "kefu.orders.panels.recent_orders",
]


def panels_for(request, customer) -> list[Card]:
    panels = []
    for path in CUSTOMER_PANELS:
        if not apps.is_installed(f"kefu.{path.split('.')[1]}"):
            continue
        panel = import_string(path)(request, customer)
        if panel is not None:
            panels.append(panel)
    return panels
