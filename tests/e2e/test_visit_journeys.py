"""Return visits in the browser (issue 12.10): a supervisor drafts next month's plan over the members
and submits it with its preview, another approver approves and issues it, and the agent completes two
visits from the list for today, one satisfied and one not, which opens a complaint in one click."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from kefu.accounts.roles import Role
from kefu.customers.models import Customer, Level
from kefu.tickets.models import Ticket
from kefu.tickets.states import TicketType
from kefu.visits.models import CampaignState, ReturnVisit, VisitCampaign, VisitRecord, VisitRules
from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_plan_is_issued_and_two_visits_are_done(browser, live_server):
    UserFactory(username="zhuguan1", display_name="陈主管", role=Role.SUPERVISOR)
    UserFactory(username="zhuguan2", display_name="王主管", role=Role.SUPERVISOR)
    UserFactory(username="zuoxi1", display_name="李娜", role=Role.AGENT)
    Customer.objects.create(name="黄伟", level=Level.MEMBER)
    Customer.objects.create(name="周敏", level=Level.VIP)
    Customer.objects.create(name="路人", level=Level.REGULAR)

    def person(username):
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, username)
        page.wait_for_url(re.compile(r"/$"))
        return page

    # Visits are scheduled at the real clock: with the default quiet hours a run at 21–09 Beijing
    # time would push today's visits to the morning. Quiet hours have tests of their own.
    VisitRules.objects.update_or_create(pk=1, defaults={"quiet_hours": []})
    today = timezone.localdate()
    drafter = person("zhuguan1")
    main_nav = drafter.get_by_test_id("main-nav")
    main_nav.get_by_role("button", name="业务").click()
    main_nav.get_by_role("link", name="回访").click()
    drafter.get_by_test_id("tab-plans").click()
    drafter.get_by_test_id("new-plan").click()
    drafter.get_by_label("标题").fill("本月会员回访")
    drafter.get_by_label("回访目的").fill("满意度回访")
    drafter.get_by_label("服务项目").fill("停车卡充值")
    drafter.get_by_label("开始日期").fill(today.replace(day=1).isoformat())
    drafter.get_by_label("结束日期").fill((today + dt.timedelta(days=20)).isoformat())
    drafter.get_by_test_id("save-plan").click()
    drafter.wait_for_url(re.compile(r"/visits/plans/\d+/$"))
    assert drafter.get_by_test_id("preview-total").inner_text() == "2"  # members and VIPs
    drafter.get_by_test_id("submit").click()
    assert drafter.get_by_test_id("plan-state").inner_text() == "待审批"

    approver = person("zhuguan2")
    plan = VisitCampaign.objects.get()
    approver.goto(f"/visits/plans/{plan.pk}/")
    approver.get_by_test_id("approve").click()
    approver.get_by_test_id("issue").click()
    approver.wait_for_load_state()
    for _ in range(20):
        if VisitCampaign.objects.get().state == CampaignState.ISSUED:
            break
        approver.wait_for_timeout(250)
    approver.reload()
    assert approver.get_by_test_id("plan-state").inner_text() == "已下发"
    screenshot(approver, "visits-plan-issued")

    agent = person("zuoxi1")
    agent.goto("/visits/")
    rows = agent.get_by_test_id("today-visits").locator("tbody tr")
    assert rows.count() == 2
    first, second = ReturnVisit.objects.order_by("id")

    agent.goto(f"/visits/{first.pk}/")
    assert "停车卡充值" in agent.get_by_test_id("script-text").inner_text()
    agent.get_by_label("已联系上", exact=True).check()
    agent.get_by_label("满意", exact=True).check()
    assert not agent.get_by_test_id("branch-unhappy").is_visible()
    agent.get_by_label("建议", exact=True).fill("希望多开几个充值点")
    agent.get_by_test_id("save-record").click()
    assert agent.get_by_test_id("record-satisfaction").inner_text() == "满意"

    agent.goto(f"/visits/{second.pk}/")
    agent.get_by_label("已联系上", exact=True).check()
    agent.get_by_label("不满意", exact=True).check()
    assert agent.get_by_test_id("branch-unhappy").is_visible()
    assert not agent.get_by_test_id("branch-satisfied").is_visible()
    agent.get_by_test_id("save-record").click()
    # incomplete: what to improve is required for a dissatisfied answer
    assert "请记录客户希望改进的地方" in agent.content()
    agent.get_by_label("已联系上", exact=True).check()
    agent.get_by_label("不满意", exact=True).check()
    agent.get_by_label("对服务的意见（需改进之处）").fill("排队太久")
    agent.get_by_test_id("save-record").click()
    agent.get_by_test_id("open-complaint").click()
    agent.wait_for_url(re.compile(r"/tickets/\d+/$"))
    complaint = Ticket.objects.get()
    assert complaint.type == TicketType.COMPLAINT
    assert VisitRecord.objects.get(visit=second).complaint_id == complaint.pk
    screenshot(agent, "visits-complaint-opened")

    approver.goto(f"/visits/plans/{plan.pk}/")
    assert "已回访 2 / 2" in approver.get_by_test_id("progress").inner_text()
    satisfaction = approver.get_by_test_id("summary-satisfaction").inner_text()
    assert "满意 1" in satisfaction and "不满意 1" in satisfaction
    assert "排队太久" in approver.get_by_test_id("summary").inner_text()


def test_a_survey_is_answered_on_a_phone(browser, live_server):
    """A supervisor makes a survey and sends it to a customer; the customer answers it on a
    phone-sized page with no sign-in (a low score and a hostile suggestion); the link then says it
    was answered; the results show the answer as plain text and the agent gets the follow-up visit."""
    from kefu.sms.models import SmsTemplate
    from kefu.visits.models import SurveyInvitation
    from kefu.visits.services import surveys

    VisitRules.objects.update_or_create(pk=1, defaults={"quiet_hours": []})  # as above

    UserFactory(username="zhuguan1", display_name="陈主管", role=Role.SUPERVISOR)
    UserFactory(username="zuoxi1", display_name="李娜", role=Role.AGENT)
    agent_user = UserFactory(username="zuoxi2", display_name="王芳", role=Role.AGENT)
    customer = Customer.objects.create(name="黄伟", mobile="+8613800138000", owner=agent_user)
    SmsTemplate.objects.create(code="survey", name="满意度调查", body="{name}您好，请评价：{link}")

    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    supervisor = context.new_page()
    supervisor.set_default_timeout(10_000)
    sign_in(supervisor, "zhuguan1")
    supervisor.wait_for_url(re.compile(r"/$"))
    supervisor.goto("/visits/surveys/")
    supervisor.get_by_test_id("new-survey").click()
    supervisor.get_by_label("标题").fill("服务满意度调查")
    supervisor.get_by_test_id("save-survey").click()
    supervisor.wait_for_url(re.compile(r"/visits/surveys/\d+/$"))
    supervisor.get_by_label("客户编号").fill(str(customer.pk))
    supervisor.get_by_test_id("send-survey").click()
    invitation = SurveyInvitation.objects.get()
    assert invitation.sms_id  # the link went out by SMS (console backend)

    phone = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport={"width": 375, "height": 667},
        is_mobile=True,
        has_touch=True,
    ).new_page()
    phone.set_default_timeout(10_000)
    link = f"/survey/{surveys.token_for(invitation)}/"
    phone.goto(link)
    assert phone.get_by_test_id("survey-title").inner_text() == "服务满意度调查"
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # nothing wider than the phone
    phone.get_by_test_id("submit-survey").click()
    assert "请回答" in phone.get_by_test_id("survey-error").inner_text()
    phone.get_by_test_id("score-2").click()
    phone.get_by_label("未解决").check()
    phone.get_by_test_id("text-3").fill("<script>alert('x')</script> 师傅迟到")
    screenshot(phone, "visits-survey-on-a-phone")
    phone.get_by_test_id("submit-survey").click()
    assert phone.get_by_test_id("survey-thanks").inner_text() == "感谢您的评价！"
    phone.goto(link)
    assert "已经提交过" in phone.get_by_test_id("survey-closed").inner_text()

    supervisor.reload()
    answers = supervisor.get_by_test_id("answers").inner_text()
    assert "<script>alert('x')</script> 师傅迟到" in answers
    assert supervisor.get_by_test_id("average").inner_text() == "2.00"
    follow_up = ReturnVisit.objects.get()
    assert follow_up.assignee == agent_user  # the customer's owner: the sender is a supervisor
    agent = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    ).new_page()
    agent.set_default_timeout(10_000)
    sign_in(agent, "zuoxi2")
    agent.wait_for_url(re.compile(r"/$"))
    agent.goto("/visits/")
    assert "黄伟" in agent.get_by_test_id(f"visit-{follow_up.pk}").inner_text()
