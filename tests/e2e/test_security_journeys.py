"""Pages under the Content-Security-Policy, in the browser (issue 10.1), and the Chinese date picker
(issue 9.21): key pages of each role load with no policy violation (the browser reports each one as
a `securitypolicyviolation` event and a console error), their scripts still work (confirmations,
the language switch, toasts), and a date field shows a Chinese calendar and writes yyyy-mm-dd.
"""

import re

import pytest
from django.test import Client

from conftest import sign_in
from kefu.accounts.roles import Role
from tests.e2e.conftest import screenshot
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sample || ""));
});
"""


def signed_in_page(browser, live_server, user):
    """A browser page with `user`'s session (signed in through the real page, second factor
    included), watching for policy violations."""
    client = sign_in(Client(), user)
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 800}
    )
    context.add_cookies(
        [{"name": k, "value": v.value, "url": live_server.url} for k, v in client.cookies.items()]
    )
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.console = []
    page.on(
        "console",
        lambda m: page.console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return page


def violations(page) -> list[str]:
    return page.evaluate("window.__violations") + page.console


@pytest.fixture
def cs(db):
    return DepartmentFactory(code="cs", name="客服部", is_customer_service=True)


def test_key_pages_of_each_role_run_under_the_policy(browser, live_server, cs):
    pages = {
        Role.MANAGER: [
            "/",
            "/customers/",
            "/customers/new/",
            "/tickets/",
            "/tickets/new/",
            "/conversations/",
            "/conversations/statistics/",
            "/telephony/",
            "/replies/",
            "/sms/templates/",
            "/settings/",
            "/settings/users/",
            "/settings/departments/",
            "/settings/audit/",
            "/settings/calendar/",
            "/settings/tickets/",
            "/settings/inboxes/",
            "/accounts/password/",
            "/api/v1/docs",
        ],
        Role.AGENT: ["/", "/customers/", "/tickets/", "/conversations/", "/notifications/"],
        Role.ADMINISTRATOR: ["/admin/", "/admin/accounts/user/", "/admin/accounts/user/add/"],
    }
    for role, urls in pages.items():
        page = signed_in_page(browser, live_server, UserFactory(role=role, department=cs))
        for url in urls:
            response = page.goto(url)
            assert response.status < 400, (role, url, response.status)
            assert "Content-Security-Policy" in {h.title() for h in response.headers}, url
            page.wait_for_load_state("load")
            assert violations(page) == [], (role, url)
        page.context.close()


def test_scripts_still_work_under_the_policy(browser, live_server, cs):
    manager = UserFactory(role=Role.MANAGER, department=cs)
    agent = UserFactory(role=Role.AGENT, department=cs, display_name="李娜")
    page = signed_in_page(browser, live_server, manager)

    # A confirmation (was an inline onclick): dismissed, nothing happens; accepted, it is done.
    page.goto(f"/settings/users/{agent.pk}/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="停用账号").click()
    page.wait_for_timeout(300)
    agent.refresh_from_db()
    assert agent.is_active
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="停用账号").click()
    page.wait_for_load_state("load")
    agent.refresh_from_db()
    assert not agent.is_active
    # The toast that says so closes by its button (was an Alpine expression).
    toast = page.locator("#toasts .alert").first
    toast.wait_for()
    toast.get_by_role("button").click()
    assert page.locator("#toasts .alert").count() == 0

    # The language switch submits itself (was an inline onchange).
    page.get_by_test_id("user-menu").click()
    with page.expect_navigation():
        page.locator("#language-select").select_option("en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert violations(page) == []


def test_a_date_field_shows_a_chinese_calendar_and_writes_yyyy_mm_dd(browser, live_server, cs):
    page = signed_in_page(browser, live_server, UserFactory(role=Role.MANAGER, department=cs))
    page.goto("/settings/audit/")
    field = page.locator('input[name="date_from"]')
    field.click()
    calendar = page.locator(".flatpickr-calendar.open")
    calendar.wait_for()
    month = calendar.locator(".flatpickr-monthDropdown-months option:checked").inner_text()
    assert re.fullmatch(r"[一二三四五六七八九十]+月", month), month
    assert "周一" in calendar.locator(".flatpickr-weekdays").inner_text()
    calendar.locator(".flatpickr-day:not(.prevMonthDay):not(.nextMonthDay)").nth(9).click()
    assert re.fullmatch(r"\d{4}-\d{2}-10", field.input_value())
    screenshot(page, "date-picker-zh")
    assert violations(page) == []


def test_the_widget_works_on_a_site_whose_policy_allows_only_what_the_docs_say(browser):
    """docs/chat-widget.md: script-src and connect-src for kefu, img-src blob:, and no inline
    styles needed. The shop's own policy allows nothing else; the widget still chats."""
    from kefu.accounts.models import Presence
    from kefu.conversations.models import Inbox, Message
    from kefu.conversations.tests.conftest import make_agent
    from tests.e2e.asgi_server import running_kefu, third_party_page

    make_agent(display_name="李娜", presence=Presence.ONLINE)
    with running_kefu() as kefu_url:
        inbox = Inbox.objects.create(name="小店在线客服", allowed_origins=[])
        ws_url = kefu_url.replace("http://", "ws://")
        policy = (
            f"default-src 'none'; script-src {kefu_url}; connect-src {kefu_url} {ws_url}; "
            "img-src blob:; style-src 'none'"
        )
        html = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}"><title>小店</title></head>
<body><h1>欢迎光临小店</h1>
<script src="{kefu_url}/static/kefu/widget.js" data-inbox="{inbox.public_key}" async></script></body></html>"""
        with third_party_page(html) as page_url:
            inbox.allowed_origins = [page_url]
            inbox.save()
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
            context.add_init_script(WATCH)
            page = context.new_page()
            page.set_default_timeout(10_000)
            page.goto(page_url)
            launcher = page.get_by_role("button", name="在线客服")
            launcher.wait_for()
            # Styled although the page allows no inline style: the constructed style sheet.
            assert launcher.evaluate("b => getComputedStyle(b).position") == "fixed"
            launcher.click()
            page.get_by_placeholder("请输入消息，Enter 发送").fill("你好，我想咨询发票")
            page.keyboard.press("Enter")
            page.locator(".msg.visitor:not(.pending)", has_text="你好，我想咨询发票").wait_for()
            assert Message.objects.filter(body="你好，我想咨询发票").exists()
            assert page.evaluate("window.__violations") == []
            context.close()
