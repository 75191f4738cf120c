"""An agent and a manager sign in through the real pages and read their Chinese navigation."""

import base64
import re

import pytest
from django_otp.oath import TOTP

from kefu.accounts.roles import Role
from kefu.web.tests.test_pages import NAV_BY_ROLE, nav_labels
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def nav(page) -> list[str]:
    return nav_labels(page.content())


def test_an_agent_signs_in_and_sees_the_agents_navigation(page):
    cs = DepartmentFactory(code="cs", name="客服部", is_customer_service=True)
    UserFactory(username="agent1", display_name="李娜", role=Role.AGENT, department=cs)
    sign_in(page, "agent1", "wrong-password1")
    assert page.get_by_test_id("sign-in-error").inner_text() == "用户名或密码错误。"
    sign_in(page, "agent1")
    page.wait_for_url(re.compile(r"/$"))
    assert nav(page) == NAV_BY_ROLE[Role.AGENT]
    assert page.get_by_test_id("whoami").inner_text() == "李娜"
    screenshot(page, "agent-workbench")
    # A group of the bar opens as a menu; its entry leads to the page, and the group is marked.
    main_nav = page.get_by_test_id("main-nav")
    assert not main_nav.get_by_role("link", name="回访").is_visible()
    main_nav.get_by_role("button", name="业务").click()
    main_nav.get_by_role("link", name="回访").click()
    page.wait_for_url(re.compile(r"/visits/"))
    assert page.locator(".nav-item.dropdown.active .nav-link-title").inner_text() == "业务"
    page.goto("/")
    # The agent's own presence switch in the user menu.
    page.get_by_test_id("user-menu").click()
    page.locator("#presence-switch").get_by_test_id("presence-select").select_option("online")
    page.locator("#presence-switch .presence-online").wait_for()
    # Settings are not for agents: a friendly Chinese 403.
    page.goto("/settings/users/")
    assert "您没有打开此页面的权限。" in page.inner_text("body")


def test_a_manager_sets_up_two_factor_and_reveals_a_number(page):
    cs = DepartmentFactory(code="cs", name="客服部", is_customer_service=True)
    UserFactory(username="manager", display_name="周经理", role=Role.MANAGER, department=cs)
    UserFactory(
        username="agent2", display_name="王芳", role=Role.AGENT, department=cs, mobile="13912345678"
    )
    sign_in(page, "manager")
    page.wait_for_url(re.compile(r"/accounts/two-factor/"))
    assert page.get_by_role("heading", name="两步验证").is_visible()
    secret = page.get_by_test_id("totp-secret").inner_text()
    code = TOTP(base64.b32decode(secret)).token()
    page.get_by_label("6位验证码").fill(f"{code:06d}")
    page.get_by_role("button", name="验证").click()
    # The ten recovery codes are shown once, then the page asked for.
    page.wait_for_url(re.compile(r"/accounts/recovery-codes/"))
    assert page.get_by_test_id("recovery-codes").locator("li").count() == 10
    page.get_by_role("link", name="我已保存").click()
    page.wait_for_url(re.compile(r"/$"))
    assert nav(page) == NAV_BY_ROLE[Role.MANAGER]
    page.get_by_role("link", name="设置").click()
    page.get_by_role("link", name="用户与角色").click()
    table = page.get_by_test_id("users-table")
    assert "139****5678" in table.inner_text()
    assert "13912345678" not in page.content()
    table.get_by_role("link", name="agent2").click()
    assert page.get_by_test_id("masked-mobile").inner_text() == "139****5678"
    page.get_by_test_id("reveal-mobile").click()
    page.locator('[data-revealed="mobile"]').wait_for()
    assert page.locator('[data-revealed="mobile"]').inner_text() == "13912345678"
    screenshot(page, "manager-user-revealed")
    # The reveal is in the audit log the manager can search.
    page.goto("/settings/audit/?action=reveal")
    assert "王芳" in page.get_by_test_id("audit-table").inner_text()


def test_the_layout_works_on_a_phone(browser, live_server):
    UserFactory(username="agent3", role=Role.AGENT)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    sign_in(page, "agent3")
    page.wait_for_url(re.compile(r"/$"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    page.get_by_role("button", name="菜单").click()
    page.get_by_role("link", name="工作台").wait_for()
    screenshot(page, "agent-phone")
    context.close()


def test_the_unread_count_sits_on_the_bell_and_reads_white_on_red(page):
    """It sat at the header's top edge, half cut off, its digit grey on red."""
    from kefu.notifications.services import notify

    agent = UserFactory(username="agent1", display_name="李娜", role=Role.AGENT)
    notify(recipient_ids=[agent.pk], kind="test", title="第一条")
    notify(recipient_ids=[agent.pk], kind="test", title="第二条")
    sign_in(page, "agent1")
    page.wait_for_url(re.compile(r"/$"))
    count = page.get_by_test_id("unread-count")
    assert count.inner_text() == "2"
    badge = count.bounding_box()
    bell = page.get_by_test_id("bell").locator("svg").bounding_box()
    header = page.locator("header").first.bounding_box()
    assert badge and bell and header
    assert badge["y"] >= header["y"]  # whole, not cut by the page's top
    assert badge["y"] < bell["y"] + bell["height"] and badge["y"] + badge["height"] > bell["y"]
    assert abs(badge["x"] - (bell["x"] + bell["width"])) < badge["width"]  # at the bell's shoulder
    assert count.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"
