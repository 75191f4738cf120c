"""Action 创建回访任务: a rule gives the record's customer a return visit task (visits'
create_visit), to the customer's owner or a named agent, once while the customer has one open."""

import pytest
from django.utils import translation

from kefu.accounts.roles import Role
from kefu.automation import services as automation
from kefu.automation.models import Outcome, Rule, RuleLog
from kefu.core.errors import DomainError
from kefu.customers.models import Customer, Level
from kefu.tickets.services.tickets import create_ticket
from kefu.visits.models import ReturnVisit, VisitRules, VisitState

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_chinese():
    with translation.override("zh-hans"):
        yield


def test_a_vip_complaint_gives_the_owner_a_return_visit_once(
    make_user, client_for, django_capture_on_commit_callbacks
):
    VisitRules.objects.update_or_create(pk=1, defaults={"quiet_hours": []})
    manager_client, manager = client_for(Role.MANAGER)
    owner = make_user(Role.AGENT)
    vip = Customer.objects.create(name="王女士", level=Level.VIP, owner=owner)
    response = manager_client.post(
        "/automation/rules/new/",
        {
            "name": "VIP 投诉回访",
            "trigger": "ticket_created",
            "if_ticket_type": "complaint",
            "then_create_visit": "auto",
            "save": "1",
        },
    )
    assert response.status_code == 302
    rule = Rule.objects.get()
    assert rule.actions == {"create_visit": "auto"}
    automation.set_rule_enabled(actor=manager, rule_id=rule.pk, enabled=True)

    with django_capture_on_commit_callbacks(execute=True):
        for subject in ("商品破损", "再次投诉"):
            create_ticket(actor=owner, type="complaint", subject=subject, customer_id=vip.pk)
        create_ticket(actor=owner, type="complaint", subject="无名来电")

    [visit] = ReturnVisit.objects.all()
    assert (visit.customer, visit.assignee, visit.state) == (vip, owner, VisitState.OPEN)
    logs = list(RuleLog.objects.order_by("id"))
    assert [log.outcome for log in logs] == [Outcome.DONE, Outcome.DONE, Outcome.PARTLY]
    assert logs[0].results[0]["text"] == f"回访任务 #{visit.pk}，回访人 {owner}"
    assert logs[1].results[0]["text"].startswith("已有未完成的回访任务")
    assert logs[2].results[0]["text"] == "该记录没有关联客户。"


def test_a_visitor_that_is_neither_auto_nor_an_id_is_refused_at_save(make_user):
    manager = make_user(Role.MANAGER)
    with pytest.raises(DomainError):
        automation.save_rule(
            actor=manager,
            rule=None,
            name="x",
            trigger="customer_created",
            conditions={},
            actions={"create_visit": "someone"},
        )
    assert not Rule.objects.exists()
