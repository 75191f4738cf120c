"""Reports in the browser (issue 13.9): a supervisor opens the live board and sees it change when a
ticket is created (a push over the socket, no polling), then filters a report by street, drills
down to the tickets behind a figure and exports the report to Excel."""

import re

import pytest

from kefu.accounts.roles import Role
from kefu.customers.models import Customer
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType
from tests.e2e.conftest import follow_nav, screenshot
from tests.e2e.test_sign_in_journeys import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_supervisor_watches_the_board_filters_drills_down_and_exports(browser, asgi_live_server):
    agent = UserFactory(username="zuoxi1", display_name="李娜", role=Role.AGENT)
    UserFactory(username="zhuguan", display_name="陈主管", role=Role.SUPERVISOR)
    minzu = Customer.objects.create(name="黄伟", region="广西", street="民族街道")
    other = Customer.objects.create(name="周敏", region="广西", street="新竹街道")
    for customer, subject in ((minzu, "发票怎么开"), (minzu, "保修多久"), (other, "营业时间")):
        create_ticket(
            actor=agent, type=TicketType.CONSULTATION, subject=subject, customer_id=customer.pk
        )

    context = browser.new_context(
        base_url=asgi_live_server,
        locale="en-US",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, "zhuguan")
    page.wait_for_url(re.compile(r"/$"))

    # the live board: today's tickets so far, updated by a push when a new one arrives
    follow_nav(page, "实时看板")
    today = page.get_by_test_id("board-today")
    assert today.locator(".h2").first.inner_text() == "3"
    page.wait_for_function("() => window.kefuLive && window.kefuLive.isOpen()")
    create_ticket(
        actor=agent, type=TicketType.COMPLAINT, subject="屏幕有亮点", customer_id=other.pk
    )
    page.wait_for_function(
        "() => document.querySelector('[data-testid=board-today] .h2').textContent.trim() === '4'"
    )
    screenshot(page, "reports-board")

    # the consultations report, filtered by street
    follow_nav(page, "报表")
    page.get_by_test_id("figure-consultations").click()
    page.get_by_test_id("filter-street").fill("民族街道")
    page.get_by_label("分组方式").select_option(label="街道")
    page.get_by_test_id("report-apply").click()
    page.wait_for_url(re.compile(r"street="))
    assert page.get_by_test_id("figure-total").inner_text().strip() == "2"
    rows = page.get_by_test_id("breakdown-row")
    assert rows.count() == 1 and "民族街道" in rows.first.inner_text()
    page.wait_for_function("() => !!document.querySelector('#chart-series canvas')")
    screenshot(page, "reports-figure")

    # drill down to the tickets behind the row
    with page.expect_navigation():
        rows.first.get_by_test_id("drill").click()
    records = page.get_by_test_id("record-row")
    assert records.count() == 2
    assert "发票怎么开" in page.get_by_test_id("records-table").inner_text()
    assert "营业时间" not in page.get_by_test_id("records-table").inner_text()

    # back to the report, and its Excel file
    page.get_by_role("link", name="返回报表").click()
    with page.expect_download() as download:
        page.get_by_test_id("report-export").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    context.close()
