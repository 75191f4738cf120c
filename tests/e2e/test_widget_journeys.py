"""The chat widget on a customer's own site: a plain page served from another port loads
widget.js from kefu (running as ASGI, websockets included) with one script tag.

The agent answers through the conversation services (the agent workspace is another screen's
journey); everything the visitor does goes through the browser."""

import time

import pytest
from playwright.sync_api import expect

from kefu.accounts.models import Presence
from kefu.conversations.models import ChatImage, Conversation, Inbox, Message
from kefu.conversations.services.messages import send_agent_message
from kefu.conversations.tests.conftest import make_agent
from kefu.tickets.models import Channel, Ticket
from tests.e2e.asgi_server import running_kefu, third_party_page
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def shop_page(kefu_url: str, key: str) -> str:
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>小店</title>
<style>body{{font-family:serif;color:red}} button{{background:lime!important}}</style></head>
<body><h1>欢迎光临小店</h1><p>一家普通的网店。</p>
<script src="{kefu_url}/static/kefu/widget.js" data-inbox="{key}" async></script></body></html>"""


@pytest.fixture
def site():
    """(kefu URL, inbox, the shop page's URL) with the shop's origin allowed."""
    with running_kefu() as kefu_url:
        inbox = Inbox.objects.create(name="小店在线客服", allowed_origins=[])
        with third_party_page(shop_page(kefu_url, inbox.public_key)) as page_url:
            inbox.allowed_origins = [page_url]
            inbox.save()
            yield kefu_url, inbox, page_url


def new_page(browser, **context_options):
    context_options.setdefault("viewport", {"width": 1280, "height": 800})
    context = browser.new_context(locale="zh-CN", **context_options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: pytest.fail(f"a script ran: {dialog.message}"))
    return context, page


def wait_for(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def bubbles(page, text: str):
    return page.locator(".msg", has_text=text)


def test_a_visitor_chats_survives_a_reload_and_an_outage_and_rates_the_chat(browser, site):
    _kefu_url, inbox, page_url = site
    agent = make_agent(display_name="李娜", presence=Presence.ONLINE)
    context, page = new_page(browser)
    page.goto(page_url)

    # The page's own styles do not reach the widget, and it opens on one click.
    launcher = page.get_by_role("button", name="在线客服")
    launcher.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.get_by_role("heading", name="小店在线客服")).to_be_visible()
    expect(page.get_by_text("您好，欢迎咨询！请问有什么可以帮您？")).to_be_visible()
    assert launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(31, 111, 235)"

    box = page.get_by_label("请输入消息，Enter 发送")
    box.fill("你好，发票怎么开？")
    box.press("Enter")
    expect(page.get_by_role("status").filter(has_text="客服 李娜 为您服务")).to_be_visible()
    conversation = wait_for(lambda: Conversation.objects.filter(inbox=inbox).first())
    assert conversation.assignee_id == agent.pk

    # The agent answers (with markup that must stay text); the visitor sees it.
    send_agent_message(
        actor=agent,
        conversation=conversation,
        client_key="a1",
        body="您好，请提供订单号 <img src=x onerror=alert(1)>",
    )
    expect(bubbles(page, "您好，请提供订单号 <img src=x onerror=alert(1)>")).to_have_count(1)
    assert page.locator(".msg img").count() == 0

    # An image, checked and stored by kefu, shown from the permission-checked view.
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "订单截图.png", "mimeType": "image/png", "buffer": PNG}]
    )
    expect(page.locator(".msg.visitor img")).to_have_count(1)
    image = ChatImage.objects.get()
    assert image.conversation_id == conversation.pk

    # A reload keeps the visitor and the whole conversation.
    page.reload()
    page.get_by_role("button", name="在线客服").click()
    expect(page.get_by_role("heading", name="小店在线客服")).to_be_visible()
    expect(bubbles(page, "你好，发票怎么开？")).to_have_count(1)
    expect(bubbles(page, "您好，请提供订单号")).to_have_count(1)
    expect(page.locator(".msg.visitor img")).to_have_count(1)
    expect(page.get_by_role("status").filter(has_text="客服 李娜 为您服务")).to_be_visible()

    # Offline: the message waits in the browser, and arrives exactly once after reconnecting.
    context.set_offline(True)
    expect(page.get_by_role("status").filter(has_text="网络已断开")).to_be_visible()
    box = page.get_by_label("请输入消息，Enter 发送")
    box.fill("订单号 20261130001")
    box.press("Enter")
    expect(bubbles(page, "订单号 20261130001")).to_contain_text("未发送")
    time.sleep(1)
    assert not Message.objects.filter(body="订单号 20261130001").exists()
    context.set_offline(False)
    expect(bubbles(page, "订单号 20261130001")).not_to_contain_text("未发送", timeout=15_000)
    expect(page.get_by_role("status").filter(has_text="客服 李娜 为您服务")).to_be_visible()
    assert Message.objects.filter(body="订单号 20261130001").count() == 1
    expect(bubbles(page, "订单号 20261130001")).to_have_count(1)
    seqs = list(
        Message.objects.filter(conversation=conversation)
        .order_by("seq")
        .values_list("seq", flat=True)
    )
    assert seqs == list(range(1, len(seqs) + 1))
    assert (
        page.evaluate(
            "() => localStorage.getItem(Object.keys(localStorage).find(k => k.endsWith(':outbox')))"
        )
        == "[]"
    )

    # The agent types and answers; the visitor ends the chat and rates it.
    send_agent_message(
        actor=agent, conversation=conversation, client_key="a2", body="已为您开好发票"
    )
    expect(bubbles(page, "已为您开好发票")).to_have_count(1)
    page.get_by_role("button", name="结束会话").click()
    expect(page.get_by_role("status").filter(has_text="本次会话已结束")).to_be_visible()
    page.get_by_role("button", name="5 星：非常满意").click()  # the one scale's Chinese labels
    expect(page.get_by_text("感谢您的评价！")).to_be_visible()
    conversation.refresh_from_db()
    assert (conversation.state, conversation.rating, conversation.close_reason) == (
        "closed",
        5,
        "visitor",
    )
    screenshot(page, "widget-chat-rated")
    context.close()


def test_nobody_on_duty_the_offline_form_becomes_a_ticket(browser, site):
    _kefu_url, _inbox, page_url = site
    make_agent(display_name="下班的客服", presence=Presence.OFFLINE)
    context, page = new_page(browser)
    page.goto(page_url)
    page.get_by_role("button", name="在线客服").click()
    expect(page.get_by_text("客服暂时不在线，请留言")).to_be_visible()
    page.get_by_label("您的称呼").fill("<b>王先生</b>")
    page.get_by_label("手机号或邮箱").fill("明天再说")
    page.get_by_label("留言内容").fill("想咨询批量采购的价格")
    page.get_by_role("button", name="提交留言").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "明天再说"
    )  # the refusal names what was typed
    assert Ticket.objects.count() == 0
    page.get_by_label("手机号或邮箱").fill("13800138000")
    page.get_by_role("button", name="提交留言").click()
    ticket = wait_for(lambda: Ticket.objects.first())
    expect(
        page.get_by_text(f"留言已收到（编号 {ticket.number}），我们会尽快联系您。")
    ).to_be_visible()
    assert (ticket.channel, ticket.complainant, ticket.created_by.username) == (
        Channel.WEB_CHAT,
        "<b>王先生</b>",
        "kefu-widget",
    )
    assert ticket.content.startswith("想咨询批量采购的价格")
    assert Conversation.objects.count() == 0
    context.close()


def test_outside_its_teams_hours_the_widget_offers_the_message_form_and_names_the_hours(
    browser, site, monkeypatch
):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from tests.factories import TeamFactory

    _kefu_url, inbox, page_url = site
    aftersales = TeamFactory(name="售后组", work_start=dt.time(9, 0), work_end=dt.time(18, 0))
    make_agent(display_name="还在线的客服", presence=Presence.ONLINE, teams=[aftersales])
    inbox.team = aftersales
    inbox.save()
    evening = dt.datetime(2026, 12, 2, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday
    monkeypatch.setattr("kefu.conversations.selectors.business_now", lambda: evening)
    context, page = new_page(browser)
    page.goto(page_url)
    page.get_by_role("button", name="在线客服").click()
    expect(page.get_by_text("客服暂时不在线，请留言")).to_be_visible()
    expect(
        page.get_by_text("客服工作时间 09:00–18:00。留下联系方式，我们上班后会尽快联系您。")
    ).to_be_visible()
    page.get_by_label("您的称呼").fill("李女士")
    page.get_by_label("手机号或邮箱").fill("13900139000")
    page.get_by_label("留言内容").fill("明天上午请联系我退货")
    page.get_by_role("button", name="提交留言").click()
    ticket = wait_for(lambda: Ticket.objects.first())
    expect(page.get_by_text(f"留言已收到（编号 {ticket.number}）", exact=False)).to_be_visible()
    assert Conversation.objects.count() == 0
    context.close()


def test_the_widget_fills_a_phone_screen(browser, site):
    _kefu_url, _inbox, page_url = site
    make_agent(presence=Presence.ONLINE)
    context, page = new_page(
        browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page.goto(page_url)
    page.get_by_role("button", name="在线客服").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_text("您好，欢迎咨询！请问有什么可以帮您？")).to_be_visible()
    box = dialog.bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 390, 844)
    page.get_by_label("请输入消息，Enter 发送").fill("手机上也能聊")
    page.get_by_role("button", name="发送", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="为您服务")).to_be_visible()
    screenshot(page, "widget-phone")
    context.close()


def test_the_survey_after_a_chat_is_offered_in_the_widget_answered_and_counted(
    browser, site, settings
):
    """Issue 12.7, in the widget: the chat ends, the visitor sees the survey link (and again
    after a reload, until it is answered), opens it, answers, and the supervisor's results show
    the answer."""
    from kefu.accounts.roles import Role
    from kefu.conversations.services.handoff import link_customer
    from kefu.customers.models import Customer
    from kefu.visits.models import SurveyAnswer, SurveyChannel, SurveyTrigger
    from kefu.visits.services import surveys
    from tests.e2e.test_sign_in_journeys import sign_in
    from tests.factories import UserFactory

    kefu_url, inbox, page_url = site
    settings.KEFU_BASE_URL = kefu_url  # the link the widget shows points at this server
    supervisor = UserFactory(username="zhuguan1", display_name="陈主管", role=Role.SUPERVISOR)
    survey = surveys.create_survey(
        actor=supervisor,
        title="聊天满意度调查",
        questions="score: 您对本次服务满意吗？\ntext: 您的建议",
        trigger=SurveyTrigger.CONVERSATION,
        channel=SurveyChannel.WIDGET,
    )
    agent = make_agent(display_name="李娜", presence=Presence.ONLINE)
    context, page = new_page(browser)
    page.goto(page_url)
    page.get_by_role("button", name="在线客服").click()
    box = page.get_by_label("请输入消息，Enter 发送")
    box.fill("你好，发票开好了吗？")
    box.press("Enter")
    # generous waits: a loaded machine may take seconds to open the socket (nothing timed here)
    expect(page.get_by_role("status").filter(has_text="客服 李娜 为您服务")).to_be_visible(
        timeout=30_000
    )
    conversation = wait_for(lambda: Conversation.objects.filter(inbox=inbox).first())
    # the agent says who the visitor is (the survey goes to a customer)
    link_customer(
        actor=agent,
        conversation=conversation,
        customer=Customer.objects.create(name="黄伟", mobile="+8613800138000"),
    )
    send_agent_message(actor=agent, conversation=conversation, client_key="a1", body="已开好")
    expect(bubbles(page, "已开好")).to_have_count(1)

    page.get_by_role("button", name="结束会话").click()
    expect(page.get_by_role("status").filter(has_text="本次会话已结束")).to_be_visible()
    link = page.get_by_role("link", name="填写问卷")
    expect(link).to_be_visible(timeout=30_000)
    expect(page.get_by_text("欢迎参加满意度调查，帮助我们改进服务。")).to_be_visible()

    # Back later: the welcome offers it again while it is unanswered.
    page.reload()
    page.get_by_role("button", name="在线客服").click()
    expect(bubbles(page, "已开好")).to_have_count(1, timeout=30_000)
    link = page.get_by_role("link", name="填写问卷")
    expect(link).to_be_visible()
    assert link.get_attribute("href", timeout=5_000).startswith(f"{kefu_url}/survey/")

    with context.expect_page() as opened:
        link.click()
    form = opened.value
    form.wait_for_load_state()
    expect(form.get_by_test_id("survey-title")).to_have_text("聊天满意度调查")
    form.get_by_test_id("score-4").click()
    form.get_by_test_id("text-2").fill("回复很快，<b>谢谢</b>")
    form.get_by_test_id("submit-survey").click()
    expect(form.get_by_test_id("survey-thanks")).to_be_visible()
    answer = SurveyAnswer.objects.get()
    assert (answer.score, answer.invitation.agent_id) == (4, agent.pk)

    # Answered: the widget no longer offers it.
    page.reload()
    page.get_by_role("button", name="在线客服").click()
    expect(bubbles(page, "已开好")).to_have_count(1, timeout=30_000)
    expect(page.get_by_role("link", name="填写问卷")).to_have_count(0)
    screenshot(page, "widget-survey-answered")
    context.close()

    # The supervisor's results count it, under the agent, with the words as text.
    office = browser.new_context(
        base_url=kefu_url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    results = office.new_page()
    results.set_default_timeout(10_000)
    sign_in(results, "zhuguan1")
    results.wait_for_url(f"{kefu_url}/")
    results.goto(f"/visits/surveys/{survey.pk}/")
    expect(results.get_by_test_id("average")).to_have_text("4.00")
    expect(results.get_by_test_id("by-agent")).to_contain_text("李娜")
    answers = results.get_by_test_id("answers")
    expect(answers).to_contain_text("黄伟")
    expect(answers).to_contain_text("回复很快，<b>谢谢</b>")
    screenshot(results, "survey-results-widget-answer")
    office.close()
