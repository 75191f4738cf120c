"""The chat's customer card links the archive only for a reader who may open it: an inspector reads
every conversation but not the archive (the link answered 403)."""

import pytest
from django.test import Client

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.conversations.models import Conversation
from kefu.conversations.tests.conftest import make_conversation
from kefu.customers.models import Customer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}  # the chat pane, as the workspace loads it


def test_the_archive_link_is_offered_to_those_who_may_open_it():
    customer = Customer.objects.create(name="赵敏")
    conversation = make_conversation(name="赵敏")
    Conversation.objects.filter(pk=conversation.pk).update(customer=customer)
    link = f'href="/customers/{customer.pk}/"'
    inspector = sign_in(Client(), UserFactory(role=Role.INSPECTOR))
    page = inspector.get(f"/conversations/{conversation.pk}/", headers=HTMX)
    assert page.status_code == 200 and "赵敏" in page.content.decode()
    assert link not in page.content.decode()
    supervisor = sign_in(Client(), UserFactory(role=Role.SUPERVISOR))
    assert (
        link in supervisor.get(f"/conversations/{conversation.pk}/", headers=HTMX).content.decode()
    )
