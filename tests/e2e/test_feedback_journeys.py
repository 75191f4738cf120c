"""Feedback in the browser (issue 16.7): three customers report the same bug; the agent groups the
reports into one problem; the developer marks it fixed in a version; all three are told, once."""

import re

import pytest
from playwright.sync_api import expect

from kefu.accounts.roles import Role
from kefu.core.models import TimelineEntry
from kefu.customers.models import Customer
from kefu.feedback.models import FeedbackReport, Problem, ProblemState, ReporterNotice
from kefu.sms.models import SmsMessage, SmsTemplate
from tests.e2e.test_sign_in_journeys import sign_in
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_three_customers_report_the_same_bug_it_is_grouped_fixed_and_all_three_are_told(
    browser, live_server
):
    tech = DepartmentFactory(code="tech", name="技术部")
    agent = UserFactory(username="zuoxi1", display_name="李娜", role=Role.AGENT)
    UserFactory(username="dev1", display_name="周工", role=Role.DEPARTMENT_STAFF, department=tech)
    SmsTemplate.objects.create(
        code="feedback_update", name="反馈结果", body="{name}您好，您反馈的“{title}”：{result}。"
    )
    customers = [
        Customer.objects.create(name=name, mobile=f"+86138001380{i:02d}", owner=agent)
        for i, name in enumerate(["张伟", "王芳", "刘洋"])
    ]

    def person(username):
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, username)
        page.wait_for_url(re.compile(r"/$"))
        return page

    desk = person("zuoxi1")
    titles = ["登录时闪退", "点击登录就闪退", "App登录闪退"]
    for customer, title in zip(customers, titles, strict=True):
        desk.goto(f"/customers/{customer.pk}/")
        desk.get_by_test_id("feedback-from-customer").click()
        desk.get_by_label("反馈渠道").select_option(value="phone")
        desk.get_by_label("严重程度").select_option(value="high")
        desk.get_by_label("标题").fill(title)
        desk.get_by_label("复现步骤").fill("输入验证码后点击登录")
        desk.get_by_label("设备").fill("华为 Mate 60")
        desk.get_by_role("button", name="登记反馈").click()
        desk.wait_for_url(re.compile(r"/feedback/reports/\d+/$"))
        if title == titles[0]:
            desk.get_by_test_id("new-problem").click()
        else:
            problem = Problem.objects.get()
            desk.get_by_test_id(f"group-into-{problem.pk}").click()
        desk.wait_for_url(re.compile(r"/feedback/problems/\d+/$"))
    problem = Problem.objects.get()
    assert FeedbackReport.objects.filter(problem=problem).count() == 3
    desk.goto("/feedback/")
    assert desk.get_by_test_id(f"affected-{problem.pk}").inner_text() == "3"

    developer = person("dev1")
    developer.goto(f"/feedback/problems/{problem.pk}/")
    developer.get_by_label("修复版本").fill("2.3.1")
    developer.get_by_test_id("fix").click()
    developer.wait_for_load_state()
    assert developer.get_by_test_id("problem-state").inner_text() == "已修复"
    problem.refresh_from_db()
    assert problem.state == ProblemState.FIXED
    assert ReporterNotice.objects.filter(state="fixed").count() == 3
    assert sorted(SmsMessage.objects.values_list("to", flat=True)) == [
        "+8613800138000",
        "+8613800138001",
        "+8613800138002",
    ]
    for customer in customers:
        assert (
            TimelineEntry.objects.filter(customer_id=customer.pk, kind="feedback.told").count() == 1
        )
    # Closing it again is refused: the buttons are gone.
    developer.reload()
    assert developer.get_by_test_id("fix").count() == 0


def test_a_visitor_reports_a_bug_through_the_widget_and_the_desk_sees_it(browser):
    from kefu.conversations.models import Inbox
    from tests.e2e.asgi_server import running_kefu, third_party_page
    from tests.e2e.test_widget_journeys import shop_page, wait_for

    UserFactory(username="zuoxi1", display_name="李娜", role=Role.AGENT)
    with running_kefu() as kefu_url:
        inbox = Inbox.objects.create(name="小店在线客服", allowed_origins=[])
        with third_party_page(shop_page(kefu_url, inbox.public_key)) as page_url:
            inbox.allowed_origins = [page_url]
            inbox.save()
            context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 780})
            page = context.new_page()
            page.set_default_timeout(10_000)
            page.on("dialog", lambda dialog: pytest.fail(f"a script ran: {dialog.message}"))
            page.goto(page_url)
            page.get_by_role("button", name="在线客服").click()
            # nobody is on duty: the message form shows once the widget is connected
            expect(page.get_by_text("客服暂时不在线，请留言")).to_be_visible()
            page.get_by_role("button", name="反馈问题").click()
            expect(page.get_by_text("客服暂时不在线，请留言")).to_be_hidden()
            page.locator("#kefu-fb-name").fill("<b>李雷</b>")
            page.locator("#kefu-fb-contact").fill("13800138000")
            page.locator("#kefu-fb-kind").select_option("bug")
            page.locator("#kefu-fb-title").fill("")
            page.locator("#kefu-fb-steps").fill("打开<script>alert(1)</script>后闪退")
            page.get_by_role("button", name="提交反馈").click()
            expect(page.locator("#kefu-feedback [role=alert]")).not_to_be_empty()
            assert FeedbackReport.objects.count() == 0
            page.locator("#kefu-fb-title").fill("充值页面白屏")
            page.locator("#kefu-fb-version").fill("3.2.1")
            page.get_by_role("button", name="提交反馈").click()
            report = wait_for(lambda: FeedbackReport.objects.first())
            expect(
                page.get_by_text(f"反馈已收到（编号 {report.pk}），处理结果会通知您。")
            ).to_be_visible()
            assert (report.channel, report.title, report.app_version, report.customer.name) == (
                "widget",
                "充值页面白屏",
                "3.2.1",
                "<b>李雷</b>",
            )
            page.get_by_role("button", name="返回聊天").click()
            expect(page.get_by_text("客服暂时不在线，请留言")).to_be_visible()
            context.close()

            desk_context = browser.new_context(base_url=kefu_url, locale="zh-CN")
            desk = desk_context.new_page()
            desk.set_default_timeout(10_000)
            desk.on("dialog", lambda dialog: pytest.fail(f"a script ran: {dialog.message}"))
            sign_in(desk, "zuoxi1")
            desk.wait_for_url(re.compile(r"/$"))
            desk.goto(f"/feedback/reports/{report.pk}/")
            expect(desk.locator("body")).to_contain_text("充值页面白屏")
            expect(desk.locator("body")).to_contain_text("打开<script>alert(1)</script>后闪退")
            desk_context.close()
