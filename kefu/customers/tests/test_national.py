"""A mobile as agents type it (identities.national): one function, and the customers' search, the
tickets' search and the erasure of quoted contact points all use it, so 13912345678 finds and
erases what +86 139 1234 5678 stored."""

import pytest

from kefu.accounts.roles import Role
from kefu.customers import identities
from kefu.customers.documents import customer_document
from kefu.customers.models import Customer, IdentityKind
from kefu.customers.personal_data import contact_points
from kefu.customers.services import profiles
from kefu.tickets.documents import ticket_document
from kefu.tickets.models import Ticket


def test_national_is_the_number_without_chinas_country_code():
    assert identities.national("+8613912345678") == "13912345678"
    assert identities.national("+86 139-1234-5678") == "13912345678"
    assert identities.national("+862061234567") == "2061234567"  # a landline: its area code
    assert identities.national("+12025550123") == "12025550123"  # elsewhere: every digit
    assert identities.national("13912345678") == "13912345678"
    assert identities.national("") == ""


@pytest.mark.django_db
def test_the_three_readers_of_a_mobile_agree(make_user):
    agent = make_user(Role.SUPERVISOR)
    customer = profiles.create_customer(
        actor=agent,
        name="张伟",
        contacts=profiles.ContactPoints({IdentityKind.MOBILE: ["139 1234 5678", "13800138000"]}),
    )
    customer = Customer.objects.get(pk=customer.pk)
    typed = {identities.national(m) for m in ("+8613912345678", "+8613800138000")}
    assert typed == {"13912345678", "13800138000"}
    assert typed <= set(customer_document(customer).keywords)  # the archive's search
    assert typed <= contact_points(customer)  # what an erasure blanks where it was quoted
    ticket = Ticket(number="TS1", subject="退款", customer=customer)
    national = identities.national(customer.mobile)
    assert national in typed
    assert {national, national[-4:]} <= set(ticket_document(ticket).keywords)  # tickets' search
