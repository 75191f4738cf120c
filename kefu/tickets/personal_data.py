"""What tickets hold about a customer (kefu/core/personal_data.py); an open complaint blocks an
erasure until it is closed. The states, times, satisfaction and cost stay for the statistics. The audit log keeps what was done to each ticket; the subject it showed
the ticket by becomes the ticket's number."""

from typing import Any

from django.db.models import Case, CharField, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import AuditEntry
from kefu.core import personal_data as pd
from kefu.core import search
from kefu.tickets.documents import TEXT_FIELDS, TICKETS
from kefu.tickets.models import Ticket, TicketAttachment, TicketNote
from kefu.tickets.states import TicketState, TicketType

FIELDS = (
    "number",
    "type",
    "state",
    "channel",
    "priority",
    "complainant",
    "created_at",
    *TEXT_FIELDS,
    "plan_return_reason",
    "summary_evaluation",
)
# What staff wrote of the case that is not searched but may name the customer: erased where written.
STAFF_NOTES = ("plan_return_reason", "summary_evaluation")


def export(customer: Any) -> list[pd.Table | pd.StoredFile]:
    tickets = Ticket.objects.filter(customer=customer)
    notes = TicketNote.objects.filter(ticket__customer=customer)
    return [
        pd.Table("tickets", pd.rows(tickets, FIELDS)),
        pd.Table("ticket_notes", pd.rows(notes, ("ticket__number", "kind", "created_at", "body"))),
        *pd.files(TicketAttachment.objects.filter(ticket__customer=customer), "ticket_attachments"),
    ]


def erase(customer: Any) -> dict[str, int]:
    tickets = Ticket.objects.filter(customer=customer)
    count = pd.blank(tickets, complainant="", **{f: pd.ERASED for f in TEXT_FIELDS})
    for name in STAFF_NOTES:
        pd.blank(tickets.exclude(**{name: ""}), **{name: pd.ERASED})
    notes = pd.blank(TicketNote.objects.filter(ticket__customer=customer), body=pd.ERASED)
    files = pd.delete_files(TicketAttachment.objects.filter(ticket__customer=customer))
    numbers = dict(tickets.values_list("pk", "number"))
    search.index_ids(TICKETS, numbers)  # the documents borrow name and mobile: written again
    _label_audit_by_number(numbers)
    return {"tickets": count, "ticket_notes": notes, "ticket_attachments": files}


AUDIT_BATCH = 500


def _label_audit_by_number(numbers: dict[int, str]) -> None:
    """The audit log names each of these tickets (id → number) by its number instead of the subject
    it showed: one UPDATE per AUDIT_BATCH tickets, of the entries not named so already."""
    ids = list(numbers)
    audited = AuditEntry.objects.filter(object_type=Ticket._meta.label_lower)
    for start in range(0, len(ids), AUDIT_BATCH):
        part = ids[start : start + AUDIT_BATCH]
        label = Case(
            *(When(object_id=str(pk), then=Value(numbers[pk])) for pk in part),
            output_field=CharField(),
        )
        audited.filter(object_id__in=[str(pk) for pk in part]).exclude(object_repr=label).update(
            object_repr=label
        )


def blockers(customer: Any) -> list[str]:
    open_complaints = list(
        Ticket.objects.filter(customer=customer, type=TicketType.COMPLAINT)
        .exclude(state=TicketState.CLOSED)
        .values_list("number", flat=True)
    )
    if not open_complaints:
        return []
    return [
        _("The customer has an open complaint (%(numbers)s); it must be closed first.")
        % {"numbers": ", ".join(open_complaints)}
    ]


def register() -> None:
    pd.register(pd.Holder("tickets", gettext_lazy("Tickets"), export, erase, blockers, order=20))
