"""What personal-data rights do when other apps change things: a closed complaint lets its
customer's waiting erasure run at once (the periodic task is the safety net)."""

from kefu.core.events import Delivery, subscribe
from kefu.tickets.events import TicketTransitioned
from kefu.tickets.states import TicketState


def is_closing(event: TicketTransitioned) -> bool:
    return event.to_state == TicketState.CLOSED


def on_ticket_closed(event: TicketTransitioned) -> None:
    from kefu.privacy.services import complete_waiting_erasures
    from kefu.tickets.models import Ticket

    customer_id = Ticket.objects.filter(pk=event.ticket_id).values_list("customer_id", flat=True)
    complete_waiting_erasures(customer_ids=[c for c in customer_id if c is not None])


def register() -> None:
    subscribe(
        TicketTransitioned, f"{__name__}.on_ticket_closed", mode=Delivery.TASK, when=is_closing
    )
