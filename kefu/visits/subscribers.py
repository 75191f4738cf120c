"""What return visits do when other apps change things: a closed complaint gets its visit."""

from kefu.core.events import Delivery, subscribe
from kefu.tickets.events import TicketTransitioned
from kefu.tickets.states import TicketState


def is_closing(event: TicketTransitioned) -> bool:
    return event.to_state == TicketState.CLOSED


def on_ticket_closed(event: TicketTransitioned) -> None:
    from kefu.visits.services import create_complaint_visit

    create_complaint_visit(ticket_id=event.ticket_id)


def register() -> None:
    subscribe(
        TicketTransitioned,
        f"{__name__}.on_ticket_closed",
        mode=Delivery.TASK,
        when=is_closing,
    )
