"""Recording calls: the customer found by number, the timeline, the seven-day contact, linking."""

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.models import TimelineEntry
from kefu.customers.models import ContactIdentity, Customer
from kefu.telephony import services
from kefu.telephony.models import Call, CallOutcome

pytestmark = pytest.mark.django_db


def test_a_call_finds_its_customer_by_number_and_counts_as_contact(cast, customer):
    Customer.objects.filter(pk=customer.pk).update(
        owner=cast.agent, contact_due_at=timezone.now() + dt.timedelta(days=3)
    )
    started = timezone.now() - dt.timedelta(minutes=10)
    call = services.record_call(
        actor=cast.agent,
        direction="in",
        number="+86 138-0013-8000",
        outcome="answered",
        started_at=started,
        duration_seconds=185,
        subject="咨询退换货政策",
    )
    assert (call.number, call.customer_id, call.agent_id, call.duration_seconds) == (
        "+8613800138000",
        customer.pk,
        cast.agent.pk,
        185,
    )
    assert call.answered_at == started and call.ended_at == started + dt.timedelta(seconds=185)
    customer.refresh_from_db()
    assert customer.contact_due_at is None and customer.last_contacted_at == started
    kinds = list(
        TimelineEntry.objects.filter(customer_id=customer.pk).values_list("kind", "summary")
    )
    assert (
        "customers.contacted",
        "Phone call：Incoming · Answered · 3:05 · 咨询退换货政策",
    ) in kinds
    assert TimelineEntry.objects.filter(kind="telephony.call", subject_id=str(call.pk)).count() == 1


def test_a_missed_call_is_on_the_timeline_but_is_no_contact(cast, customer):
    due = timezone.now() + dt.timedelta(days=3)
    Customer.objects.filter(pk=customer.pk).update(contact_due_at=due)
    call = services.record_call(
        actor=cast.agent,
        direction="out",
        number="13800138000",
        outcome="missed",
        duration_seconds=50,
    )
    assert (call.duration_seconds, call.answered_at) == (0, None)  # nobody talked
    customer.refresh_from_db()
    assert customer.contact_due_at == due and customer.last_contacted_at is None
    entry = TimelineEntry.objects.get(customer_id=customer.pk, kind="telephony.call")
    assert entry.summary == "Outgoing · Missed"


def test_refusals_change_nothing(cast, customer):
    with pytest.raises(PermissionRefused):
        services.record_call(
            actor=cast.inspector, direction="in", number="13800138000", outcome="answered"
        )
    with pytest.raises(DomainError, match="outcome"):
        services.record_call(
            actor=cast.agent, direction="in", number="13800138000", outcome="ringing"
        )
    with pytest.raises(DomainError, match="future"):
        services.record_call(
            actor=cast.agent,
            direction="in",
            number="13800138000",
            outcome="answered",
            started_at=timezone.now() + dt.timedelta(hours=1),
        )
    with pytest.raises(DomainError, match="phone number"):
        services.record_call(actor=cast.agent, direction="in", number="  ", outcome="answered")
    with pytest.raises(Http404):  # another agent's customer answers like a missing one
        services.record_call(
            actor=cast.agent2,
            direction="in",
            number="13800138000",
            outcome="answered",
            customer_id=customer.pk,
        )
    assert Call.objects.count() == 0


def test_an_unknown_number_is_linked_and_becomes_the_customers(cast, customer):
    call = services.record_call(
        actor=cast.agent, direction="in", number="13912345678", outcome="answered"
    )
    assert call.customer_id is None
    services.link_call_to_customer(actor=cast.agent, call=call, customer_id=customer.pk)
    call.refresh_from_db()
    assert call.customer_id == customer.pk
    assert set(
        ContactIdentity.objects.filter(customer=customer).values_list("value", flat=True)
    ) == {"+8613800138000", "+8613912345678"}
    again = services.record_call(
        actor=cast.agent, direction="in", number="139 1234 5678", outcome="missed"
    )
    assert again.customer_id == customer.pk
    with pytest.raises(DomainError, match="already linked"):
        services.create_customer_from_call(actor=cast.agent, call=call, name="李娜")


def test_a_new_customer_from_a_call(cast):
    call = services.record_call(
        actor=cast.agent, direction="in", number="02087654321", outcome="callback"
    )
    created = services.create_customer_from_call(actor=cast.agent, call=call, name="李娜")
    call.refresh_from_db()
    assert call.customer_id == created.pk and created.source == "phone"
    assert list(created.identities.values_list("kind", "value")) == [("phone", "+862087654321")]
    created.refresh_from_db()
    assert (
        created.last_contacted_at == call.started_at
    )  # callback requested: the customer was reached


def test_completing_the_work_record(cast, customer):
    call = services.record_call(
        actor=cast.agent, direction="in", number="13800138000", outcome="missed"
    )
    services.update_call_notes(
        actor=cast.agent,
        call=call,
        subject="回拨成功",
        notes="客户要求下午回电",
        outcome=CallOutcome.CALLBACK_REQUESTED,
    )
    call.refresh_from_db()
    customer.refresh_from_db()
    assert (call.outcome, call.subject, call.notes) == ("callback", "回拨成功", "客户要求下午回电")
    assert customer.last_contacted_at == call.started_at
