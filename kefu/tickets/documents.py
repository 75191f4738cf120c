"""The tickets' search documents (kefu.core.search): what a ticket is found by, and the call the
services make to keep it current. Registered from TicketsConfig.ready()."""

from __future__ import annotations

from django.db.models import prefetch_related_objects

from kefu.core import search
from kefu.customers.identities import national
from kefu.tickets.models import Ticket, TicketSearchDocument

# The fields whose words a ticket is found by: a change to one of them rewrites its document.
TEXT_FIELDS = (
    "subject",
    "content",
    "restatement",
    "answer",
    "invalid_reason",
    "reply_to_customer",
    "cause",
    "resolution_plan",
    "carried_out_note",
    "return_visit_outcome",
)
INDEXED_FIELDS = frozenset({*TEXT_FIELDS, "number", "complainant", "customer"})


def _mobile_keywords(mobile: str) -> list[str]:
    """A mobile as agents type it: the national number (139…) and its last four digits."""
    digits = national(mobile)
    return [digits, digits[-4:]] if digits else []


def ticket_document(ticket: Ticket) -> search.Document:
    customer = ticket.customer
    keywords = [ticket.number, ticket.complainant]
    if customer is not None:
        keywords += [customer.name, *_mobile_keywords(customer.mobile)]
    return search.Document(text=[getattr(ticket, f) for f in TEXT_FIELDS], keywords=keywords)


TICKETS = search.Kind(
    name="tickets.ticket",
    model=Ticket,
    documents=TicketSearchDocument,
    document=ticket_document,
    source=lambda: Ticket.objects.select_related("customer").only(
        *TEXT_FIELDS, "number", "complainant", "customer__name", "customer__mobile"
    ),
)


def register() -> None:
    search.register(TICKETS)


def index_ticket(ticket: Ticket, changed: list[str] | None = None) -> None:
    """Rewrite the ticket's document in the caller's transaction, if a field it holds changed
    (`changed` None: always). `ticket.customer` is read."""
    if changed is None or INDEXED_FIELDS.intersection(changed):
        search.index(TICKETS, ticket)


def index_tickets(tickets: list[Ticket]) -> None:
    """Write the documents of new tickets in one statement (a bulk creation); `customer` is read."""
    prefetch_related_objects([t for t in tickets if t.customer_id], "customer")
    search.index_many(TICKETS, tickets)
