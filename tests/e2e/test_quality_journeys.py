"""Quality inspection in the browser (issue 14, items 2 and 3; then rosters and performance sheets): a chat with a forbidden word is
flagged when it closes and sampled; the inspector reviews it on the review screen (the word
highlighted), the agent appeals, the supervisor changes the score. Three people, three contexts.
The month's sheets are generated, adjusted and approved (a manager, locked)."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from kefu.accounts.roles import Role
from kefu.quality.models import (
    PerformanceSheet,
    PerformanceState,
    Review,
    ReviewState,
    RosterEntry,
)
from kefu.quality.services.roster import week_start
from kefu.quality.tests.conftest import old_agent, served_chat
from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_forbidden_word_is_flagged_reviewed_appealed_and_decided(browser, live_server):
    agent = old_agent(username="zuoxi1", display_name="李娜")
    UserFactory(username="zhijian", display_name="周质检", role=Role.INSPECTOR)
    UserFactory(username="zhuguan", display_name="陈主管", role=Role.SUPERVISOR)
    conversation, _made = served_chat(
        agent,
        [
            ("visitor", "这个怎么用"),
            ("agent", "您好，你自己看说明书"),
            ("agent", "感谢您的咨询，再见"),
        ],
    )
    inspection = conversation.inspection
    assert inspection.severe and inspection.review.reason == "severe"

    def person(username):
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, username)
        page.wait_for_url(re.compile(r"/$"))
        return page

    inspector = person("zhijian")
    inspector.goto("/quality/reviews/")
    inspector.get_by_role("link", name=f"#{conversation.pk}").click()
    inspector.wait_for_url(re.compile(r"/quality/checks/\d+/$"))
    assert inspector.get_by_test_id("mark").first.inner_text() == "你自己看"
    inspector.get_by_label("服务禁语").fill("0")
    inspector.get_by_label("评语").fill("使用服务禁语")
    inspector.get_by_test_id("save-review").click()
    inspector.wait_for_load_state()
    assert inspector.get_by_test_id("review-score").inner_text() == "80"
    screenshot(inspector, "quality-reviewed")

    agent_page = person("zuoxi1")
    main_nav = agent_page.get_by_test_id("main-nav")
    main_nav.get_by_role("button", name="质检与绩效").click()
    main_nav.get_by_role("link", name="我的质检").click()
    agent_page.get_by_role("link", name=f"#{conversation.pk}").click()
    agent_page.get_by_label(re.compile("^申诉")).fill("客户先辱骂，我在解释")
    agent_page.get_by_test_id("appeal").click()
    agent_page.wait_for_load_state()
    assert "客户先辱骂" in agent_page.get_by_test_id("appeal-reason").inner_text()

    supervisor = person("zhuguan")
    supervisor.goto(f"/quality/checks/{inspection.pk}/")
    supervisor.get_by_label("裁决理由").fill("情有可原")
    supervisor.get_by_label("新分数").fill("90")
    supervisor.get_by_test_id("change").click()
    supervisor.wait_for_load_state()
    assert supervisor.get_by_test_id("final-score").inner_text() == "90"
    review = Review.objects.get(inspection=inspection)
    assert (review.state, review.final_score) == (ReviewState.DECIDED, 90)


def _person(browser, live_server, username):
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, username)
    page.wait_for_url(re.compile(r"/$"))
    return page


def _manager(browser, live_server, username):
    """A manager signed in: the first sign-in enrols the second factor (TOTP) on the way."""
    import base64

    from django_otp.oath import TOTP

    boss = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    ).new_page()
    boss.set_default_timeout(10_000)
    sign_in(boss, username)
    boss.wait_for_url(re.compile(r"/accounts/two-factor/"))
    secret = boss.get_by_test_id("totp-secret").inner_text()
    boss.get_by_label("6位验证码").fill(f"{TOTP(base64.b32decode(secret)).token():06d}")
    boss.get_by_role("button", name="验证").click()
    boss.wait_for_url(re.compile(r"/accounts/recovery-codes/"))
    boss.get_by_role("link", name="我已保存").click()
    boss.wait_for_url(re.compile(r"/$"))
    return boss


def test_a_supervisor_builds_next_weeks_roster_and_the_agent_sees_their_shifts(
    browser, live_server
):
    agent = UserFactory(username="zuoxi2", display_name="王芳", role=Role.AGENT)
    UserFactory(username="zhuguan2", display_name="陈主管", role=Role.SUPERVISOR)
    next_monday = week_start(timezone.localdate()) + dt.timedelta(days=7)
    next_tuesday = next_monday + dt.timedelta(days=1)

    supervisor = _person(browser, live_server, "zhuguan2")
    supervisor.goto("/quality/roster/")
    supervisor.get_by_test_id("roster-next").click()
    supervisor.wait_for_url(re.compile(rf"week={next_monday.isoformat()}"))
    supervisor.get_by_test_id(f"cell-{agent.pk}-{next_monday:%Y%m%d}").select_option(label="早班")
    supervisor.get_by_test_id(f"cell-{agent.pk}-{next_tuesday:%Y%m%d}").select_option(label="晚班")
    supervisor.get_by_test_id("roster-save").click()
    supervisor.wait_for_load_state()
    assert supervisor.get_by_test_id(f"cell-{agent.pk}-{next_monday:%Y%m%d}").input_value() != ""
    screenshot(supervisor, "quality-roster")
    assert RosterEntry.objects.filter(agent=agent).count() == 2

    agent_page = _person(browser, live_server, "zuoxi2")
    agent_page.goto("/quality/roster/mine/")
    assert "早班" in agent_page.get_by_test_id(f"my-shift-{next_monday:%Y%m%d}").inner_text()
    assert "晚班" in agent_page.get_by_test_id(f"my-shift-{next_tuesday:%Y%m%d}").inner_text()
    screenshot(agent_page, "quality-my-shifts")


def test_a_monthly_performance_sheet_is_signed_adjusted_approved_and_acknowledged(
    browser, live_server
):
    """Issue 14 item 9: the month's performance sheets are generated from the facts, the
    supervisor signs one, a manager adjusts its score with a reason and approves it (locked), the
    agent reads the final score and acknowledges."""
    from kefu.quality.tests.test_performance import closed_ticket

    agent = UserFactory(username="zuoxi3", display_name="赵强", role=Role.AGENT)
    UserFactory(username="zhuguan3", display_name="陈主管", role=Role.SUPERVISOR)
    UserFactory(username="jingli3", display_name="周经理", role=Role.MANAGER)
    closed_ticket(agent)
    month = timezone.localdate().strftime("%Y-%m")

    supervisor = _person(browser, live_server, "zhuguan3")
    supervisor.goto(f"/quality/performance/?month={month}")
    supervisor.get_by_test_id("performance-generate").click()
    supervisor.wait_for_load_state()
    sheet = PerformanceSheet.objects.get(agent=agent)
    supervisor.get_by_test_id(f"performance-{sheet.pk}").get_by_role("link", name="赵强").click()
    supervisor.wait_for_url(re.compile(rf"/quality/performance/{sheet.pk}/$"))
    supervisor.locator("input[name=comment]").fill("本月表现稳定")
    supervisor.get_by_test_id("performance-sign").click()
    supervisor.wait_for_load_state()
    assert supervisor.get_by_test_id("performance-sign").count() == 0
    assert supervisor.get_by_test_id("performance-approve").count() == 0  # not theirs to approve
    screenshot(supervisor, "quality-performance-signed")

    boss = _manager(browser, live_server, "jingli3")
    boss.goto(f"/quality/performance/{sheet.pk}/")
    boss.get_by_test_id("performance-adjust-points").fill("-3")
    boss.get_by_test_id("performance-adjust-reason").fill("客户投诉成立一次")
    boss.get_by_test_id("performance-adjust").click()
    boss.wait_for_load_state()
    sheet.refresh_from_db()
    assert boss.get_by_test_id("performance-adjustment").inner_text() == "-3"
    assert boss.get_by_test_id("performance-final-score").inner_text() == str(sheet.final_score)
    boss.get_by_test_id("performance-approve").click()
    boss.wait_for_load_state()
    assert "周经理" in boss.get_by_test_id("performance-approved").inner_text()
    assert boss.get_by_test_id("performance-adjust").count() == 0  # locked
    assert boss.get_by_test_id("performance-approve").count() == 0
    screenshot(boss, "quality-performance-approved")

    agent_page = _person(browser, live_server, "zuoxi3")
    agent_page.goto("/quality/performance/")
    agent_page.get_by_test_id(f"performance-{sheet.pk}").get_by_role("link", name="赵强").click()
    assert "本月表现稳定" in agent_page.content()
    assert "客户投诉成立一次" in agent_page.content()
    agent_page.get_by_test_id("performance-acknowledge").click()
    agent_page.wait_for_load_state()
    assert agent_page.get_by_test_id("performance-acknowledge").count() == 0
    sheet.refresh_from_db()
    assert sheet.state == PerformanceState.ACKNOWLEDGED
    assert sheet.adjustment == -3 and sheet.approved_at is not None


def test_a_chat_arriving_outside_an_agents_shift_goes_to_the_agent_on_shift(browser, live_server):
    """Issue 14 item 9: the supervisor rosters two online agents for today in the grid, one on a
    shift covering now and one on a later (or earlier) shift; a visitor's new chat goes to the one on
    shift, although routing would otherwise pick the other (first by id)."""
    from kefu.conversations.models import Conversation, Visitor
    from kefu.conversations.services.widget import send_visitor_message
    from kefu.conversations.tests.conftest import make_agent, make_inbox
    from kefu.quality.models import Shift

    off_shift = make_agent(username="zuoxi_off", display_name="赵敏")  # first by id
    on_shift = make_agent(username="zuoxi_on", display_name="孙丽")
    UserFactory(username="zhuguan3", display_name="陈主管", role=Role.SUPERVISOR)
    now = timezone.localtime()
    Shift.objects.create(name="全天班", start=dt.time(0, 0), end=dt.time(23, 59, 59))
    later = (dt.time(18, 0), dt.time(20, 0)) if now.hour < 12 else (dt.time(2, 0), dt.time(4, 0))
    Shift.objects.create(name="错开班", start=later[0], end=later[1])
    today = now.date()

    supervisor = _person(browser, live_server, "zhuguan3")
    supervisor.goto("/quality/roster/")
    supervisor.get_by_test_id(f"cell-{on_shift.pk}-{today:%Y%m%d}").select_option(label="全天班")
    supervisor.get_by_test_id(f"cell-{off_shift.pk}-{today:%Y%m%d}").select_option(label="错开班")
    supervisor.get_by_test_id("roster-save").click()
    supervisor.wait_for_load_state()
    on_duty = supervisor.get_by_test_id("on-duty").inner_text()
    assert "孙丽" in on_duty and "赵敏" not in on_duty
    assert RosterEntry.objects.filter(day=today).count() == 2

    inbox = make_inbox(name="官网在线客服")
    visitor = Visitor.objects.create(inbox=inbox, name="王先生")
    send_visitor_message(visitor=visitor, conversation=None, body="你好，在吗？", client_key="v-1")
    conversation = Conversation.objects.get()
    assert conversation.assignee == on_shift

    agent_page = _person(browser, live_server, "zuoxi_on")
    agent_page.goto("/conversations/")
    agent_page.get_by_test_id(f"conversation-{conversation.pk}").wait_for()
    other = _person(browser, live_server, "zuoxi_off")
    other.goto("/quality/roster/mine/")
    assert "您现在不在班" in other.get_by_test_id("my-duty").inner_text() or (
        "not on shift" in other.get_by_test_id("my-duty").inner_text()
    )
    screenshot(supervisor, "quality-roster-routing")


def test_the_months_reward_sheets_are_drafted_adjusted_submitted_and_approved(browser, live_server):
    """Issue 14 item 9: the month's reward/penalty sheets are drafted from the rules (a ticket
    closed after its time limit: -2 a ticket), the supervisor adjusts the line and submits, a
    manager approves, and the sheet is locked."""
    from kefu.quality.models import RewardPenaltySheet, SheetState
    from kefu.quality.tests.test_performance import closed_ticket

    agent = UserFactory(username="zuoxi4", display_name="钱敏", role=Role.AGENT)
    UserFactory(username="zhuguan4", display_name="陈主管", role=Role.SUPERVISOR)
    UserFactory(username="jingli4", display_name="周经理", role=Role.MANAGER)
    closed_ticket(agent, breached=True)
    closed_ticket(agent, breached=True)
    month = timezone.localdate().strftime("%Y-%m")

    supervisor = _person(browser, live_server, "zhuguan4")
    supervisor.goto(f"/quality/sheets/?month={month}")
    supervisor.get_by_test_id("draft-from-rules").click()
    supervisor.wait_for_load_state()
    sheet = RewardPenaltySheet.objects.get(agent=agent)
    supervisor.get_by_test_id(f"sheet-{sheet.pk}").get_by_role("link").click()
    supervisor.wait_for_url(re.compile(rf"/quality/sheets/{sheet.pk}/$"))
    assert supervisor.get_by_test_id("drafted-from-rules").inner_text() == "按规则起草"
    [item] = sheet.items.all()
    assert supervisor.get_by_test_id(f"item-{item.pk}-points").input_value() == "-4"
    assert supervisor.get_by_test_id("total").inner_text() == "-4"
    supervisor.get_by_test_id(f"item-{item.pk}-points").fill("-2")
    supervisor.get_by_test_id(f"item-{item.pk}-reason").fill("超时两张，其中一张系客户原因")
    supervisor.get_by_test_id(f"item-{item.pk}-save").click()
    supervisor.wait_for_load_state()
    assert supervisor.get_by_test_id("total").inner_text() == "-2"
    assert "规则给出 -4" in supervisor.get_by_test_id(f"item-{item.pk}-adjusted").inner_text()
    supervisor.get_by_test_id("submit").click()
    supervisor.wait_for_load_state()
    assert supervisor.get_by_test_id("sheet-state").inner_text() == "待审批"
    screenshot(supervisor, "quality-reward-sheet-submitted")

    boss = _manager(browser, live_server, "jingli4")
    boss.goto(f"/quality/sheets/{sheet.pk}/")
    assert "超时两张" in boss.get_by_test_id("items").inner_text()
    boss.get_by_test_id("approve").click()
    boss.wait_for_load_state()
    assert boss.get_by_test_id("sheet-state").inner_text() == "已审批"
    assert boss.get_by_test_id("item-form").count() == 0  # locked: no line can be added
    assert boss.get_by_test_id(f"item-{item.pk}-save").count() == 0
    screenshot(boss, "quality-reward-sheet-approved")
    sheet.refresh_from_db()
    assert sheet.state == SheetState.APPROVED and sheet.items.get().points == -2
