"""Orders in the browser (issue 15 item 10): an agent changes the address of a printed order along
the seed's path (take the slips back, change them, remark, confirm with the customer), the printing
desk sees the red flag and confirms it, and the customer page shows the order."""

import re

import pytest
from playwright.sync_api import expect

from kefu.accounts.roles import Role
from kefu.customers.services import profiles
from kefu.orders.services.orders import clean_order, record_order
from tests.e2e.conftest import follow_nav, screenshot
from tests.e2e.test_sign_in_journeys import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_address_change_on_a_printed_order(browser, live_server, page):
    supervisor = UserFactory(username="zhuguan", display_name="陈主管", role=Role.SUPERVISOR)
    UserFactory(username="zuoxi1", display_name="李娜", role=Role.AGENT)
    UserFactory(username="dadan", display_name="黄打单", role=Role.AGENT)
    customer = profiles.create_customer(
        actor=supervisor,
        name="王芳",
        contacts=profiles.ContactPoints({"mobile": ["13800138000"]}),
    )
    order, _ = record_order(
        actor=supervisor,
        data=clean_order(
            {
                "platform": "taobao",
                "number": "2026120588888",
                "receiver_mobile": "13800138000",
                "address": "广西南宁市青秀区民族大道100号",
                "amount": "399.00",
                "paid": "399.00",
                "state": "printed",
                "items": [
                    {
                        "sku": "LD-101",
                        "name": "北欧吊灯",
                        "attributes": "颜色分类:暖白",
                        "price": "399.00",
                    }
                ],
            }
        ),
    )
    page.on("dialog", lambda dialog: pytest.fail(f"a script ran: {dialog.message}"))
    sign_in(page, "zuoxi1")
    follow_nav(page, "订单")
    page.get_by_role("link", name="2026120588888").click()
    expect(page.get_by_test_id("order-summary")).to_contain_text("138****8000")
    page.get_by_label("客户要求").select_option("address")
    page.get_by_label("新地址").fill("广西桂林市七星区漓江路1号 <script>alert(1)</script>")
    page.get_by_test_id("start-change").click()
    expect(page.get_by_test_id("change-steps")).to_contain_text("到仓库要回发货单与快递单")
    for _ in range(4):
        page.get_by_test_id("do-step").click()
        page.wait_for_load_state()
    expect(page.get_by_test_id("order-address")).to_contain_text("漓江路1号")
    expect(page.get_by_test_id("remarks")).to_contain_text("已在发货单与快递单上修改妥当---")
    expect(page.get_by_test_id("remarks")).to_contain_text("李娜")
    screenshot(page, "orders-address-change")
    page.goto(f"/customers/{customer.pk}/")
    expect(page.get_by_test_id("customer-orders")).to_contain_text("2026120588888")

    desk = browser.new_context(base_url=live_server.url).new_page()
    desk.set_default_timeout(10_000)
    sign_in(desk, "dadan")
    follow_nav(desk, "订单")
    desk.get_by_test_id("desk-link").click()
    expect(desk.get_by_test_id(f"order-row-{order.pk}")).to_contain_text("红旗")
    desk.get_by_test_id(f"confirm-{order.pk}").click()
    desk.wait_for_url(re.compile(r"pending=on"))
    expect(desk.get_by_test_id("empty-state")).to_be_visible()
    desk.context.close()
