"""Trigger 客户填写调查问卷时 (survey_answered): a customer answers a survey on its public page, and
after commit the rules of the trigger run with the answer's score and the customer's level,
province and tags as conditions: "a VIP scores 2 or less → open a complaint, tell the supervisor"."""

import pytest
from django.test import Client
from django.utils import translation

from kefu.accounts.roles import Role
from kefu.automation import services as automation
from kefu.automation.models import Outcome, Rule, RuleLog
from kefu.customers.models import Customer, Level
from kefu.notifications.models import Notification
from kefu.tickets.models import Ticket
from kefu.visits.models import SurveyAnswer, SurveyTrigger, VisitRules
from kefu.visits.services import surveys

pytestmark = pytest.mark.django_db
QUESTIONS = "score: 您对本次服务满意吗？\ntext: 您的建议"


@pytest.fixture(autouse=True)
def in_chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def setting(make_user):
    VisitRules.objects.update_or_create(pk=1, defaults={"quiet_hours": []})

    class S:
        manager = make_user(Role.MANAGER)
        supervisor = make_user(Role.SUPERVISOR)
        agent = make_user(Role.AGENT)
        survey = surveys.create_survey(
            actor=supervisor, title="服务满意度", questions=QUESTIONS, trigger=SurveyTrigger.MANUAL
        )

    return S


def answer_on_the_page(setting, customer: Customer, score: str) -> SurveyAnswer:
    invitation = surveys.invite(
        survey_id=setting.survey.pk,
        customer_id=customer.pk,
        source=SurveyTrigger.MANUAL,
        agent_id=setting.agent.pk,
    )
    assert invitation is not None
    first, second = setting.survey.questions.all()
    response = Client().post(
        f"/survey/{surveys.token_for(invitation)}/",
        {str(first.pk): score, str(second.pk): "等了很久"},
    )
    assert response.status_code == 200
    return SurveyAnswer.objects.get(invitation=invitation)


def test_a_vip_who_scores_low_gets_a_complaint_and_the_supervisor_is_told(
    setting, client_for, django_capture_on_commit_callbacks
):
    manager_client, _ = client_for(Role.MANAGER)
    response = manager_client.post(
        "/automation/rules/new/",
        {
            "name": "VIP 低分转投诉",
            "trigger": "survey_answered",
            "if_rating_at_most": "2",
            "if_customer_level": "vip",
            "then_create_complaint": "满意度调查低分",
            "then_notify_user": str(setting.supervisor.pk),
            "save": "1",
        },
    )
    assert response.status_code == 302
    rule = Rule.objects.get()
    assert (rule.conditions, rule.actions) == (
        {"rating_at_most": 2, "customer_level": "vip"},
        {"create_complaint": "满意度调查低分", "notify_user": setting.supervisor.pk},
    )
    manager_client.post(f"/automation/rules/{rule.pk}/switch/", {"enabled": "1"})
    vip = Customer.objects.create(name="王女士", level=Level.VIP)
    regular = Customer.objects.create(name="李先生", level=Level.REGULAR)

    with django_capture_on_commit_callbacks(execute=True):
        low = answer_on_the_page(setting, vip, "2")
        answer_on_the_page(setting, vip, "3")  # not low enough
        answer_on_the_page(setting, regular, "1")  # not a VIP

    [complaint] = Ticket.objects.all()
    assert (complaint.type, complaint.subject, complaint.customer_id, complaint.content) == (
        "complaint",
        "满意度调查低分",
        vip.pk,
        f"调查答卷 #{low.pk}，评分 2",
    )
    [told] = Notification.objects.filter(kind="automation")
    assert (told.recipient_id, told.link) == (setting.supervisor.pk, f"/customers/{vip.pk}/")
    assert "VIP 低分转投诉" in told.title
    log = RuleLog.objects.get()
    assert (log.subject_kind, log.subject_id, log.outcome) == ("survey", low.pk, Outcome.DONE)
    page = manager_client.get("/automation/log/").content.decode()
    assert f"调查答卷 #{low.pk}" in page


def test_a_dry_run_over_the_last_answers(setting, client_for):
    manager_client, _ = client_for(Role.MANAGER)
    customer = Customer.objects.create(name="王女士")
    happy = answer_on_the_page(setting, customer, "5")
    unhappy = answer_on_the_page(setting, customer, "1")

    page = manager_client.post(
        "/automation/rules/new/",
        {
            "name": "低分提醒",
            "trigger": "survey_answered",
            "if_rating_at_most": "2",
            "then_notify_user": str(setting.supervisor.pk),
            "dry_run": "1",
            "last": "10",
        },
    ).content.decode()

    assert "试运行：最近 2 条记录中有 1 条会命中" in page
    assert f'data-testid="dry-{happy.pk}"' in page and f'data-testid="dry-{unhappy.pk}"' in page
    assert not Rule.objects.exists() and not Notification.objects.exists()


def test_a_ticket_action_does_not_fit_a_survey_answer(setting):
    from kefu.core.errors import DomainError

    with pytest.raises(DomainError, match="不适用于"):
        automation.save_rule(
            actor=setting.manager,
            rule=None,
            name="x",
            trigger="survey_answered",
            conditions={"rating_at_most": 2},
            actions={"set_priority": "urgent"},
        )
    assert not Rule.objects.exists()
