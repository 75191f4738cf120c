"""Personal-data rights in the browser (issue 18.4): a manager finds a customer by mobile, exports
everything held about them and downloads the zip, then erases their data; afterwards a search by
their mobile finds nothing, among customers or tickets."""

import base64
import json
import re
import zipfile

import pytest
from django_otp.oath import TOTP

from kefu.accounts.roles import Role
from kefu.customers.services.profiles import ContactPoints, create_customer
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType
from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

MOBILE = "13912345678"


def test_a_customers_data_is_exported_then_erased_and_their_mobile_finds_nothing(
    page, live_server, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    cs = DepartmentFactory(code="cs", name="客服部", is_customer_service=True)
    agent = UserFactory(username="zuoxi1", display_name="李娜", role=Role.AGENT, department=cs)
    UserFactory(username="manager", display_name="周经理", role=Role.MANAGER, department=cs)
    customer = create_customer(
        actor=agent,
        name="张伟",
        contacts=ContactPoints({"mobile": [MOBILE]}),
        address="民族大道100号",
    )
    ticket = create_ticket(
        actor=agent,
        type=TicketType.CONSULTATION,
        subject="发票开错了",
        content="请改抬头",
        customer_id=customer.pk,
    )
    page.on("dialog", lambda dialog: pytest.fail(f"a script ran: {dialog.message}"))
    sign_in(page, "manager")
    page.wait_for_url(re.compile(r"/accounts/two-factor/"))
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("6位验证码").fill(f"{TOTP(base64.b32decode(secret)).token():06d}")
    page.get_by_role("button", name="验证").click()
    page.wait_for_url(re.compile(r"/accounts/recovery-codes/"))
    page.get_by_role("link", name="我已保存").click()
    page.wait_for_url(re.compile(r"/$"))

    # Before: the mobile finds the ticket.
    page.goto(f"/tickets/?q={MOBILE}")
    assert ticket.number in page.content()

    page.get_by_role("link", name="个人信息保护").first.click()
    page.get_by_label("客户编号或手机号").fill(MOBILE)
    page.get_by_role("button", name="查找").click()
    page.wait_for_url(re.compile(rf"/privacy/customers/{customer.pk}/$"))
    assert "139****5678" in page.get_by_test_id("privacy-customer").inner_text()
    export_form = page.get_by_test_id("export-form")
    export_form.get_by_label("原因（谁提出、通过什么方式）").fill("客户来电要求获取副本")
    export_form.get_by_role("button", name="导出数据").click()
    page.wait_for_url(re.compile(r"/privacy/$"))
    page.get_by_text("副本已生成，请在下方下载。").wait_for()
    screenshot(page, "privacy-copy-ready")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载").first.click()
    path = download_info.value.path()
    with zipfile.ZipFile(path) as archive:
        profile = json.loads(archive.read("customers/customer.json"))[0]
        tickets = json.loads(archive.read("tickets/tickets.json"))
    assert (profile["name"], profile["mobile"]) == ("张伟", "+86" + MOBILE)
    assert [t["number"] for t in tickets] == [ticket.number]

    page.get_by_label("客户编号或手机号").fill(str(customer.pk))
    page.get_by_role("button", name="查找").click()
    erase_form = page.get_by_test_id("erase-form")
    erase_form.get_by_label("原因（谁提出、通过什么方式）").fill("客户书面申请删除")
    erase_form.get_by_label("我知道删除的个人信息无法恢复").check()
    erase_form.get_by_role("button", name="删除").click()
    page.wait_for_url(re.compile(r"/privacy/$"))
    page.get_by_text("该客户的个人信息已删除。").wait_for()
    assert "已完成" in page.get_by_test_id("erasures").inner_text()
    assert "文件已删除" in page.get_by_test_id("exports").inner_text()  # the copy went with it
    screenshot(page, "privacy-erased")

    # After: a search by their mobile finds nothing.
    page.goto(f"/customers/?q={MOBILE}")
    assert page.get_by_test_id("empty-state").count() == 1
    assert "张伟" not in page.content()
    page.goto(f"/tickets/?q={MOBILE}")
    assert ticket.number not in page.content()
    page.goto("/privacy/")
    page.get_by_label("客户编号或手机号").fill(MOBILE)
    page.get_by_role("button", name="查找").click()
    page.get_by_text("没有这个编号或手机号的客户。").wait_for()
