"""Issue 9.13: Priority.URGENT promises "a supervisor is told at once". A ticket created urgent (on
the page, through the API, from a chat) tells every supervisor and manager, through the ticket's
event and a notification; a normal one tells nobody."""

import json

import pytest
from django.test import Client
from django.utils import translation

from conftest import sign_in
from kefu.notifications.models import Notification
from kefu.tickets.models import Ticket
from kefu.tickets.services.tickets import create_ticket, set_ticket_fields

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_chinese():
    with translation.override("zh-hans"):
        yield


def test_an_urgent_ticket_tells_the_supervisors_at_once(
    cast, customer, django_capture_on_commit_callbacks
):
    client = sign_in(Client(), cast.agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/tickets/new/",
            {
                "type": "complaint",
                "subject": "燃气泄漏报修",
                "content": "客户闻到燃气味",
                "customer": customer.pk,
                "channel": "phone",
                "priority": "urgent",
            },
        )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    told = Notification.objects.filter(kind="tickets.urgent", link=f"/tickets/{ticket.pk}/")
    assert set(told.values_list("recipient", flat=True)) == {cast.supervisor.pk, cast.manager.pk}
    inbox = sign_in(Client(), cast.supervisor).get("/notifications/").content.decode()
    assert f"紧急投诉 {ticket.number}：燃气泄漏报修" in inbox


def test_through_the_api_too_and_a_normal_ticket_tells_nobody(
    cast, django_capture_on_commit_callbacks
):
    client = sign_in(Client(), cast.agent)
    with django_capture_on_commit_callbacks(execute=True):
        for priority in ("normal", "urgent"):
            client.post(
                "/api/v1/tickets",
                data=json.dumps({"type": "consultation", "subject": "问", "priority": priority}),
                content_type="application/json",
            )
    urgent = Ticket.objects.get(priority="urgent")
    assert set(Notification.objects.values_list("link", flat=True)) == {f"/tickets/{urgent.pk}/"}


def test_a_ticket_made_urgent_later_tells_the_supervisors_too(
    cast, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = create_ticket(
            actor=cast.agent, type="complaint", subject="热水器漏水", customer_id=customer.pk
        )
    assert not Notification.objects.filter(kind="tickets.urgent").exists()
    with django_capture_on_commit_callbacks(execute=True):
        set_ticket_fields(
            actor=cast.supervisor,
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            priority="urgent",
        )
    told = Notification.objects.filter(kind="tickets.urgent", link=f"/tickets/{ticket.pk}/")
    assert list(told.values_list("recipient", flat=True)) == [cast.manager.pk]  # not who raised it
    with django_capture_on_commit_callbacks(execute=True):  # lowered: nobody is told again
        ticket.refresh_from_db()
        set_ticket_fields(
            actor=cast.manager,
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            priority="normal",
        )
    assert told.count() == 1
