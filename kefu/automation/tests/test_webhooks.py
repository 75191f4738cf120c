"""Webhooks out: signed, retried with backoff, logged and resent; targets inside the network are
refused when saved and again when sent, and redirects are never followed."""

import hashlib
import hmac
import json
import time
from urllib.parse import quote_plus

import pytest
from django.utils import translation

from kefu.accounts.roles import Role
from kefu.automation import deliveries, services
from kefu.automation.models import Delivery, DeliveryState, Robot, Webhook
from kefu.automation.tasks import deliver
from kefu.core.errors import DomainError
from kefu.core.events import emit

pytestmark = pytest.mark.django_db

INNER = [
    "http://127.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://localhost/hook",  # a host name that resolves to loopback
    "http://10.1.2.3/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "ftp://example.com/hook",
]


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def verify(secret: str, headers: dict, body: bytes, *, tolerance: int = 300) -> bool:
    """The verification example of docs/automation.md, as a receiver would write it."""
    timestamp = headers["X-Kefu-Timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = (
        "sha256="
        + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    return hmac.compare_digest(expected, headers["X-Kefu-Signature"])


@pytest.mark.parametrize("url", INNER)
def test_an_inner_target_is_refused_when_saved(client_for, url):
    client, _ = client_for(Role.MANAGER)
    response = client.post("/automation/webhooks/", {"name": "内网", "url": url, "is_active": "on"})
    assert response.status_code == 200
    assert 'data-testid="field-error"' in response.content.decode()
    assert not Webhook.objects.exists()


def test_loopback_is_allowed_only_by_the_test_setting_and_never_link_local(
    make_user, loopback_allowed
):
    manager = make_user(Role.MANAGER)
    assert services.save_webhook(
        actor=manager, webhook=None, name="本机", url="http://127.0.0.1:9/h", is_active=True
    )
    with pytest.raises(DomainError):
        services.save_webhook(
            actor=manager,
            webhook=None,
            name="元数据",
            url="http://169.254.169.254/",
            is_active=True,
        )


def test_a_delivery_is_signed_and_verifies(
    make_user, receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    manager = make_user(Role.MANAGER)
    webhook = services.save_webhook(
        actor=manager, webhook=None, name="ERP", url=f"{receiver.url}/hook", is_active=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.queue_webhook(
            webhook_id=webhook.pk,
            event="automation.ticket_created",
            data={"id": 7, "title": "<b>破损</b>"},
        )

    [request] = receiver.requests
    assert verify(webhook.secret, request["headers"], request["body"])
    assert not verify("another secret", request["headers"], request["body"])
    assert request["json"] == {
        "event": "automation.ticket_created",
        "data": {"id": 7, "title": "<b>破损</b>"},
    }
    assert request["headers"]["X-Kefu-Event"] == "automation.ticket_created"
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.status_code) == (
        DeliveryState.DELIVERED,
        1,
        200,
    )


def test_a_failing_receiver_is_tried_again_with_backoff_then_gives_up(
    make_user, receiver, loopback_allowed, monkeypatch
):
    manager = make_user(Role.MANAGER)
    webhook = services.save_webhook(
        actor=manager, webhook=None, name="ERP", url=f"{receiver.url}/hook", is_active=True
    )
    delivery = Delivery.objects.create(webhook=webhook, event="e", body="{}")
    receiver.answers = [(500, "down", {})] * deliveries.MAX_TRIES
    waits = [deliveries.attempt(delivery.pk) for _ in range(deliveries.MAX_TRIES)]
    assert waits == [*deliveries.BACKOFF_SECONDS, None]
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.error) == (
        DeliveryState.FAILED,
        5,
        "HTTP 500",
    )
    assert len(receiver.requests) == 5

    scheduled = []
    monkeypatch.setattr(deliver, "schedule", lambda args, delay: scheduled.append((args, delay)))
    again = Delivery.objects.create(webhook=webhook, event="e", body="{}")
    receiver.answers = [(503, "busy", {})]
    deliver.call_local(again.pk)
    assert scheduled == [((again.pk,), 10)]


@pytest.mark.parametrize(
    "location", ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:1/x"]
)
def test_a_redirect_is_not_followed(make_user, receiver, loopback_allowed, location):
    manager = make_user(Role.MANAGER)
    webhook = services.save_webhook(
        actor=manager, webhook=None, name="ERP", url=f"{receiver.url}/hook", is_active=True
    )
    delivery = Delivery.objects.create(webhook=webhook, event="e", body="{}")
    receiver.answers = [(302, "", {"Location": location})]
    assert deliveries.attempt(delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.error == f"redirect to {location} not followed"
    assert len(receiver.requests) == 1


def test_a_target_that_turned_inner_is_refused_at_send(make_user, receiver, settings):
    settings.AUTOMATION_ALLOW_LOOPBACK = True
    manager = make_user(Role.MANAGER)
    webhook = services.save_webhook(
        actor=manager, webhook=None, name="ERP", url=f"{receiver.url}/hook", is_active=True
    )
    settings.AUTOMATION_ALLOW_LOOPBACK = False  # as if its name now resolved to an inner address
    delivery = Delivery.objects.create(webhook=webhook, event="e", body="{}")
    assert deliveries.attempt(delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and "private network" in delivery.error
    assert receiver.requests == []


def test_the_checked_address_is_the_one_connected_to(receiver, loopback_allowed, monkeypatch):
    """DNS rebinding: the name is looked up once, checked, and the connection goes to that address
    (pinned); a second answer (an inner address) is never asked for nor used. The request still
    names the host."""
    import socket

    from kefu.automation import outbound

    real = socket.getaddrinfo
    port = int(receiver.url.rsplit(":", 1)[1])
    lookups: list[str] = []

    def lookup(host, *args, **kwargs):
        if host != "hook.example":
            return real(host, *args, **kwargs)
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "10.1.2.3"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    answer = outbound.post(f"http://hook.example:{port}/hook", b"{}", {})
    assert answer.status == 200 and lookups == ["hook.example"]
    [request] = receiver.requests
    assert request["headers"]["Host"] == f"hook.example:{port}"
    with pytest.raises(outbound.TargetRefused):  # the next send looks up again, and refuses
        outbound.post(f"http://hook.example:{port}/hook", b"{}", {})
    assert len(receiver.requests) == 1


def test_resend_posts_the_same_body_again_as_a_new_delivery(
    client_for, receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    client, manager = client_for(Role.MANAGER)
    webhook = services.save_webhook(
        actor=manager, webhook=None, name="ERP", url=f"{receiver.url}/hook", is_active=True
    )
    old = Delivery.objects.create(
        webhook=webhook, event="e", body='{"n":1}', state=DeliveryState.FAILED, attempts=5
    )
    page = client.get(f"/automation/webhooks/{webhook.pk}/").content.decode()
    assert f'data-testid="delivery-{old.pk}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/automation/deliveries/{old.pk}/resend/", {"next": "https://evil.example/"}
        )
    assert response.status_code == 302 and response["Location"] == "/automation/webhooks/"
    new = Delivery.objects.exclude(pk=old.pk).get()
    assert (new.state, new.body) == (DeliveryState.DELIVERED, '{"n":1}')
    assert [r["body"] for r in receiver.requests] == [b'{"n":1}']


def test_dingtalk_robot_signs_as_documented(
    make_user, receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    import base64

    manager = make_user(Role.MANAGER)
    robot = services.save_robot(
        actor=manager,
        robot=None,
        name="钉钉群",
        kind="dingtalk",
        url=f"{receiver.url}/robot/send?access_token=t1",
        secret="SEC123",
        on_warning=False,
        on_breach=True,
        on_report=True,
        is_active=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.queue_robot(robot_id=robot.pk, event="x", title="超时", text="TS-1")
    [request] = receiver.requests
    stamp = request["query"]["timestamp"]
    digest = hmac.new(b"SEC123", f"{stamp}\nSEC123".encode(), hashlib.sha256).digest()
    assert quote_plus(request["query"]["sign"]) == quote_plus(base64.b64encode(digest).decode())
    assert request["query"]["access_token"] == "t1"
    assert request["json"] == {
        "msgtype": "markdown",
        "markdown": {"title": "超时", "text": "### 超时\nTS-1"},
    }


def test_breaches_and_report_packs_reach_the_robots_that_asked(
    make_user, receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    from kefu.reports.events import ReportIssued
    from kefu.tickets.events import TicketSlaBreached
    from kefu.tickets.services.tickets import create_ticket

    manager = make_user(Role.MANAGER)
    Robot.objects.create(
        name="企微", kind="wecom", url=f"{receiver.url}/wecom?key=a", on_breach=True
    )
    Robot.objects.create(
        name="报表群", kind="wecom", url=f"{receiver.url}/wecom?key=b", on_report=True
    )
    ticket = create_ticket(actor=manager, type="complaint", subject="迟迟没有处理")
    with django_capture_on_commit_callbacks(execute=True):
        emit(
            TicketSlaBreached(
                ticket_id=ticket.pk,
                clock="resolution",
                due_at="2026-12-01T00:00:00Z",
                assignee_id=None,
                department_id=None,
                escalated_to_ids=(),
            )
        )
        emit(ReportIssued(report_id=1, kind="daily", period_start="2026-12-01"))
    got = {r["query"]["key"]: r["json"]["markdown"]["content"] for r in receiver.requests}
    assert ticket.number in got["a"]
    assert "2026-12-01" in got["b"]
    # Each delivery names the record it is about (an erasure finds them by it); a pack, none.
    about = {d.robot.url[-1]: (d.subject_kind, d.subject_id) for d in Delivery.objects.all()}
    assert about == {"a": ("ticket", ticket.pk), "b": ("", None)}


def test_a_rules_deliveries_and_their_resends_name_the_record_they_are_about(
    make_user, django_capture_on_commit_callbacks
):
    from kefu.tickets.services.tickets import create_ticket

    manager = make_user(Role.MANAGER)
    webhook = Webhook.objects.create(name="ERP", url="http://127.0.0.1:9/h", secret="s" * 32)
    robot = Robot.objects.create(name="群", kind="wecom", url="http://127.0.0.1:9/r")
    rule = services.save_rule(
        actor=manager,
        rule=None,
        name="新工单",
        trigger="ticket_created",
        conditions={},
        actions={"webhook": webhook.pk, "robot": robot.pk},
    )
    services.set_rule_enabled(actor=manager, rule_id=rule.pk, enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = create_ticket(actor=manager, type="consultation", subject="台灯不亮")
    made = Delivery.objects.all()
    assert sorted((d.webhook_id is None, d.subject_kind, d.subject_id) for d in made) == [
        (False, "ticket", ticket.pk),
        (True, "ticket", ticket.pk),
    ]
    sent = made.get(webhook=webhook)
    Delivery.objects.filter(pk=sent.pk).update(state=DeliveryState.FAILED)
    again = services.resend(actor=manager, delivery_id=sent.pk)
    assert (again.subject_kind, again.subject_id) == ("ticket", ticket.pk)


def test_the_migration_names_the_record_of_the_deliveries_made_before_from_their_bodies():
    """Deliveries made before they named their record: a webhook's data names it, a robot's
    message links to it; a report pack's and an unreadable body stay without."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("kefu.automation.migrations.0002_delivery_subject")
    webhook = Webhook.objects.create(name="ERP", url="http://127.0.0.1:9/h", secret="s" * 32)
    robot = Robot.objects.create(name="群", kind="dingtalk", url="http://127.0.0.1:9/r")
    bodies = {
        "webhook": (
            webhook,
            deliveries.body_for_webhook("e", {"id": 7, "kind": "conversation", "title": "x"}),
        ),
        "robot": (robot, deliveries.body_for_robot("dingtalk", "t", "TS-1 灯\n[/t](/tickets/12/)")),
        "problem": (
            robot,
            deliveries.body_for_robot("wecom", "t", "x\n[/p](/feedback/problems/3/)"),
        ),
        "pack": (robot, deliveries.body_for_robot("wecom", "报表", "日报已出")),
        "broken": (webhook, "not json"),
    }
    made = {}
    for name, (target, body) in bodies.items():
        field = "webhook" if isinstance(target, Webhook) else "robot"
        made[name] = Delivery.objects.create(**{field: target}, event="e", body=body).pk
    migration.fill_in(apps, None)
    found = {
        name: tuple(Delivery.objects.filter(pk=pk).values_list("subject_kind", "subject_id")[0])
        for name, pk in made.items()
    }
    assert found == {
        "webhook": ("conversation", 7),
        "robot": ("ticket", 12),
        "problem": ("problem", 3),
        "pack": ("", None),
        "broken": ("", None),
    }


def test_a_robot_that_answers_an_error_code_is_a_failed_delivery(
    make_user, receiver, loopback_allowed
):
    robot = Robot.objects.create(name="企微", kind="wecom", url=f"{receiver.url}/wecom?key=bad")
    delivery = Delivery.objects.create(
        robot=robot, event="x", body=deliveries.body_for_robot("wecom", "t", "x")
    )
    receiver.answers = [
        (200, json.dumps({"errcode": 93000, "errmsg": "invalid webhook url"}), {})
    ] * 5
    assert deliveries.attempt(delivery.pk) == 10
    delivery.refresh_from_db()
    assert delivery.error == "errcode 93000: invalid webhook url"


def test_a_typed_subject_reaches_a_robot_as_plain_text():
    assert deliveries.inert(
        '退款[点这里](http://evil.example)<font color="red">急</font>\n`x`'
    ) == ('退款［点这里］(http://evil.example)＜font color="red"＞急＜/font＞ ｀x｀')
