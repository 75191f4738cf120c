"""The customer archive in the browser: a supervisor assigns the customers nobody owns, the agent
finds them on the workbench, calls one and records it, and the seven-day list shrinks."""

import re

import pytest
from playwright.sync_api import expect

from kefu.accounts.roles import Role
from kefu.customers.models import Customer
from kefu.customers.services import profiles
from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_supervisor_assigns_and_the_agent_contacts_within_the_week(browser, live_server):
    supervisor = UserFactory(username="zhuguan", display_name="陈主管", role=Role.SUPERVISOR)
    UserFactory(username="zuoxi1", display_name="李娜", role=Role.AGENT)
    UserFactory(username="zuoxi2", display_name="王芳", role=Role.AGENT)
    for name, mobile in [
        ("黄伟", "13800000001"),
        ("<script>alert(1)</script>", "13800000002"),
        ("梁静🌸", "13800000003"),
    ]:
        profiles.create_customer(
            actor=supervisor,
            name=name,
            contacts=profiles.ContactPoints({"mobile": [mobile]}),
            city="南宁市",
        )

    def new_page():
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 800}
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("dialog", lambda dialog: pytest.fail(f"a script ran: {dialog.message}"))
        return page

    boss = new_page()
    sign_in(boss, "zhuguan")
    boss.get_by_role("link", name="客户").first.click()
    boss.get_by_text("未分配负责客服").click()
    boss.get_by_role("button", name="搜索").click()
    boss.wait_for_url(re.compile(r"unassigned=on"))
    expect(boss.get_by_test_id("customers-table").locator("tbody tr")).to_have_count(3)
    boss.get_by_test_id("assign-matching").click()
    assert boss.get_by_test_id("selected-count").inner_text() == "已选 3 位客户"
    boss.get_by_label("李娜").check()
    boss.get_by_label("王芳").check()
    boss.get_by_test_id("preview").click()
    loads = boss.get_by_test_id("loads-table").inner_text()
    assert "李娜" in loads and "王芳" in loads
    screenshot(boss, "customers-assign-preview")
    boss.get_by_role("button", name="确认分配").click()
    boss.get_by_text("已分配 3 位客户。").wait_for()
    owners = sorted(Customer.objects.values_list("owner__display_name", flat=True))
    assert owners in (["李娜", "李娜", "王芳"], ["李娜", "王芳", "王芳"])

    agent = new_page()
    sign_in(agent, "zuoxi1")
    card = agent.get_by_test_id("card-contact-due")
    mine = list(Customer.objects.filter(owner__username="zuoxi1").order_by("contact_due_at", "id"))
    assert card.locator(".h2").inner_text().startswith(str(len(mine)))
    card.get_by_role("link", name=mine[0].name).click()
    agent.wait_for_url(re.compile(rf"/customers/{mine[0].pk}/$"))
    agent.get_by_label("联系方式").select_option("call")
    agent.get_by_label("沟通内容").fill("电话回访，客户确认收货地址")
    agent.get_by_role("button", name="记录联系").click()
    agent.get_by_test_id("timeline").get_by_text("电话回访，客户确认收货地址").wait_for()
    screenshot(agent, "customers-contact-recorded")

    agent.goto("/")
    assert (
        agent.get_by_test_id("card-contact-due")
        .locator(".h2")
        .inner_text()
        .startswith(str(len(mine) - 1))
    )
    mine[0].refresh_from_db()
    assert mine[0].contact_due_at is None and mine[0].last_contacted_at is not None
