"""What tickets do when other apps' events arrive: keep the search documents of a customer's
tickets current (they hold the customer's name and mobile)."""

from __future__ import annotations

from kefu.core import search
from kefu.core.events import Delivery, subscribe
from kefu.customers.events import CustomerIdentified, CustomersMerged
from kefu.tickets.documents import TICKETS
from kefu.tickets.models import Ticket


def reindex_customer_tickets(event: CustomerIdentified | CustomersMerged) -> None:
    """After commit, in a worker: a customer can have many tickets, and the customer's change
    must not wait for them (nor may customers know tickets). Until it runs, the tickets are found
    by the old name or mobile, and by everything else as before."""
    customer_id = event.customer_id if isinstance(event, CustomerIdentified) else event.survivor_id
    ids = Ticket.objects.filter(customer_id=customer_id).values_list("pk", flat=True)
    search.index_ids(TICKETS, ids.iterator())


def register() -> None:
    for event_type in (CustomerIdentified, CustomersMerged):
        subscribe(event_type, f"{__name__}.reindex_customer_tickets", mode=Delivery.TASK)
