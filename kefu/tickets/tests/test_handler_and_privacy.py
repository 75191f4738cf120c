"""Issue 9.21/9.22 and 10.5 on the ticket page and API: a routed complaint gets its 处理人 (handler),
shown and changeable; the customer's e-mail is masked like the mobile; phone and ID numbers typed
into free text are masked for roles without the reveal right; deadline warnings wait for working
time."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import translation

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.customers.services import profiles
from kefu.notifications.models import Notification
from kefu.tickets.models import SlaAlert, SlaLevel, Ticket
from kefu.tickets.services import loop, sla
from kefu.tickets.services.tickets import add_note, create_ticket
from kefu.tickets.states import TicketState, TicketType

from .conftest import NOW, SH

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_chinese():
    with translation.override("zh-hans"):
        yield


def page(user, ticket) -> str:
    response = sign_in(Client(), user).get(f"/tickets/{ticket.pk}/")
    assert response.status_code == 200
    return response.content.decode()


# --- 处理人 ----------------------------------------------------------------------------------------


def test_a_routed_complaint_gets_the_least_busy_staff_member_as_handler(
    cast, complaint_in, make_user, tech, django_capture_on_commit_callbacks
):
    busy = complaint_in(TicketState.ROUTED)
    assert busy.handler == cast.staff  # the department's only staff member
    second = make_user(Role.DEPARTMENT_STAFF, department=tech, display_name="技术部小李")
    with django_capture_on_commit_callbacks(execute=True):
        routed = complaint_in(TicketState.ROUTED)
    assert routed.handler == second  # cast.staff already handles one open complaint
    assert Notification.objects.filter(
        recipient=second, kind="tickets.handler_changed", link=f"/tickets/{routed.pk}/"
    ).exists()
    html = page(cast.agent, routed)
    assert "处理人" in html and "技术部小李" in html.split('data-testid="handler"')[1][:200]
    body = sign_in(Client(), cast.agent).get(f"/api/v1/tickets/{routed.pk}").json()
    assert body["handler_id"] == second.pk


def test_department_staff_take_it_and_a_supervisor_gives_it(cast, complaint_in, make_user, tech):
    second = make_user(Role.DEPARTMENT_STAFF, department=tech)
    ticket = complaint_in(TicketState.ROUTED)
    holder = ticket.handler
    taker = second if holder != second else cast.staff
    client = sign_in(Client(), taker)
    assert "由我处理" in client.get(f"/tickets/{ticket.pk}/").content.decode()
    taken = client.post(
        f"/tickets/{ticket.pk}/handler/", {"handler": "me", "version": ticket.version}
    )
    assert taken.status_code == 302
    ticket.refresh_from_db()
    assert ticket.handler == taker
    given = sign_in(Client(), cast.supervisor).post(
        f"/api/v1/tickets/{ticket.pk}/handler",
        data=json.dumps({"version": ticket.version, "handler_id": holder.pk}),
        content_type="application/json",
    )
    assert given.status_code == 200 and given.json()["handler_id"] == holder.pk


@pytest.mark.parametrize("role", ["inspector", "agent"])
def test_others_may_not_set_the_handler(role, cast, complaint_in):
    ticket = complaint_in(TicketState.ROUTED)
    client = sign_in(Client(), getattr(cast, role))
    refused = client.post(
        f"/api/v1/tickets/{ticket.pk}/handler",
        data=json.dumps({"version": ticket.version, "handler_id": getattr(cast, role).pk}),
        content_type="application/json",
    )
    assert refused.status_code == 403
    on_page = client.post(
        f"/tickets/{ticket.pk}/handler/", {"handler": "me", "version": ticket.version}
    )
    assert on_page.status_code == 403 and "只有本部门人员可以认领工单" in on_page.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).handler == cast.staff


def test_a_supervisor_may_only_give_it_to_the_department_s_staff(cast, complaint_in):
    ticket = complaint_in(TicketState.ROUTED)
    refused = sign_in(Client(), cast.supervisor).post(
        f"/api/v1/tickets/{ticket.pk}/handler",
        data=json.dumps({"version": ticket.version, "handler_id": cast.other_staff.pk}),
        content_type="application/json",
    )
    assert refused.status_code == 400 and "技术部" in refused.json()["detail"]


# --- masking on the ticket page ------------------------------------------------------------------


def test_the_customer_s_email_is_masked_on_the_ticket_page(cast, new_complaint):
    customer = profiles.create_customer(actor=cast.agent, name="李娜", email="lina.w@example.com")
    ticket = new_complaint()
    Ticket.objects.filter(pk=ticket.pk).update(customer=customer)
    html = page(cast.agent, ticket)
    assert "lina.w@example.com" not in html and "l***@example.com" in html


TYPED = "客户说打 13912345678 或 0771-5551234，身份证 11010519491231002X"


def test_numbers_typed_into_free_text_are_masked_for_roles_without_the_reveal_right(
    cast, complaint_in
):
    ticket = complaint_in(TicketState.ROUTED)
    Ticket.objects.filter(pk=ticket.pk).update(content=TYPED, subject="回电 13912345678")
    add_note(actor=cast.agent, ticket_id=ticket.pk, kind="internal", body=TYPED)
    masked = ("139****5678", "0771-*****34", "1101**********002X")
    for reader in (cast.inspector, cast.staff):
        client = sign_in(Client(), reader)
        html = client.get(f"/tickets/{ticket.pk}/").content.decode()
        api = client.get(f"/api/v1/tickets/{ticket.pk}").content.decode()
        listed = client.get("/tickets/").content.decode()
        for body in (html, api, listed):
            assert "13912345678" not in body and "5551234" not in body
        assert all(m in html for m in masked) and all(m in api for m in masked)
        if reader is cast.staff:  # the notes (internal notes are shown to the department too)
            notes = client.get(f"/api/v1/tickets/{ticket.pk}/notes").content.decode()
            assert "13912345678" not in notes and "139****5678" in notes
    assert "13912345678" in page(cast.agent, ticket)  # the agent holds the reveal right


def test_order_and_tracking_numbers_are_not_mistaken_for_personal_data(cast, new_complaint):
    ticket = new_complaint()
    text = "订单 261119123456789012 运单 SF123456789012 工单 TS20261120-0001"
    Ticket.objects.filter(pk=ticket.pk).update(content=text)
    assert text in page(cast.inspector, ticket)


# --- warnings in working time only ------------------------------------------------------------------


def test_deadline_warnings_wait_for_working_time(cast):
    """Due on Monday 09:30: on Saturday it is half an hour of working time away, but nobody is at
    work; Monday's first sweep warns."""
    friday_evening = dt.datetime(2026, 11, 27, 17, 50, tzinfo=SH)
    ticket = create_ticket(
        actor=cast.agent, type=TicketType.CONSULTATION, subject="发票", now=friday_evening
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        stage_due_at=dt.datetime(2026, 11, 30, 9, 30, tzinfo=SH)
    )
    saturday = sla.sweep_sla(now=dt.datetime(2026, 11, 28, 10, tzinfo=SH))
    sunday_night = sla.sweep_sla(now=dt.datetime(2026, 11, 29, 23, tzinfo=SH))
    assert (saturday.warnings, sunday_night.warnings) == (0, 0)
    assert not SlaAlert.objects.filter(level=SlaLevel.WARNING, ticket=ticket).exists()
    monday = sla.sweep_sla(now=dt.datetime(2026, 11, 30, 9, 0, tzinfo=SH))
    assert monday.warnings >= 1
    assert SlaAlert.objects.filter(level=SlaLevel.WARNING, ticket=ticket, clock="stage").exists()


def test_a_breach_is_still_recorded_whenever_the_sweep_runs(cast):
    ticket = create_ticket(actor=cast.agent, type=TicketType.CONSULTATION, subject="发票", now=NOW)
    loop.answer_ticket(
        actor=cast.agent, ticket_id=ticket.pk, expected_version=1, answer="已答复", now=NOW
    )
    result = sla.sweep_sla(now=dt.datetime(2026, 11, 28, 10, tzinfo=SH))  # a Saturday
    assert result.breaches >= 1
