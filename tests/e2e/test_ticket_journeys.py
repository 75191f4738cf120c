"""The complaint loop in the browser (issue 4): an agent files a complaint, the department records
a cause and a plan, a supervisor approves, the department carries it out, the agent records the
return visit and closes it. Four people, four browser contexts."""

import re

import pytest

from kefu.accounts.roles import Role
from kefu.customers.models import Customer
from kefu.tickets.models import RoutingRule, Ticket, TicketCategory
from kefu.tickets.states import TicketState
from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_complaint_goes_round_the_whole_loop(browser, live_server):
    tech = DepartmentFactory(code="tech", name="技术部")
    UserFactory(username="zuoxi1", display_name="李娜", role=Role.AGENT)
    UserFactory(username="tech1", display_name="赵工", role=Role.DEPARTMENT_STAFF, department=tech)
    UserFactory(username="zhuguan", display_name="陈主管", role=Role.SUPERVISOR)
    quality = TicketCategory.objects.create(name="产品质量")
    TicketCategory.objects.create(name="屏幕故障", parent=quality)
    RoutingRule.objects.create(category=quality, department=tech)
    customer = Customer.objects.create(name="黄伟")

    def person(username):
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, username)
        page.wait_for_url(re.compile(r"/$"))
        return page

    def step(page, name, **fields):
        move = page.get_by_test_id(f"move-{name}")
        if move.get_attribute("open") is None:
            move.locator("summary").click()
        for label, value in fields.items():
            field = move.get_by_label(label, exact=True)
            if field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(label=value)
            else:
                field.fill(value)
        move.get_by_role("button", name=re.compile("^确认：")).click()
        page.wait_for_load_state()

    agent = person("zuoxi1")
    agent.goto(f"/tickets/new/?customer={customer.pk}&type=complaint")
    agent.get_by_label("主题").fill("显示器屏幕有亮点")
    agent.get_by_label("内容", exact=True).fill("新买的显示器屏幕有三个亮点，要求处理")
    agent.get_by_label("分类").select_option(label="产品质量 / 屏幕故障")
    agent.get_by_role("button", name="创建工单").click()
    agent.wait_for_url(re.compile(r"/tickets/\d+/$"))
    ticket = Ticket.objects.get()
    step(
        agent,
        "confirm_restatement",
        **{"与客户复述确认的内容": "客户确认：屏幕有三个亮点，希望换货"},
    )
    step(agent, "judge_valid")
    assert "技术部" in agent.get_by_test_id("ticket-facts").inner_text()

    tech1 = person("tech1")
    tech1.goto(f"/tickets/{ticket.pk}/")
    step(tech1, "record_cause", 原因="出厂质检漏检")
    step(tech1, "propose_plan", 处理方案="免费更换屏幕并赠送优惠券")

    boss = person("zhuguan")
    boss.get_by_test_id("bell").click()
    boss.get_by_text(f"{ticket.number} 的处理方案等待您审批").click()
    boss.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    screenshot(boss, "ticket-approval")
    step(boss, "approve_plan")

    tech1.goto(f"/tickets/{ticket.pk}/")
    step(tech1, "carry_out_plan", 执行情况="已寄出新屏幕")

    agent.goto(f"/tickets/{ticket.pk}/")
    step(
        agent,
        "record_return_visit",
        **{"告知客户的结果及客户反馈": "客户已收到新屏幕，问题解决", "满意度": "4 · 满意"},
    )
    step(agent, "close", 总结评价="出厂漏检，已要求质检加强抽检", **{"处理代价（元）": "380"})
    assert agent.locator('[data-state="closed"]').inner_text() == "已关闭"
    assert agent.get_by_test_id(
        "move-reopen"
    ).is_visible()  # the only move left: back into the loop
    screenshot(agent, "ticket-closed")
    ticket.refresh_from_db()
    assert (ticket.state, ticket.satisfaction) == (TicketState.CLOSED, 4)  # 满意 on the one scale
    assert (ticket.cause, ticket.resolution_plan, ticket.return_visit_outcome) == (
        "出厂质检漏检",
        "免费更换屏幕并赠送优惠券",
        "客户已收到新屏幕，问题解决",
    )
    history = agent.get_by_test_id("history").inner_text()
    assert "处理方案已批准" in history and "已记录回访" in history
    agent.goto("/tickets/?state=closed")
    assert (
        agent.get_by_test_id("tickets-table").get_by_role("link", name=ticket.number).is_visible()
    )
    screenshot(agent, "ticket-list")
