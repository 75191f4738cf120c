"""The customer page's tickets panel: open tickets first, then the latest closed ones."""

from django.utils import timezone

from kefu.accounts.roles import Perm
from kefu.core.workbench import Card
from kefu.tickets import selectors
from kefu.tickets.states import OPEN_STATES


def open_tickets(request, customer):
    user = request.user
    if not user.has_perm(Perm.SERVE_CUSTOMERS):
        return None
    mine = selectors.visible_tickets(user).filter(customer=customer)
    return Card(
        "tickets/panel_customer.html",
        {
            "customer": customer,
            "open_tickets": list(mine.filter(state__in=OPEN_STATES).order_by("-id")[:10]),
            "closed_tickets": list(mine.exclude(state__in=OPEN_STATES).order_by("-id")[:5]),
            "now": timezone.now(),
        },
    )
