"""The tickets' part of an erasure (tickets.personal_data.erase): the audit log names each of the
customer's tickets by its number instead of the subject it showed, in one statement for all of
them, and no other ticket's entries change."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.core import personal_data as pd
from kefu.customers.models import Customer
from kefu.tickets import personal_data
from kefu.tickets.models import Ticket
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType

pytestmark = pytest.mark.django_db


def test_the_audit_log_names_the_erased_customers_tickets_by_number_in_one_update(cast, customer):
    other = Customer.objects.create(name="李娜")
    subjects = ["张伟的屏幕坏了", "张伟要退款", "张伟的发票"]
    mine = [
        create_ticket(
            actor=cast.agent, type=TicketType.CONSULTATION, subject=s, customer_id=customer.pk
        )
        for s in subjects
    ]
    theirs = create_ticket(
        actor=cast.agent, type=TicketType.CONSULTATION, subject="李娜的订单", customer_id=other.pk
    )
    for ticket in [*mine, theirs]:
        audit(AuditAction.ACCESS_DENIED, actor=cast.agent, obj=ticket, object_repr=ticket.subject)
        audit(AuditAction.REVEAL, actor=cast.agent, obj=ticket, object_repr=ticket.subject)
    with CaptureQueriesContext(connection) as queries:
        personal_data.erase(customer)
    relabels = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("UPDATE") and "accounts_auditentry" in q["sql"]
    ]
    assert len(relabels) == 1  # however many tickets
    labels = {
        (e.object_id, e.object_repr)
        for e in AuditEntry.objects.filter(object_type="tickets.ticket")
    }
    assert labels == {
        *((str(t.pk), t.number) for t in mine),
        (str(theirs.pk), "李娜的订单"),
    }
    assert set(Ticket.objects.filter(customer=customer).values_list("subject", flat=True)) == {
        pd.ERASED
    }
