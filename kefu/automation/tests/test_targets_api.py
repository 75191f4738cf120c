"""Webhooks and group robots through the API (issue 18.5), as on their pages: managers and
administrators only, checked by the page's form and the same service (a target inside the network
is a 422 naming the field, and nothing is saved), every change audited, the webhook's signing
secret sent once when it is made and never again, the robot's secret never read back."""

import json

import pytest
from django.test import Client

from conftest import HOSTILE_STRINGS
from kefu.accounts.models import AuditEntry
from kefu.accounts.roles import Role
from kefu.accounts.services import create_api_token
from kefu.automation.models import Robot, RobotKind, Webhook
from kefu.automation.tests.test_webhooks import INNER

pytestmark = pytest.mark.django_db

HOOK = {"name": "ERP 工单同步", "url": "http://127.0.0.1:9/hook", "is_active": True}
ROBOT = {
    "name": "投诉群",
    "kind": "dingtalk",
    "url": "http://127.0.0.1:9/robot/send?access_token=abc",
    "secret": "SECdingtalk-signing-secret",
    "on_breach": True,
}
EMPTY = {"webhooks": HOOK, "robots": ROBOT}


def api(user, *scopes: str) -> Client:
    _token, raw = create_api_token(user=user, name="t", scopes=scopes)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def send(client: Client, method: str, url: str, body: dict | None = None):
    return getattr(client, method)(
        url, data=json.dumps(body or {}), content_type="application/json"
    )


def steps() -> list[tuple[str, str]]:
    return [
        (e.details["automation"], e.object_id)
        for e in AuditEntry.objects.filter(details__has_key="automation").order_by("id")
    ]


def state() -> tuple:
    return (
        list(Webhook.objects.values_list("name", "url", "secret", "is_active")),
        list(Robot.objects.values_list("name", "kind", "url", "secret", "is_active")),
        AuditEntry.objects.filter(details__has_key="automation").count(),
    )


def test_a_manager_adds_lists_changes_and_turns_off_a_webhook(make_user, loopback_allowed):
    client = api(make_user(Role.MANAGER))

    made = send(client, "post", "/api/v1/automation/webhooks", HOOK)

    assert made.status_code == 201, made.content
    webhook = Webhook.objects.get()
    assert len(webhook.secret) == 48
    assert made.json() == {
        "id": webhook.pk,
        "name": "ERP 工单同步",
        "url": "http://127.0.0.1:9/hook",
        "is_active": True,
        "created_at": made.json()["created_at"],
        "secret": webhook.secret,
    }
    # Afterwards the secret is never sent again.
    listed = client.get("/api/v1/automation/webhooks")
    one = client.get(f"/api/v1/automation/webhooks/{webhook.pk}")
    assert [w["id"] for w in listed.json()] == [webhook.pk]
    assert one.json()["name"] == "ERP 工单同步"
    for answer in (listed, one):
        assert answer.status_code == 200
        assert webhook.secret not in answer.content.decode()
        assert "secret" not in answer.content.decode()

    changed = send(
        client,
        "put",
        f"/api/v1/automation/webhooks/{webhook.pk}",
        {"name": " 新  ERP ", "url": "http://127.0.0.1:9/v2"},
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["name"], changed.json()["url"]) == ("新 ERP", "http://127.0.0.1:9/v2")
    assert webhook.secret not in changed.content.decode()
    assert Webhook.objects.get().secret == webhook.secret  # a change keeps the secret

    off = send(client, "delete", f"/api/v1/automation/webhooks/{webhook.pk}")
    assert off.status_code == 200
    assert off.json()["is_active"] is False
    assert Webhook.objects.get().is_active is False  # kept, with its deliveries, as on the page
    again = send(client, "delete", f"/api/v1/automation/webhooks/{webhook.pk}")
    assert again.status_code == 200
    assert steps() == [
        ("webhook_saved", str(webhook.pk)),
        ("webhook_saved", str(webhook.pk)),
        ("webhook_turned_off", str(webhook.pk)),
    ]


def test_a_manager_adds_lists_changes_and_turns_off_a_robot(make_user, loopback_allowed):
    client = api(make_user(Role.ADMINISTRATOR))

    made = send(client, "post", "/api/v1/automation/robots", ROBOT)

    assert made.status_code == 201, made.content
    robot = Robot.objects.get()
    assert (robot.kind, robot.secret, robot.on_breach, robot.on_warning) == (
        RobotKind.DINGTALK,
        "SECdingtalk-signing-secret",
        True,
        False,
    )
    assert made.json()["has_secret"] is True
    listed = client.get("/api/v1/automation/robots")
    one = client.get(f"/api/v1/automation/robots/{robot.pk}")
    assert [r["id"] for r in listed.json()] == [robot.pk]
    assert one.json()["kind"] == "dingtalk"
    for answer in (made, listed, one):
        assert "SECdingtalk" not in answer.content.decode()

    body = {**ROBOT, "secret": "", "kind": "wecom", "on_report": True}
    changed = send(client, "put", f"/api/v1/automation/robots/{robot.pk}", body)
    assert changed.status_code == 200, changed.content
    robot.refresh_from_db()
    assert (robot.kind, robot.on_report, robot.secret) == (
        "wecom",
        True,
        "SECdingtalk-signing-secret",  # an empty secret keeps the saved one, as on the page
    )

    off = send(client, "delete", f"/api/v1/automation/robots/{robot.pk}")
    assert off.json()["is_active"] is False
    assert Robot.objects.get().is_active is False
    assert steps() == [
        ("robot_saved", str(robot.pk)),
        ("robot_saved", str(robot.pk)),
        ("robot_turned_off", str(robot.pk)),
    ]


@pytest.mark.parametrize("url", INNER)
@pytest.mark.parametrize("kind", ["webhooks", "robots"])
def test_a_target_inside_the_network_is_refused_naming_the_field(make_user, kind, url):
    client = api(make_user(Role.MANAGER))

    refused = send(client, "post", f"/api/v1/automation/{kind}", {**EMPTY[kind], "url": url})

    assert refused.status_code == 422, refused.content
    assert refused.json()["detail"] == "有些值缺失或无效：url。"  # the API speaks Chinese first
    [error] = refused.json()["errors"]
    assert error["loc"] == ["body", "url"]
    assert error["msg"]
    assert state() == ([], [], 0)


@pytest.mark.parametrize("kind", ["webhooks", "robots"])
def test_a_change_to_an_inner_target_is_refused_and_nothing_changes(
    make_user, kind, settings, loopback_allowed
):
    client = api(make_user(Role.MANAGER))
    made = send(client, "post", f"/api/v1/automation/{kind}", EMPTY[kind]).json()
    settings.AUTOMATION_ALLOW_LOOPBACK = False
    before = state()

    for url in ("http://169.254.169.254/latest/meta-data/", "http://2130706433/", "http://[::1]/"):
        body = {**EMPTY[kind], "url": url}
        refused = send(client, "put", f"/api/v1/automation/{kind}/{made['id']}", body)
        assert refused.status_code == 422, refused.content
        assert refused.json()["errors"][0]["loc"] == ["body", "url"]

    assert state() == before


@pytest.mark.parametrize(
    ("kind", "change", "field"),
    [
        ("webhooks", {"name": "   "}, "name"),
        ("webhooks", {"name": "x" * 81}, "name"),
        ("webhooks", {"url": "http://127.0.0.1:9/" + "x" * 500}, "url"),
        ("webhooks", {"name": "a\x00b"}, None),  # the boundary strips control characters
        ("robots", {"name": "   "}, "name"),
        ("robots", {"kind": "slack"}, "kind"),
        ("robots", {"secret": "s" * 101}, "secret"),
    ],
)
def test_values_the_page_refuses_are_refused_naming_the_field(
    make_user, loopback_allowed, kind, change, field
):
    client = api(make_user(Role.MANAGER))

    answer = send(client, "post", f"/api/v1/automation/{kind}", {**EMPTY[kind], **change})

    if field is None:
        assert answer.status_code == 201
        assert answer.json()["name"] == "ab"
        return
    assert answer.status_code == 422, answer.content
    assert [e["loc"] for e in answer.json()["errors"]] == [["body", field]]
    assert state() == ([], [], 0)


@pytest.mark.parametrize("name", HOSTILE_STRINGS)
def test_a_hostile_name_is_kept_as_plain_text(make_user, loopback_allowed, name):
    client = api(make_user(Role.MANAGER))

    answer = send(client, "post", "/api/v1/automation/webhooks", {**HOOK, "name": name})

    assert answer.status_code == 201, answer.content
    assert answer.json()["name"] == " ".join(name.split())
    assert answer["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    "role", [Role.SUPERVISOR, Role.AGENT, Role.INSPECTOR, Role.DEPARTMENT_STAFF]
)
def test_roles_that_may_not_manage_automation_are_refused(make_user, loopback_allowed, role):
    manager = make_user(Role.MANAGER)
    webhook = Webhook.objects.create(name="ERP", url="http://127.0.0.1:9/h", secret="s" * 48)
    robot = Robot.objects.create(name="群", kind="wecom", url="http://127.0.0.1:9/r")
    assert api(manager).get("/api/v1/automation/webhooks").status_code == 200
    client = api(make_user(role))
    before = state()

    for kind, target in (("webhooks", webhook), ("robots", robot)):
        assert client.get(f"/api/v1/automation/{kind}").status_code == 403
        assert send(client, "post", f"/api/v1/automation/{kind}", EMPTY[kind]).status_code == 403
        # By id, as the rules: an object they may not see answers as a missing one.
        by_id = f"/api/v1/automation/{kind}/{target.pk}"
        assert client.get(by_id).status_code == 404
        assert send(client, "put", by_id, EMPTY[kind]).status_code == 404
        assert send(client, "delete", by_id).status_code == 404

    assert state() == before


def test_a_read_only_token_lists_but_does_not_write(make_user, loopback_allowed):
    manager = make_user(Role.MANAGER)
    webhook = Webhook.objects.create(name="ERP", url="http://127.0.0.1:9/h", secret="s" * 48)
    robot = Robot.objects.create(name="群", kind="wecom", url="http://127.0.0.1:9/r")
    reader = api(manager, "automation:read")
    before = state()

    for kind, target in (("webhooks", webhook), ("robots", robot)):
        assert reader.get(f"/api/v1/automation/{kind}").status_code == 200
        assert reader.get(f"/api/v1/automation/{kind}/{target.pk}").status_code == 200
        refused = send(reader, "post", f"/api/v1/automation/{kind}", EMPTY[kind])
        assert refused.status_code == 403
        assert "automation:write" in refused.json()["detail"]
        by_id = f"/api/v1/automation/{kind}/{target.pk}"
        assert send(reader, "put", by_id, EMPTY[kind]).status_code == 403
        assert send(reader, "delete", by_id).status_code == 403

    assert state() == before
    # Another area's token does not reach automation at all.
    assert api(manager, "tickets:write").get("/api/v1/automation/webhooks").status_code == 403
    writer = api(manager, "automation:write")
    assert send(writer, "delete", f"/api/v1/automation/robots/{robot.pk}").status_code == 200
    assert Robot.objects.get().is_active is False


def test_a_missing_id_answers_404(make_user, loopback_allowed):
    client = api(make_user(Role.MANAGER))
    for kind in ("webhooks", "robots"):
        assert client.get(f"/api/v1/automation/{kind}/999").status_code == 404
        assert send(client, "put", f"/api/v1/automation/{kind}/999", EMPTY[kind]).status_code == 404
        assert send(client, "delete", f"/api/v1/automation/{kind}/999").status_code == 404
    assert state() == ([], [], 0)


def test_the_openapi_schema_lists_the_endpoints():
    schema = Client().get("/api/v1/openapi.json").json()
    paths, components = schema["paths"], schema["components"]["schemas"]
    for kind, one in (("webhooks", "webhook_id"), ("robots", "robot_id")):
        assert set(paths[f"/api/v1/automation/{kind}"]) == {"get", "post"}
        assert set(paths[f"/api/v1/automation/{kind}/{{{one}}}"]) == {"get", "put", "delete"}
    created = paths["/api/v1/automation/webhooks"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"]["$ref"].endswith("/WebhookCreated")
    assert "secret" in components["WebhookCreated"]["properties"]
    assert "secret" not in components["WebhookOut"]["properties"]
    assert "secret" not in components["RobotOut"]["properties"]
