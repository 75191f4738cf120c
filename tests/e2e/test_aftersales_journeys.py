"""After-sales in the browser (issue 15 item 10): a quality return with photos, accepted once the
photos are reviewed, taken in by the warehouse with the note found in the parcel, refunded by
finance; and a bad review handled without money."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kefu.accounts.roles import Role
from kefu.aftersales.models import AfterSalesCase
from kefu.aftersales.selectors import finance_cutoff
from kefu.customers.services import profiles
from kefu.orders.services.orders import clean_order, record_order
from tests.e2e.conftest import follow_nav, screenshot
from tests.e2e.test_sign_in_journeys import sign_in
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15"
    b"\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def shop():
    supervisor = UserFactory(username="zhuguan", role=Role.SUPERVISOR)
    UserFactory(username="zuoxi1", display_name="李娜", role=Role.AGENT)
    UserFactory(
        username="cangku",
        display_name="仓库小周",
        role=Role.DEPARTMENT_STAFF,
        department=DepartmentFactory(code="warehouse", name="仓库"),
    )
    UserFactory(
        username="caiwu",
        display_name="财务小林",
        role=Role.DEPARTMENT_STAFF,
        department=DepartmentFactory(code="finance", name="财务部"),
    )
    profiles.create_customer(
        actor=supervisor, name="王芳", contacts=profiles.ContactPoints({"mobile": ["13800138000"]})
    )
    order, _ = record_order(
        actor=supervisor,
        data=clean_order(
            {
                "platform": "tmall",
                "number": "2026120577777",
                "receiver_mobile": "13800138000",
                "amount": "399.00",
                "paid": "399.00",
                "state": "received",
                "items": [{"sku": "LD-101", "name": "北欧吊灯", "price": "399.00"}],
            }
        ),
    )
    return order


def new_page(browser, live_server):
    page = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    ).new_page()
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: pytest.fail(f"a script ran: {dialog.message}"))
    return page


def test_a_quality_return_with_photos_through_intake_and_refund(
    browser, live_server, shop, tmp_path
):
    agent = new_page(browser, live_server)
    sign_in(agent, "zuoxi1")
    agent.goto(f"/orders/{shop.pk}/")
    agent.get_by_test_id("open-aftersales").click()
    agent.get_by_label("类型").select_option("quality")
    agent.get_by_label("买家反映的问题").fill("灯罩运输途中开裂")
    agent.get_by_label("退款金额（元）").fill("500.00")
    agent.get_by_role("button", name="提交售后单").click()
    expect(agent.get_by_test_id("case-error")).to_contain_text("退款金额超过实付未退金额")
    agent.get_by_label("退款金额（元）").fill("399.00")
    agent.get_by_role("button", name="提交售后单").click()
    expect(agent.get_by_test_id("accept-blocked")).to_contain_text("照片")
    fake = tmp_path / "photo.png"
    fake.write_bytes(b"MZ not an image")
    agent.get_by_label("买家照片").set_input_files(str(fake))
    agent.get_by_test_id("add-photo").click()
    expect(agent.get_by_test_id("photos")).to_contain_text("暂无照片")
    real = tmp_path / "灯罩开裂.png"
    real.write_bytes(PNG)
    agent.get_by_label("买家照片").set_input_files(str(real))
    agent.get_by_test_id("add-photo").click()
    expect(agent.get_by_test_id("photos")).to_contain_text("灯罩开裂.png")
    agent.get_by_test_id("review-photos").click()
    agent.get_by_test_id("move-accept_return").click()
    expect(agent.get_by_test_id("case-state")).to_have_text("待退件")
    case = AfterSalesCase.objects.get()

    warehouse = new_page(browser, live_server)
    sign_in(warehouse, "cangku")
    follow_nav(warehouse, "售后")
    warehouse.get_by_role("link", name=f"#{case.pk}").click()
    expect(warehouse.get_by_test_id("move-pay_refund")).to_have_count(0)
    warehouse.locator("#parcel-intake_refund").fill("纸条：请退回支付宝")
    warehouse.get_by_test_id("move-intake_refund").click()
    expect(warehouse.get_by_test_id("case-state")).to_have_text("待退款")
    expect(warehouse.get_by_test_id("parcel-notes")).to_have_text("纸条：请退回支付宝")

    finance = new_page(browser, live_server)
    sign_in(finance, "caiwu")
    # the sheet the refund is on: today's, or tomorrow's once past the cut-off (17:00 Beijing)
    now = timezone.localtime()
    day = now.date() + dt.timedelta(days=0 if now.time() < finance_cutoff() else 1)
    follow_nav(finance, "售后")
    finance.get_by_test_id("finance-link").click()
    finance.goto(f"/aftersales/finance/?day={day.isoformat()}")
    expect(finance.get_by_test_id("to-pay-total")).to_have_text("¥399.00")
    screenshot(finance, "aftersales-finance-sheet")
    finance.get_by_test_id(f"pay-{case.pk}").click()
    expect(finance.get_by_test_id("case-state")).to_have_text("已完成")
    finance.goto(f"/aftersales/finance/?day={timezone.localdate().isoformat()}")
    expect(finance.get_by_test_id("paid-total")).to_have_text("¥399.00")
    finance.goto(f"/aftersales/finance/?day={day.isoformat()}")
    expect(finance.get_by_test_id("to-pay-total")).to_have_text("¥0.00")


def test_a_bad_review_handled_without_money(browser, live_server, shop):
    agent = new_page(browser, live_server)
    sign_in(agent, "zuoxi1")
    agent.goto(f"/orders/{shop.pk}/")
    agent.get_by_test_id("record-review").click()
    agent.get_by_label("评价类型").select_option("negative")
    agent.get_by_label("评价日期").fill("2026-12-01")
    agent.get_by_label("评价内容").click()  # closes the date picker
    agent.get_by_label("评价内容").fill("灯不亮，<b>差评</b>")
    agent.get_by_role("button", name="登记评价").click()
    agent.get_by_test_id("contact-note").fill("答应返现10元改评")
    agent.get_by_test_id("record-contact").click()
    expect(agent.locator("body")).to_contain_text("不得以金钱换取修改评价")
    expect(agent.get_by_test_id("review-state")).to_have_text("待联系")
    agent.get_by_test_id("contact-note").fill("电话联系：灯泡未拧紧，指导后已亮")
    agent.get_by_test_id("no-money").check()
    agent.get_by_test_id("record-contact").click()
    agent.get_by_label("结果", exact=True).select_option("revised")
    agent.get_by_test_id("close-review").click()
    expect(agent.get_by_test_id("review-outcome")).to_have_text("买家已修改评价")
    expect(agent.get_by_test_id("review-text")).to_have_text("灯不亮，<b>差评</b>")
    agent.goto("/aftersales/reviews/")
    expect(agent.get_by_test_id("reviews")).to_contain_text(re.compile("已处理完毕|买家已修改评价"))


def test_a_compensation_asked_by_the_desk_approved_and_paid_by_finance(browser, live_server, shop):
    agent = new_page(browser, live_server)
    sign_in(agent, "zuoxi1")
    agent.goto(f"/orders/{shop.pk}/")
    agent.get_by_test_id("open-aftersales").click()
    agent.get_by_label("类型").select_option("refund_only")
    agent.get_by_label("买家反映的问题").fill("少发灯泡一个")
    agent.get_by_label("退款金额（元）").fill("30.00")
    agent.get_by_role("button", name="提交售后单").click()
    case = AfterSalesCase.objects.get()
    form = agent.get_by_test_id("money-form")
    form.get_by_label("类型").select_option("compensation")
    form.get_by_label("金额（元）").fill("20.005")
    form.get_by_label("原因").fill("<b>耽误安装</b>，补偿")
    agent.get_by_test_id("money-add").click()
    expect(agent.locator("body")).to_contain_text("小数")  # three decimals refused
    expect(agent.get_by_test_id("money-lines")).to_contain_text("该售后单没有邮费退款或赔偿")
    form.get_by_label("类型").select_option("compensation")
    form.get_by_label("金额（元）").fill("20.00")
    form.get_by_label("原因").fill("<b>耽误安装</b>，补偿")
    agent.get_by_test_id("money-add").click()
    lines = agent.get_by_test_id("money-lines")
    expect(lines).to_contain_text("¥20.00")
    expect(lines).to_contain_text("<b>耽误安装</b>，补偿")  # shown as typed, not as markup
    expect(lines).to_contain_text("待财务审批")
    line = case.money_lines.get()
    expect(agent.get_by_test_id(f"money-approve-{line.pk}")).to_have_count(0)  # not the desk's step

    finance = new_page(browser, live_server)
    sign_in(finance, "caiwu")
    now = timezone.localtime()
    day = now.date() + dt.timedelta(days=0 if now.time() < finance_cutoff() else 1)
    finance.goto(f"/aftersales/finance/?day={day.isoformat()}")
    expect(finance.get_by_test_id("lines-pending-total")).to_have_text("¥20.00")
    finance.get_by_test_id(f"sheet-approve-{line.pk}").click()
    expect(finance.get_by_test_id("lines-pending")).to_contain_text("已批准，待支付")
    finance.get_by_test_id(f"sheet-pay-{line.pk}").click()
    expect(finance.get_by_test_id("lines-pending-total")).to_have_text("¥0.00")
    screenshot(finance, "aftersales-money-lines")
    finance.goto(f"/aftersales/finance/?day={timezone.localdate().isoformat()}")
    expect(finance.get_by_test_id("lines-paid-total")).to_have_text("¥20.00")
    agent.reload()
    expect(agent.get_by_test_id(f"money-state-{line.pk}")).to_have_text("已付款")
    expect(agent.get_by_test_id("money-lines")).to_contain_text("财务小林")
