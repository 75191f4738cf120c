"""Automation in the browser (issue 18): a manager adds a WeCom group robot (a local HTTP server
standing in for qyapi.weixin.qq.com), builds the rule "a complaint from a VIP customer is set
urgent and posted to the robot" on the form, dry-runs it against the last complaints, turns it on,
and the next VIP complaint an agent files is made urgent and posted to the group."""

import base64
import re

import pytest
from django_otp.oath import TOTP

from kefu.accounts.roles import Role
from kefu.automation.engine import rules_cache
from kefu.automation.models import Rule, RuleLog
from kefu.automation.tests.conftest import Receiver
from kefu.customers.models import Customer, Level
from kefu.tickets.models import Ticket
from kefu.tickets.services.tickets import create_ticket
from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wecom(settings):
    settings.AUTOMATION_ALLOW_LOOPBACK = True  # the test-only door to the local server
    server = Receiver()
    yield server
    server.close()
    rules_cache.clear()  # this process's cache must not outlive the journey's rules


def test_a_manager_builds_dry_runs_and_enables_a_vip_complaint_rule(browser, live_server, wecom):
    cs = DepartmentFactory(code="cs", name="客服部", is_customer_service=True)
    manager = UserFactory(
        username="jingli", display_name="周经理", role=Role.MANAGER, department=cs
    )
    UserFactory(username="zuoxi1", display_name="李娜", role=Role.AGENT, department=cs)
    vip = Customer.objects.create(name="王女士", level=Level.VIP)
    regular = Customer.objects.create(name="李先生", level=Level.REGULAR)
    earlier = create_ticket(
        actor=manager, type="complaint", subject="上次的投诉", customer_id=vip.pk
    )
    create_ticket(actor=manager, type="complaint", subject="普通客户投诉", customer_id=regular.pk)

    def person(username):
        context = browser.new_context(
            base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("dialog", lambda dialog: pytest.fail(f"a script ran: {dialog.message}"))
        sign_in(page, username)
        return page

    boss = person("jingli")
    boss.wait_for_url(re.compile(r"/accounts/two-factor/"))
    secret = boss.get_by_test_id("totp-secret").inner_text()
    boss.get_by_label("6位验证码").fill(f"{TOTP(base64.b32decode(secret)).token():06d}")
    boss.get_by_role("button", name="验证").click()
    boss.wait_for_url(re.compile(r"/accounts/recovery-codes/"))
    boss.get_by_role("link", name="我已保存").click()
    boss.wait_for_url(re.compile(r"/$"))

    main_nav = boss.get_by_test_id("main-nav")
    main_nav.get_by_role("button", name="渠道与工具").click()
    main_nav.get_by_role("link", name="自动化").click()
    assert boss.get_by_test_id("empty-state").is_visible()
    boss.get_by_role("link", name="群机器人").click()
    boss.get_by_label("名称").fill("客服主管群")
    boss.get_by_label("类型").select_option(label="企业微信群机器人")
    boss.get_by_label("机器人 Webhook 地址").fill(f"{wecom.url}/cgi-bin/webhook/send?key=KEY1")
    boss.get_by_test_id("save-robot").click()
    assert "客服主管群" in boss.get_by_test_id("robots").inner_text()

    boss.get_by_role("link", name="规则", exact=True).click()
    boss.get_by_test_id("new-rule").click()
    boss.get_by_label("名称").fill("VIP 投诉加急")
    boss.get_by_label("当").select_option(label="工单创建时")
    boss.get_by_label("工单类型").select_option(label="投诉")
    boss.get_by_label("客户等级").select_option(label="VIP")
    boss.get_by_label("设置优先级").select_option(label="紧急")
    boss.get_by_label("推送到群机器人").select_option(label="客服主管群")
    boss.get_by_test_id("dry-run").click()
    result = boss.get_by_test_id("dry-result")
    assert "试运行：最近 2 条记录中有 1 条会命中" in result.inner_text()
    assert "设置优先级: 紧急" in boss.get_by_test_id(f"dry-{earlier.pk}").inner_text()
    assert Ticket.objects.get(pk=earlier.pk).priority == "normal"  # a dry run changes nothing
    screenshot(boss, "automation-dry-run")
    boss.get_by_test_id("save").click()
    boss.wait_for_url(re.compile(r"/automation/$"))
    rule = Rule.objects.get()
    row = boss.get_by_test_id(f"rule-{rule.pk}")
    assert row.get_by_test_id("state").inner_text() == "已停用"
    row.get_by_test_id("enable").click()
    assert boss.get_by_test_id(f"rule-{rule.pk}").get_by_test_id("state").inner_text() == "已启用"

    agent = person("zuoxi1")
    agent.wait_for_url(re.compile(r"/$"))
    agent.goto(f"/tickets/new/?customer={vip.pk}&type=complaint")
    agent.get_by_label("主题").fill("收到的商品破损 <b>")
    agent.get_by_label("内容", exact=True).fill("外包装完好，里面的杯子碎了")
    agent.get_by_role("button", name="创建工单").click()
    agent.wait_for_url(re.compile(r"/tickets/\d+/$"))
    ticket = Ticket.objects.order_by("-id").first()
    for _ in range(40):  # the rule runs after commit, in the background
        if wecom.requests:
            break
        agent.wait_for_timeout(250)

    assert Ticket.objects.get(pk=ticket.pk).priority == "urgent"
    [posted] = wecom.requests
    assert posted["query"] == {"key": "KEY1"}
    assert posted["json"]["msgtype"] == "markdown"
    # What the customer typed reaches the group as plain text: no tag, no link.
    assert f"{ticket.number} 收到的商品破损 ＜b＞" in posted["json"]["markdown"]["content"]
    assert RuleLog.objects.get().subject_id == ticket.pk

    boss.get_by_role("link", name="规则执行记录").click()
    log = boss.get_by_test_id("rule-log").inner_text()
    assert "VIP 投诉加急" in log and f"#{ticket.pk}" in log and "✓ 设置优先级: 紧急" in log
    screenshot(boss, "automation-log")
