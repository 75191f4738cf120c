"""The seven-day rule (seed 000: 责任客服在一周内通过电话、邮件或短信联系客户): the owner's contact through any
channel meets it, anyone else's is recorded but does not; an overdue contact reminds the owner once."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.conversations.models import Conversation, ConversationState, SenderKind
from kefu.conversations.services.lifecycle import close_conversation
from kefu.conversations.services.messages import post_message
from kefu.conversations.tests.conftest import make_agent, make_conversation, make_inbox
from kefu.customers.models import Customer
from kefu.customers.services.assignment import remind_overdue_contacts
from kefu.customers.services.profiles import ContactPoints, create_customer
from kefu.notifications.models import Notification
from kefu.sms.models import SmsTemplate
from kefu.telephony import services as telephony

pytestmark = pytest.mark.django_db(transaction=True)  # subscribers run after commit


@pytest.fixture
def owner(make_user):
    return make_user(Role.AGENT, display_name="王芳")


@pytest.fixture
def customer(owner):
    customer = create_customer(
        actor=owner, name="张伟", contacts=ContactPoints({"mobile": ["13800138000"]})
    )
    Customer.objects.filter(pk=customer.pk).update(
        owner=owner, contact_due_at=timezone.now() + dt.timedelta(days=3)
    )
    return customer


def due_at(customer) -> dt.datetime | None:
    return Customer.objects.get(pk=customer.pk).contact_due_at


def call(actor, customer):
    return telephony.record_call(
        actor=actor,
        direction="out",
        number="13800138000",
        outcome="answered",
        started_at=timezone.now() - dt.timedelta(minutes=5),
        duration_seconds=60,
        subject="回访",
    )


def test_another_agents_call_is_recorded_but_leaves_the_owners_due_date(make_user, customer):
    colleague = make_user(Role.AGENT)
    call(colleague, customer)
    refreshed = Customer.objects.get(pk=customer.pk)
    assert refreshed.contact_due_at is not None
    assert refreshed.last_contacted_at is not None  # the contact itself is on record


def test_the_owners_call_and_a_supervisors_call_meet_the_rule(make_user, owner, customer):
    call(owner, customer)
    assert due_at(customer) is None

    Customer.objects.filter(pk=customer.pk).update(contact_due_at=timezone.now())
    call(make_user(Role.SUPERVISOR), customer)  # acting for the owner
    assert due_at(customer) is None


def test_the_owners_sms_from_the_customer_page_meets_the_rule(owner, customer):
    SmsTemplate.objects.create(
        code="care", name="关怀", provider_template_id="SMS_1", body="您好，{name}。"
    )
    client = sign_in(Client(), owner)
    response = client.post(
        f"/sms/customer/{customer.pk}/send/", {"template": "care", "var_name": "张伟"}
    )
    assert response.status_code == 302
    assert due_at(customer) is None


def served_chat(customer, agent, *replies: tuple[str, bool]):
    """A chat with `customer` that `agent` serves, with the agent's (body, is_internal) messages."""
    conversation = make_conversation(make_inbox())
    Conversation.objects.filter(pk=conversation.pk).update(
        customer=customer, assignee=agent, state=ConversationState.OPEN
    )
    conversation.refresh_from_db()
    for body, internal in replies:
        post_message(
            conversation=conversation,
            sender=SenderKind.AGENT,
            author=agent,
            body=body,
            is_internal=internal,
        )
    return conversation


def test_a_closed_chat_in_which_the_owner_answered_meets_the_rule(owner, customer):
    conversation = served_chat(customer, owner, ("您好，我是您的专属客服", False))
    close_conversation(conversation=conversation, actor=owner)
    assert due_at(customer) is None


def test_a_closed_chat_answered_by_someone_else_leaves_the_due_date(customer):
    other = make_agent()
    conversation = served_chat(customer, other, ("您好", False), ("备注", True))
    close_conversation(conversation=conversation, actor=other)
    assert due_at(customer) is not None
    assert Customer.objects.get(pk=customer.pk).last_contacted_at is not None


def test_a_chat_with_only_internal_notes_is_no_contact(owner, customer):
    conversation = served_chat(customer, owner, ("内部备注", True))
    close_conversation(conversation=conversation, actor=owner)
    refreshed = Customer.objects.get(pk=customer.pk)
    assert refreshed.contact_due_at is not None and refreshed.last_contacted_at is None


def test_an_overdue_contact_reminds_the_owner_once(owner, customer):
    Customer.objects.filter(pk=customer.pk).update(
        contact_due_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert remind_overdue_contacts() == 1
    assert remind_overdue_contacts() == 0  # once per assignment
    [notice] = Notification.objects.filter(recipient=owner)
    assert notice.link == "/customers/due/"
    assert "1" in notice.title
