"""Rules 自动化规则: a manager builds a rule on the form, dry-runs it, turns it on, and the next
matching event carries it out in the background after commit; loops stop; every change is audited
and only managers and administrators reach any of it."""

import pytest
from django.utils import translation

from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.automation.models import Outcome, Robot, Rule, RuleLog
from kefu.customers.models import Customer, Level
from kefu.tickets.models import Ticket
from kefu.tickets.services.tickets import create_ticket, set_ticket_fields

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def _vip_rule_form(**extra):
    return {
        "name": "VIP 投诉加急",
        "trigger": "ticket_created",
        "if_ticket_type": "complaint",
        "if_customer_level": "vip",
        "then_set_priority": "urgent",
        **extra,
    }


def _complaint(actor, customer, subject="收到的商品破损"):
    return create_ticket(actor=actor, type="complaint", subject=subject, customer_id=customer.pk)


def test_a_vip_complaint_is_set_urgent_and_posted_to_the_wecom_robot(
    client_for, receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    manager_client, manager = client_for(Role.MANAGER)
    robot = Robot.objects.create(
        name="客服群", kind="wecom", url=f"{receiver.url}/cgi-bin/webhook/send?key=k1"
    )
    vip = Customer.objects.create(name="王女士", level=Level.VIP)
    regular = Customer.objects.create(name="李先生", level=Level.REGULAR)

    response = manager_client.post(
        "/automation/rules/new/", _vip_rule_form(then_robot=str(robot.pk), save="1")
    )
    assert response.status_code == 302
    rule = Rule.objects.get()
    assert (rule.trigger, rule.conditions, rule.actions, rule.is_enabled) == (
        "ticket_created",
        {"ticket_type": "complaint", "customer_level": "vip"},
        {"set_priority": "urgent", "robot": robot.pk},
        False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        off = _complaint(manager, vip)
    assert Ticket.objects.get(pk=off.pk).priority == "normal"  # off: nothing happens

    manager_client.post(f"/automation/rules/{rule.pk}/switch/", {"enabled": "1"})
    with django_capture_on_commit_callbacks(execute=True):
        hit = _complaint(manager, vip)
        miss = _complaint(manager, regular)

    assert Ticket.objects.get(pk=hit.pk).priority == "urgent"
    assert Ticket.objects.get(pk=miss.pk).priority == "normal"
    log = RuleLog.objects.get(rule=rule)
    assert (log.subject_id, log.outcome, [r["ok"] for r in log.results]) == (
        hit.pk,
        Outcome.DONE,
        [True, True],
    )
    [posted] = receiver.requests
    assert posted["query"] == {"key": "k1"}
    assert posted["json"]["msgtype"] == "markdown"
    assert hit.number in posted["json"]["markdown"]["content"]
    page = manager_client.get("/automation/log/").content.decode()
    assert "VIP 投诉加急" in page and f'href="/tickets/{hit.pk}/"' in page
    steps = [
        e.details["automation"]
        for e in AuditEntry.objects.filter(action=AuditAction.SETTINGS_CHANGED)
    ]
    assert steps == ["rule_enabled", "rule_created"]


def test_a_dry_run_shows_what_would_have_happened_and_changes_nothing(client_for):
    manager_client, manager = client_for(Role.MANAGER)
    vip = Customer.objects.create(name="王女士", level=Level.VIP)
    regular = Customer.objects.create(name="李先生", level=Level.REGULAR)
    hit = _complaint(manager, vip)
    miss = _complaint(manager, regular)

    response = manager_client.post("/automation/rules/new/", _vip_rule_form(dry_run="1", last="10"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "试运行：最近 2 条记录中有 1 条会命中" in page
    assert "设置优先级: 紧急" in page
    assert f'data-testid="dry-{hit.pk}"' in page and f'data-testid="dry-{miss.pk}"' in page
    assert not Rule.objects.exists()
    assert Ticket.objects.get(pk=hit.pk).priority == "normal"


def test_an_action_that_does_not_fit_the_trigger_is_refused_with_the_reason(client_for):
    manager_client, _ = client_for(Role.MANAGER)
    response = manager_client.post(
        "/automation/rules/new/",
        {"name": "x", "trigger": "customer_created", "then_set_priority": "urgent", "save": "1"},
    )
    assert "不适用于" in response.content.decode()
    assert not Rule.objects.exists()


def test_two_rules_that_undo_each_other_stop_instead_of_looping(
    make_user, django_capture_on_commit_callbacks
):
    manager = make_user(Role.MANAGER)
    from kefu.automation import services

    for name, priority in (("A 紧急", "urgent"), ("B 高", "high")):
        rule = services.save_rule(
            actor=manager,
            rule=None,
            name=name,
            trigger="ticket_changed",
            conditions={},
            actions={"set_priority": priority},
        )
        services.set_rule_enabled(actor=manager, rule_id=rule.pk, enabled=True)
    ticket = create_ticket(actor=manager, type="consultation", subject="发票")

    with django_capture_on_commit_callbacks(execute=True):
        set_ticket_fields(
            actor=manager, ticket_id=ticket.pk, expected_version=ticket.version, priority="low"
        )

    outcomes = list(RuleLog.objects.order_by("id").values_list("rule__name", "outcome"))
    assert len(outcomes) < 20
    assert ("A 紧急", Outcome.LOOP) in outcomes or ("B 高", Outcome.LOOP) in outcomes
    assert all(len(log.chain) <= 3 for log in RuleLog.objects.all())


def test_customer_rules_tag_the_customer_and_open_a_ticket(
    make_user, django_capture_on_commit_callbacks
):
    from kefu.automation import services
    from kefu.customers.services.profiles import create_customer

    manager = make_user(Role.MANAGER)
    rule = services.save_rule(
        actor=manager,
        rule=None,
        name="新客户回访",
        trigger="customer_created",
        conditions={"region": "浙江"},
        actions={"add_tag": "新客", "create_ticket": "新客户首次联系"},
    )
    services.set_rule_enabled(actor=manager, rule_id=rule.pk, enabled=True)

    with django_capture_on_commit_callbacks(execute=True):
        zhejiang = create_customer(actor=manager, name="赵先生", region="浙江")
        other = create_customer(actor=manager, name="钱女士", region="江苏")

    assert list(zhejiang.tags.values_list("name", flat=True)) == ["新客"]
    assert not other.tags.exists()
    assert list(Ticket.objects.values_list("subject", "customer_id")) == [
        ("新客户首次联系", zhejiang.pk)
    ]


@pytest.mark.parametrize(
    "role", [Role.AGENT, Role.SUPERVISOR, Role.INSPECTOR, Role.DEPARTMENT_STAFF]
)
def test_only_managers_and_administrators_reach_automation(client_for, make_user, role):
    client, _ = client_for(role)
    rule = Rule.objects.create(
        name="r",
        trigger="ticket_created",
        actions={"set_priority": "high"},
        acts_as=make_user(Role.MANAGER),
    )
    for url in (
        "/automation/",
        f"/automation/rules/{rule.pk}/",
        "/automation/webhooks/",
        "/automation/robots/",
    ):
        assert client.get(url).status_code == 403
    assert client.post(f"/automation/rules/{rule.pk}/switch/", {"enabled": "1"}).status_code == 403
    assert not Rule.objects.get(pk=rule.pk).is_enabled


def test_a_missing_rule_is_404_for_a_manager(client_for):
    client, _ = client_for(Role.ADMINISTRATOR)
    assert client.get("/automation/rules/999/").status_code == 404
    assert client.post("/automation/rules/999/switch/", {"enabled": "1"}).status_code == 404
    assert client.get("/automation/").status_code == 200


def test_a_vip_chat_gets_the_greeting_once_and_the_manager_is_notified(
    make_user, django_capture_on_commit_callbacks
):
    from kefu.automation import services
    from kefu.conversations.models import Inbox, Message, SenderKind, Visitor
    from kefu.conversations.services.lifecycle import start_conversation
    from kefu.notifications.models import Notification
    from kefu.replies.models import CannedReply

    manager = make_user(Role.MANAGER)
    greeting = CannedReply.objects.create(
        shortcut="vip",
        title="VIP 问候",
        body="{customer_name}您好，VIP 专属客服为您服务",
        created_by=manager,
    )
    rule = services.save_rule(
        actor=manager,
        rule=None,
        name="VIP 会话问候",
        trigger="conversation_started",
        conditions={"customer_level": "vip", "channel": "web_chat"},
        actions={"canned_reply": greeting.pk, "notify_user": manager.pk},
    )
    services.set_rule_enabled(actor=manager, rule_id=rule.pk, enabled=True)
    inbox = Inbox.objects.create(name="网站")
    vip = Customer.objects.create(name="周敏", level=Level.VIP)
    regular = Customer.objects.create(name="路人", level=Level.REGULAR)

    with django_capture_on_commit_callbacks(execute=True):
        chat = start_conversation(visitor=Visitor.objects.create(inbox=inbox, customer=vip))
        start_conversation(visitor=Visitor.objects.create(inbox=inbox, customer=regular))

    system = Message.objects.filter(sender=SenderKind.SYSTEM, body__contains="VIP 专属")
    assert list(system.values_list("conversation_id", "body")) == [
        (chat.pk, "周敏您好，VIP 专属客服为您服务")
    ]
    [notice] = Notification.objects.filter(recipient=manager, kind="automation")
    assert notice.link == f"/conversations/{chat.pk}/"
    # The same rule on the same chat again stores nothing new (the message's key).
    from kefu.automation import engine

    engine.handle_event("conversations.started", {"conversation_id": chat.pk}, ())
    assert system.count() == 1


@pytest.mark.parametrize(
    ("window", "local_time", "fits"),
    [
        (("09:00", "18:00"), "09:00", True),
        (("09:00", "18:00"), "18:00", False),
        (("22:00", "06:00"), "23:30", True),  # a night window crosses midnight
        (("22:00", "06:00"), "05:59", True),
        (("22:00", "06:00"), "12:00", False),
    ],
)
def test_the_time_of_day_is_beijing_time(window, local_time, fits):
    import datetime as dt

    from kefu.automation.engine import SHANGHAI, Facts, matches

    hour, minute = map(int, local_time.split(":"))
    at = dt.datetime(2026, 12, 1, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)
    facts = Facts("ticket", 1, at, {"priority": "high"})
    conditions = {"time_from": window[0], "time_to": window[1], "priority": "high"}
    assert matches(conditions, facts) is fits


def test_tags_and_words_are_checked_against_the_customer_and_the_ticket(make_user):
    from kefu.automation.engine import facts_for, matches
    from kefu.customers.services.profiles import create_customer

    agent = make_user(Role.AGENT)
    customer = create_customer(actor=agent, name="孙先生", tags=["大客户"], region="广东")
    ticket = create_ticket(
        actor=agent, type="consultation", subject="发票抬头开错", customer_id=customer.pk
    )
    facts = facts_for("ticket", ticket.pk)
    assert matches({"tag": "大客户", "text": "发票", "region": "广东"}, facts)
    assert not matches({"tag": "学生"}, facts)
    assert not matches({"text": "退款"}, facts)
    assert not matches({"region": "浙江"}, facts)


def test_a_breach_reroutes_the_ticket_and_a_closed_chat_notifies(
    make_user, django_capture_on_commit_callbacks
):
    """The actions that move a ticket (category, department, assignee) on a time limit's breach;
    "notify" on a conversation that closes (issue 18.1: triggers and actions not exercised above)."""
    from kefu.automation import services
    from kefu.conversations.models import Visitor
    from kefu.conversations.services.lifecycle import close_conversation, start_conversation
    from kefu.conversations.tests.conftest import make_inbox
    from kefu.core.events import emit
    from kefu.notifications.models import Notification
    from kefu.tickets.events import TicketSlaBreached
    from kefu.tickets.models import TicketCategory
    from tests.factories import DepartmentFactory

    manager = make_user(Role.MANAGER)
    senior = make_user(Role.AGENT)
    supervisor = make_user(Role.SUPERVISOR)
    escalations = DepartmentFactory(code="esc", name="升级组")
    urgent = TicketCategory.objects.create(name="超时升级")
    for name, trigger, actions in [
        (
            "超时改派",
            "sla_breached",
            {"set_category": urgent.pk, "set_department": escalations.pk, "assign_to": senior.pk},
        ),
        ("会话结束告诉主管", "conversation_closed", {"notify_user": supervisor.pk}),
    ]:
        rule = services.save_rule(
            actor=manager, rule=None, name=name, trigger=trigger, conditions={}, actions=actions
        )
        services.set_rule_enabled(actor=manager, rule_id=rule.pk, enabled=True)

    ticket = create_ticket(actor=manager, type="consultation", subject="一直没人回")
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
    moved = Ticket.objects.get(pk=ticket.pk)
    assert (moved.category_id, moved.department_id, moved.assignee_id) == (
        urgent.pk,
        escalations.pk,
        senior.pk,
    )
    log = RuleLog.objects.get(rule__name="超时改派")
    assert (log.outcome, [r["ok"] for r in log.results]) == (Outcome.DONE, [True, True, True])

    chat = start_conversation(visitor=Visitor.objects.create(inbox=make_inbox()))
    with django_capture_on_commit_callbacks(execute=True):
        close_conversation(conversation=chat, actor=supervisor)
    told = Notification.objects.get(recipient=supervisor, kind="automation")
    assert "会话结束告诉主管" in told.title and told.link == f"/conversations/{chat.pk}/"
