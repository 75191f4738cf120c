"""Feedback handed to the development department by a webhook (issue 16.5, "once automation lands"):
rules on 反馈问题新建 and 反馈问题状态变化 call the development team's webhook with the problem's
title, state, fixed version and number of reports, and notify whom the manager chose."""

import json

import pytest
from django.utils import translation

from kefu.accounts.roles import Role
from kefu.automation import services as automation
from kefu.automation.models import Delivery, Outcome, RuleLog, Webhook
from kefu.core.errors import DomainError
from kefu.customers.models import Customer
from kefu.feedback import services as feedback
from kefu.notifications.models import Notification
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_chinese():
    with translation.override("zh-hans"):
        yield


def report(agent, name: str, title: str):
    return feedback.submit_report(
        actor=agent,
        customer=Customer.objects.create(name=name),
        channel="ticket",
        category="bug",
        severity="high",
        title=title,
    )


def test_the_development_teams_webhook_hears_of_a_fix_and_a_supervisor_of_a_new_problem(
    make_user, django_capture_on_commit_callbacks
):
    manager = make_user(Role.MANAGER)
    supervisor = make_user(Role.SUPERVISOR)
    agent = make_user(Role.AGENT)
    hook = Webhook.objects.create(name="研发工单系统", url="https://dev.example/hook", secret="s")
    for name, trigger, conditions, actions in (
        ("新问题告诉主管", "problem_opened", {}, {"notify_user": supervisor.pk}),
        ("修复通知研发系统", "problem_changed", {"problem_state": "fixed"}, {"webhook": hook.pk}),
    ):
        rule = automation.save_rule(
            actor=manager,
            rule=None,
            name=name,
            trigger=trigger,
            conditions=conditions,
            actions=actions,
        )
        automation.set_rule_enabled(actor=manager, rule_id=rule.pk, enabled=True)
    developer = make_user(Role.DEPARTMENT_STAFF, department=DepartmentFactory(code="tech"))
    first, second = report(agent, "张伟", "登录时闪退"), report(agent, "李娜", "点登录就闪退")

    with django_capture_on_commit_callbacks(execute=True):
        problem = feedback.group_report(actor=agent, report_id=first.pk)
    with django_capture_on_commit_callbacks(execute=True):
        feedback.group_report(actor=agent, report_id=second.pk, problem_id=problem.pk)
    [told] = Notification.objects.filter(kind="automation")
    assert (told.recipient_id, told.link) == (supervisor.pk, f"/feedback/problems/{problem.pk}/")
    assert "登录时闪退" in told.title
    assert not Delivery.objects.exists()  # opened, not fixed

    with django_capture_on_commit_callbacks(execute=True):
        feedback.change_problem_state(actor=developer, problem_id=problem.pk, move="confirm")
    assert not Delivery.objects.exists()  # confirmed: the condition wants fixed
    with django_capture_on_commit_callbacks(execute=True):
        feedback.change_problem_state(
            actor=developer, problem_id=problem.pk, move="fix", fixed_version="2.3.1"
        )
    [sent] = Delivery.objects.all()
    body = json.loads(sent.body)
    assert sent.event == "automation.problem_changed"
    assert (body["data"]["kind"], body["data"]["id"]) == ("problem", problem.pk)
    assert body["data"]["title"] == f"问题 #{problem.pk} 登录时闪退（已修复 2.3.1，2 份反馈）"
    logs = RuleLog.objects.filter(subject_kind="problem", outcome=Outcome.DONE)
    assert logs.count() == 2


def test_a_customer_action_does_not_fit_a_problem(make_user):
    with pytest.raises(DomainError, match="不适用于"):
        automation.save_rule(
            actor=make_user(Role.MANAGER),
            rule=None,
            name="x",
            trigger="problem_changed",
            conditions={},
            actions={"sms_template": "feedback_update"},
        )
