"""What a refused ticket move answers, through the API and the pages (docs/access.md): a refusal by
role is 403; a move the ticket's state does not allow, or a rule about the input, is 400; each with
its reason in Chinese, and nothing changes."""

import json

import pytest
from django.test import Client
from django.utils import translation

from conftest import sign_in
from kefu.tickets.models import Ticket
from kefu.tickets.services import loop
from kefu.tickets.states import TicketState

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_chinese():
    with translation.override("zh-hans"):
        yield


def api_move(user, ticket, name, **values):
    return sign_in(Client(), user).post(
        f"/api/v1/tickets/{ticket.pk}/moves/{name}",
        data=json.dumps({"version": ticket.version, "values": values}),
        content_type="application/json",
    )


def page_move(user, ticket, name, **values):
    data = {f"{name}-version": ticket.version, **{f"{name}-{k}": v for k, v in values.items()}}
    return sign_in(Client(), user).post(f"/tickets/{ticket.pk}/move/{name}/", data)


def unchanged(ticket) -> bool:
    fresh = Ticket.objects.get(pk=ticket.pk)
    return (fresh.state, fresh.version) == (ticket.state, ticket.version)


def reopened_complaint(cast, complaint_in) -> Ticket:
    """Closed, then reopened: back at the validity judgment, still routed to the technical
    department, so its staff (tech1) see it and could try to judge it."""
    closed = complaint_in(TicketState.CLOSED)
    return loop.reopen_ticket(
        actor=cast.agent,
        ticket_id=closed.pk,
        expected_version=closed.version,
        reason="客户反映问题复现",
        now=NOW,
    )


ROLE_REFUSALS = [  # (who, move, the state it is tried from, the move's values)
    ("inspector", "confirm_restatement", TicketState.RECEIVED, {"restatement": "已复述"}),
    ("staff", "approve_plan", TicketState.PLAN_PROPOSED, {}),
    ("staff", "judge_valid", "reopened", {}),
    ("staff", "close", TicketState.RETURN_VISITED, {}),
    ("other_staff", "record_cause", TicketState.ROUTED, {"cause": "漏检"}),  # another department
    ("agent", "approve_plan", TicketState.PLAN_PROPOSED, {}),
]


def _ticket_for(state, cast, complaint_in):
    return reopened_complaint(cast, complaint_in) if state == "reopened" else complaint_in(state)


@pytest.mark.parametrize(("role", "name", "state", "values"), ROLE_REFUSALS)
def test_a_refusal_by_role_answers_403_in_the_api(
    role, name, state, values, cast, complaint_in, django_user_model
):
    ticket = _ticket_for(state, cast, complaint_in)
    if (
        role == "other_staff"
    ):  # it cannot even see the ticket: another department's is a missing one
        assert api_move(getattr(cast, role), ticket, name, **values).status_code == 404
        return
    response = api_move(getattr(cast, role), ticket, name, **values)
    assert response.status_code == 403, response.content
    assert "没有此权限" in response.json()["detail"] or "部门" in response.json()["detail"]
    assert unchanged(ticket)


@pytest.mark.parametrize(
    ("role", "name", "state", "values"), [r for r in ROLE_REFUSALS if r[0] != "other_staff"]
)
def test_a_refusal_by_role_answers_403_on_the_page_with_its_reason(
    role, name, state, values, cast, complaint_in
):
    ticket = _ticket_for(state, cast, complaint_in)
    response = page_move(getattr(cast, role), ticket, name, **values)
    assert response.status_code == 403
    assert 'data-testid="refusal"' in response.content.decode()
    assert "没有此权限" in response.content.decode()
    assert unchanged(ticket)


def test_a_move_the_state_does_not_allow_answers_400_with_its_reason(cast, complaint_in):
    ticket = complaint_in(TicketState.ROUTED)
    response = api_move(cast.supervisor, ticket, "approve_plan")
    assert response.status_code == 400
    assert "方案待审批" in response.json()["detail"]  # the state it is possible from
    assert unchanged(ticket)


def test_a_rule_on_the_input_answers_400_with_its_reason(cast, complaint_in):
    ticket = complaint_in(TicketState.RECEIVED)
    response = api_move(cast.agent, ticket, "merge_into", survivor="TS20000101-9999")
    assert response.status_code == 400
    assert "TS20000101-9999" in response.json()["detail"]
    assert unchanged(ticket)


def test_a_refused_close_posted_from_the_form_shows_its_reason(cast, complaint_in):
    """The close form was on the page, the plan is not carried out yet: the page says why."""
    ticket = complaint_in(TicketState.CARRIED_OUT)
    response = page_move(cast.agent, ticket, "close")
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="refusal"' in body and "无法" in body and "已回访" in body
    assert unchanged(ticket)
