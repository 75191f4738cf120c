"""Issue 10.5: the widget's offline form stores the visitor's contact as the customer's identity,
never in the ticket's text; the inspector (who may not see full phone numbers) reads the ticket
page and the API without finding the number."""

import pytest
from django.test import Client

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.conversations.models import Visitor
from kefu.conversations.tests.test_widget import GOOD_FORM, offline
from kefu.customers.models import ContactIdentity, Customer
from kefu.customers.services import profiles
from kefu.tickets.models import Ticket
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FULL = ("13800138000", "138 0013 8000", "+8613800138000", "138-0013-8000")


@pytest.fixture
def visitor(inbox):
    return Visitor.objects.create(inbox=inbox)


def test_the_offline_form_keeps_the_phone_out_of_the_ticket_and_the_inspector_never_sees_it(
    inbox, visitor
):
    response = offline(
        inbox, visitor, {**GOOD_FORM, "message": "发票的事，也可以打 13800138000 找我"}
    )
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert not any(number in ticket.content for number in FULL[2:3])  # the contact field
    assert ticket.customer.identities.get().value == "+8613800138000"

    inspector = sign_in(Client(), UserFactory(role=Role.INSPECTOR))
    page = inspector.get(f"/tickets/{ticket.pk}/").content.decode()
    api = inspector.get(f"/api/v1/tickets/{ticket.pk}").content.decode()
    for body in (page, api):
        assert not any(number in body for number in FULL), body[:2000]
        assert "138****8000" in body  # what the visitor typed into the message, masked

    agent = sign_in(Client(), UserFactory(role=Role.AGENT))  # holds the reveal right
    assert "13800138000" in agent.get(f"/api/v1/tickets/{ticket.pk}").json()["content"]


def test_a_second_message_with_the_same_contact_finds_the_same_customer(inbox, visitor):
    offline(inbox, visitor, GOOD_FORM)
    other_visitor = Visitor.objects.create(inbox=inbox)
    offline(inbox, other_visitor, {**GOOD_FORM, "contact": "13800138000"})
    assert Customer.objects.count() == 1
    assert Ticket.objects.values("customer").distinct().count() == 1


def test_a_verified_visitor_s_contact_goes_to_their_record(inbox, visitor):
    customer = profiles.create_customer(actor=UserFactory(), name="黄伟")
    visitor.customer = customer
    visitor.save()
    offline(inbox, visitor, {**GOOD_FORM, "contact": "huang@example.com"})
    assert Ticket.objects.get().customer_id == customer.pk
    assert list(ContactIdentity.objects.values_list("customer", "value")) == [
        (customer.pk, "huang@example.com")
    ]
    assert "huang@example.com" not in Ticket.objects.get().content
