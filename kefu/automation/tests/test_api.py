"""The automation API, like the pages: managers and administrators only, values checked at the
boundary with a clear answer, nothing saved on a refusal."""

import json

import pytest
from django.test import Client

from kefu.accounts.roles import Role
from kefu.accounts.services import create_api_token
from kefu.automation.models import Delivery, DeliveryState, Rule, Webhook
from kefu.customers.models import Customer, Level
from kefu.tickets.services.tickets import create_ticket

pytestmark = pytest.mark.django_db


def api(user) -> Client:
    _token, raw = create_api_token(user=user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


RULE = {
    "name": "VIP 投诉加急",
    "trigger": "ticket_created",
    "conditions": {"ticket_type": "complaint", "customer_level": "vip"},
    "actions": {"set_priority": "urgent"},
}


def test_a_manager_creates_dry_runs_and_switches_on_a_rule(make_user):
    manager = make_user(Role.MANAGER)
    client = api(manager)
    vip = Customer.objects.create(name="王女士", level=Level.VIP)
    hit = create_ticket(actor=manager, type="complaint", subject="破损", customer_id=vip.pk)

    made = post(client, "/api/v1/automation/rules", RULE)
    assert made.status_code == 201, made.content
    rule_id = made.json()["id"]
    assert made.json()["is_enabled"] is False
    dry = post(client, "/api/v1/automation/dry-run", {**RULE, "last": 5}).json()
    assert [(row["kind"], row["id"], row["matched"], len(row["actions"])) for row in dry] == [
        ("ticket", hit.pk, True, 1)
    ]
    assert not Rule.objects.filter(is_enabled=True).exists()
    switched = post(client, f"/api/v1/automation/rules/{rule_id}/switch", {"enabled": True})
    assert switched.json()["is_enabled"] is True
    assert [r["id"] for r in client.get("/api/v1/automation/rules").json()] == [rule_id]
    assert client.get("/api/v1/automation/log").json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    "change",
    [
        {"trigger": "nonsense"},
        {"conditions": {"no_such": 1}},
        {"conditions": {"priority": "sky-high"}},
        {"conditions": {"time_from": "25:00", "time_to": "08:00"}},
        {"conditions": {"time_from": "08:00"}},
        {"conditions": {"rating_at_most": 9}},
        {"actions": {}},
        {"actions": {"assign_to": "abc"}},
        {"actions": {"assign_to": True}},
        {"actions": {"create_ticket": "x" * 201}},
        {"actions": {"canned_reply": 3}},  # a chat's action on a ticket's trigger
        {"name": "   "},
    ],
)
def test_a_rule_with_a_bad_value_is_refused_with_the_reason(make_user, change):
    client = api(make_user(Role.MANAGER))
    answer = post(client, "/api/v1/automation/rules", {**RULE, **change})
    assert answer.status_code in (400, 422), answer.content
    assert answer.json()["detail"]
    assert not Rule.objects.exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.INSPECTOR])
def test_other_roles_are_refused(make_user, role):
    client = api(make_user(role))
    assert post(client, "/api/v1/automation/rules", RULE).status_code == 403
    assert client.get("/api/v1/automation/rules").status_code == 403
    assert client.get("/api/v1/automation/deliveries").status_code == 403
    assert not Rule.objects.exists()


def test_missing_objects_answer_404(make_user):
    client = api(make_user(Role.ADMINISTRATOR))
    assert client.get("/api/v1/automation/rules/99").status_code == 404
    assert post(client, "/api/v1/automation/rules/99/switch", {"enabled": True}).status_code == 404
    assert post(client, "/api/v1/automation/deliveries/99/resend", {}).status_code == 404


def test_deliveries_are_listed_and_a_finished_one_is_resent(make_user, receiver, loopback_allowed):
    client = api(make_user(Role.MANAGER))
    webhook = Webhook.objects.create(name="ERP", url=f"{receiver.url}/hook", secret="s")
    old = Delivery.objects.create(webhook=webhook, event="e", body="{}", state=DeliveryState.FAILED)
    listed = client.get("/api/v1/automation/deliveries").json()["items"]
    assert [(d["id"], d["state"]) for d in listed] == [(old.pk, "failed")]
    answer = post(client, f"/api/v1/automation/deliveries/{old.pk}/resend", {})
    assert answer.status_code == 201
    assert Delivery.objects.count() == 2


def test_rules_are_reordered_and_deleted_and_the_order_is_the_order_they_run_in(
    make_user, django_capture_on_commit_callbacks
):
    """Two rules set the priority of every new ticket: the later one's value stays. Moved up
    through the API, the other one runs last; a deleted rule runs no more (issue 18.1, 18.5)."""
    manager = make_user(Role.MANAGER)
    client = api(manager)
    made = {}
    for name, priority in [("高", "high"), ("紧急", "urgent")]:
        body = {"name": name, "trigger": "ticket_created", "conditions": {}}
        answer = post(
            client, "/api/v1/automation/rules", {**body, "actions": {"set_priority": priority}}
        )
        made[name] = answer.json()["id"]
        post(client, f"/api/v1/automation/rules/{made[name]}/switch", {"enabled": True})

    def new_ticket_priority() -> str:
        with django_capture_on_commit_callbacks(execute=True):
            ticket = create_ticket(actor=manager, type="consultation", subject="台灯")
        ticket.refresh_from_db()
        return ticket.priority

    assert new_ticket_priority() == "urgent"
    moved = post(client, f"/api/v1/automation/rules/{made['紧急']}/move", {"up": True})
    assert moved.status_code == 200
    assert [r["name"] for r in moved.json()] == ["紧急", "高"]
    assert new_ticket_priority() == "high"

    assert client.delete(f"/api/v1/automation/rules/{made['高']}").status_code == 204
    assert list(Rule.objects.values_list("name", flat=True)) == ["紧急"]
    assert new_ticket_priority() == "urgent"
    assert client.delete(f"/api/v1/automation/rules/{made['高']}").status_code == 404
    refused = api(make_user(Role.SUPERVISOR))  # the rules are out of their sight: 404
    assert refused.delete(f"/api/v1/automation/rules/{made['紧急']}").status_code == 404
    moving = post(refused, f"/api/v1/automation/rules/{made['紧急']}/move", {"up": False})
    assert moving.status_code == 404
    assert Rule.objects.count() == 1
