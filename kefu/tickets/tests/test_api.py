"""The tickets API: the same services and moves as the pages, in the OpenAPI schema."""

import json

import pytest
from django.test import Client

from conftest import sign_in
from kefu.tickets.models import Ticket
from kefu.tickets.states import TicketState

pytestmark = pytest.mark.django_db


def api(client, method, url, body=None):
    kwargs = (
        {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    )
    return getattr(client, method)(f"/api/v1{url}", **kwargs)


def test_a_complaint_goes_round_the_loop_through_the_api(cast, category, customer):
    agent, staff, boss = (sign_in(Client(), u) for u in (cast.agent, cast.staff, cast.supervisor))
    created = api(
        agent,
        "post",
        "/tickets",
        {
            "type": "complaint",
            "subject": "屏幕有亮点",
            "content": "三个亮点",
            "customer_id": customer.pk,
            "category_id": category.pk,
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["state"], body["category"], body["next_moves"]) == (
        "received",
        "产品质量 / 屏幕故障",
        ["confirm_restatement", "merge_into"],
    )

    def move(client, name, version, **values):
        response = api(
            client,
            "post",
            f"/tickets/{body['id']}/moves/{name}",
            {"version": version, "values": values},
        )
        assert response.status_code == 200, response.content
        return response.json()

    t = move(agent, "confirm_restatement", body["version"], restatement="客户确认：三个亮点")
    t = move(agent, "judge_valid", t["version"])
    assert t["department_id"] == cast.staff.department_id
    t = move(staff, "record_cause", t["version"], cause="漏检")
    t = move(staff, "propose_plan", t["version"], plan="换屏")
    t = move(boss, "approve_plan", t["version"])
    t = move(staff, "carry_out_plan", t["version"], note="已换")
    t = move(agent, "record_return_visit", t["version"], outcome="已解决", satisfaction=4)
    t = move(agent, "close", t["version"], summary="漏检，已加强质检", cost=120.5)
    assert (t["summary_evaluation"], t["resolution_cost"]) == ("漏检，已加强质检", "120.50")
    assert (t["state"], t["next_moves"]) == ("closed", ["reopen"])
    assert Ticket.objects.get().state == TicketState.CLOSED


def test_refusals_answer_clearly_and_change_nothing(cast, complaint_in):
    ticket = complaint_in(TicketState.PLAN_PROPOSED)
    agent = sign_in(Client(), cast.agent)
    refused = api(
        agent,
        "post",
        f"/tickets/{ticket.pk}/moves/approve_plan",
        {"version": ticket.version, "values": {}},
    )
    assert refused.status_code == 403 and "批准方案" in refused.json()["detail"]  # a role refusal
    stale = api(
        sign_in(Client(), cast.supervisor),
        "post",
        f"/tickets/{ticket.pk}/moves/approve_plan",
        {"version": 1, "values": {}},
    )
    assert stale.status_code == 409 and "方案待审批" in stale.json()["detail"]
    unknown = api(
        agent,
        "post",
        f"/tickets/{ticket.pk}/moves/explode",
        {"version": ticket.version, "values": {}},
    )
    assert unknown.status_code == 400
    missing = api(
        sign_in(Client(), cast.supervisor),
        "post",
        f"/tickets/{ticket.pk}/moves/return_plan",
        {"version": ticket.version, "values": {}},
    )
    assert missing.status_code == 422 and "values.reason" in missing.json()["detail"]
    ticket.refresh_from_db()
    assert (ticket.state, ticket.version) == (TicketState.PLAN_PROPOSED, ticket.version)


def test_department_isolation_and_listing(cast, complaint_in):
    routed = complaint_in(TicketState.ROUTED)
    received = complaint_in(TicketState.RECEIVED)
    staff, other = sign_in(Client(), cast.staff), sign_in(Client(), cast.other_staff)
    assert [t["number"] for t in api(staff, "get", "/tickets").json()["items"]] == [routed.number]
    assert api(other, "get", "/tickets").json()["items"] == []
    assert api(other, "get", f"/tickets/{routed.pk}").status_code == 404
    assert api(staff, "get", f"/tickets/{received.pk}").status_code == 404
    mine = api(sign_in(Client(), cast.supervisor), "get", "/tickets?view=awaiting_approval").json()[
        "items"
    ]
    assert mine == []


def test_notes_through_the_api(cast, complaint_in):
    ticket = complaint_in(TicketState.ROUTED)
    staff = sign_in(Client(), cast.staff)
    created = api(
        staff,
        "post",
        f"/tickets/{ticket.pk}/notes",
        {"kind": "info_request", "body": "请提供购买凭证照片"},
    )
    assert created.status_code == 201
    agent = sign_in(Client(), cast.agent)
    assert (
        api(
            agent, "post", f"/tickets/{ticket.pk}/notes", {"kind": "info_request", "body": "x"}
        ).status_code
        == 403
    )
    assert [n["body"] for n in api(agent, "get", f"/tickets/{ticket.pk}/notes").json()] == [
        "请提供购买凭证照片"
    ]


def test_the_ticket_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/tickets",
        "/api/v1/tickets/{ticket_id}",
        "/api/v1/tickets/{ticket_id}/moves/{name}",
        "/api/v1/tickets/{ticket_id}/notes",
    ):
        assert path in paths


def test_creating_a_ticket_through_the_api_takes_a_fixed_number_of_statements(
    cast, category, customer
):
    """Issue 11.3: one API creation, its token already verified, makes these statements and no more:
    the customer (once: its search document's name and mobile come with it), the category with its
    parents (one query), the number, the ticket, its search document and its timeline entry (the
    audit of creation), in one transaction; the time-limit policies and the calendar are kept per
    process until they change (core.process_cache). A statement more (a token look-up, the customer
    or a category's parent read again, the policies read on every ticket) fails here."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kefu.accounts.services import create_api_token

    _token, raw = create_api_token(user=cast.agent, name="script")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = {"type": "complaint", "subject": "屏幕有亮点", "customer_id": customer.pk}
    body["category_id"] = category.pk
    assert api(client, "post", "/tickets", body).status_code == 201  # verifies and keeps the token
    with CaptureQueriesContext(connection) as queries:
        created = api(client, "post", "/tickets", body)
    assert created.status_code == 201
    assert created.json()["category"] == "产品质量 / 屏幕故障"
    statements = [q["sql"].split(" ", 3)[:3] for q in queries.captured_queries]
    assert len(statements) == 8, "\n".join(q["sql"][:120] for q in queries.captured_queries)


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"category_id": 999999}, "category_id", "分类"),
        ({"customer_id": 999999}, "customer_id", "客户"),
        ({"type": "nonsense"}, "type", "类型"),
        ({"priority": "asap"}, "priority", "优先级"),
        ({"subject": "   "}, "subject", "主题"),
    ],
)
def test_a_value_a_rule_refuses_is_a_422_naming_its_field(cast, change, field, reason):
    """As a value the schema refuses (kefu.core.errors.DomainError's field, the API's handler):
    the sentence names the field, the error beside it gives the rule's reason; nothing is made."""
    refused = api(
        sign_in(Client(), cast.agent),
        "post",
        "/tickets",
        {"type": "consultation", "subject": "台灯不亮", **change},
    )
    assert refused.status_code == 422, refused.content
    answer = refused.json()
    assert field in answer["detail"]
    [error] = answer["errors"]
    assert error["loc"] == ["body", field] and reason in error["msg"]
    assert not Ticket.objects.exists()
