"""The workspace 会话 in the browser: an agent answers a visitor with a canned reply typed with `/`,
adds an internal note and transfers the chat; a second agent (second browser context) sees it
arrive live and closes it. Served by uvicorn (pages and websockets) on the test database."""

import re
import time

import pytest
from playwright.sync_api import expect

from kefu.accounts.models import AgentProfile, Presence
from kefu.conversations.models import Conversation, ConversationState, Message, SenderKind, Visitor
from kefu.conversations.services.widget import send_visitor_message
from kefu.conversations.tests.conftest import make_agent, make_inbox
from kefu.replies.models import CannedReply, ReplyCategory
from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_answers_with_a_canned_reply_notes_and_transfers_and_the_next_agent_closes(
    browser, asgi_live_server
):
    li = make_agent(username="zuoxi1", display_name="李娜")
    zhang = make_agent(username="zuoxi2", display_name="张伟", presence=Presence.OFFLINE)
    CannedReply.objects.create(
        shortcut="hy",
        title="欢迎语",
        category=ReplyCategory.OPENING,
        body="您好！欢迎光临本店😘 我是客服{agent_name}，很高兴为您服务，请问有什么可以帮助您吗？",
    )
    CannedReply.objects.create(
        shortcut="ax",
        title="买家遇到问题",
        category=ReplyCategory.COMFORT,
        body="您好！请不要着急！我们会帮您解决处理好的！",
    )
    inbox = make_inbox(name="官网在线客服", is_presales=True)
    visitor = Visitor.objects.create(inbox=inbox, name="王先生")
    send_visitor_message(
        visitor=visitor, conversation=None, body="你好，这款台灯有现货吗？", client_key="v-1"
    )
    conversation = Conversation.objects.get()
    assert conversation.assignee == li  # routing: the only agent online
    AgentProfile.objects.filter(user=zhang).update(presence=Presence.ONLINE)  # back from a break

    def person(username):
        context = browser.new_context(
            base_url=asgi_live_server,
            locale="en-US",
            timezone_id="Asia/Shanghai",
            viewport={"width": 1280, "height": 800},
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("dialog", lambda dialog: dialog.accept())
        sign_in(page, username)
        page.wait_for_url(re.compile(r"/$"))
        return page

    agent = person("zuoxi1")
    agent.get_by_role("link", name="会话").click()
    agent.get_by_test_id(f"conversation-{conversation.pk}").click()
    agent.get_by_test_id("messages").get_by_text("你好，这款台灯有现货吗？").wait_for()
    assert agent.get_by_test_id("presales-checklist").is_visible()

    box = agent.get_by_test_id("reply-box")
    box.click()
    box.type("/h")
    menu = agent.get_by_test_id("canned-menu")
    menu.get_by_text("欢迎语").wait_for()
    assert "ax" not in menu.inner_text()  # filtered as typed
    box.press("Enter")  # inserts the reply, variables filled
    assert (
        box.input_value()
        == "您好！欢迎光临本店😘 我是客服李娜，很高兴为您服务，请问有什么可以帮助您吗？"
    )
    assert agent.locator('[data-step="welcome"]').is_checked()
    box.press("Enter")  # sends
    agent.locator(".kefu-msg-agent:not(.kefu-msg-pending)").get_by_text("我是客服李娜").wait_for()
    assert box.input_value() == ""

    agent.get_by_test_id("note-toggle").check()
    box.fill("客户问的是 A12 款，库存请仓库确认")
    box.press("Enter")
    agent.locator(".kefu-msg-note:not(.kefu-msg-pending)").get_by_text("库存请仓库确认").wait_for()
    box.fill("草稿：先别发")  # a draft survives a reload
    agent.reload()
    assert agent.get_by_test_id("reply-box").input_value() == "草稿：先别发"
    agent.get_by_test_id("reply-box").fill("")
    screenshot(agent, "workspace-agent")

    stored = list(
        Message.objects.filter(conversation=conversation)
        .order_by("seq")
        .values_list("sender", "is_internal", "body")
    )
    assert stored[1] == (
        SenderKind.AGENT,
        False,
        "您好！欢迎光临本店😘 我是客服李娜，很高兴为您服务，请问有什么可以帮助您吗？",
    )
    assert stored[2] == (SenderKind.AGENT, True, "客户问的是 A12 款，库存请仓库确认")

    second = person("zuoxi2")
    second.goto("/conversations/")
    second.get_by_test_id("list-empty").wait_for()

    agent.get_by_test_id("transfer-panel").locator("summary").click()
    agent.locator("#transfer-target").select_option(value=f"agent:{zhang.pk}")
    agent.locator("#transfer-note").fill("客户要开发票，请跟进")
    agent.get_by_test_id("transfer-panel").get_by_role("button", name="转接").click()
    expect(agent.get_by_test_id("handed-over-line")).to_have_text(
        f"会话 #{conversation.pk} 已转接给 张伟。"
    )

    arrived = second.get_by_test_id(f"conversation-{conversation.pk}")
    arrived.wait_for()  # live: no reload
    arrived.click()
    second.get_by_test_id("messages").get_by_text("客户要开发票，请跟进").wait_for()
    screenshot(second, "workspace-second-agent")
    second.get_by_test_id("close-chat").click()
    second.get_by_test_id("chat-closed").wait_for()
    conversation.refresh_from_db()
    assert (conversation.state, conversation.assignee_id, conversation.closed_by_id) == (
        ConversationState.CLOSED,
        zhang.pk,
        zhang.pk,
    )
    second.context.close()
    agent.context.close()


def test_a_shop_visitor_is_answered_from_the_workspace_transferred_and_rates_the_chat(
    browser, transactional_db
):
    """Issue 5's journey end to end: a visitor on a third-party page chats through the widget, an
    agent answers with a canned reply, transfers, the second agent answers, the visitor rates."""
    from playwright.sync_api import expect

    from kefu.accounts.models import User
    from kefu.conversations.models import Inbox
    from tests.e2e.asgi_server import running_kefu, third_party_page
    from tests.e2e.test_widget_journeys import bubbles, shop_page

    make_agent(username="zuoxi1", display_name="李娜")
    make_agent(username="zuoxi2", display_name="张伟", presence=Presence.OFFLINE)
    CannedReply.objects.create(
        shortcut="hy",
        title="欢迎语",
        category=ReplyCategory.OPENING,
        body="您好！欢迎光临本店😘 我是客服{agent_name}，很高兴为您服务，请问有什么可以帮助您吗？",
    )
    with running_kefu() as kefu_url:
        inbox = Inbox.objects.create(name="小店在线客服", allowed_origins=[])
        with third_party_page(shop_page(kefu_url, inbox.public_key)) as shop_url:
            inbox.allowed_origins = [shop_url]
            inbox.save()

            def context_page(**options):
                context = browser.new_context(
                    locale="zh-CN",
                    timezone_id="Asia/Shanghai",
                    viewport={"width": 1280, "height": 800},
                    **options,
                )
                page = context.new_page()
                page.set_default_timeout(10_000)
                return page

            visitor = context_page()
            visitor.on("dialog", lambda dialog: pytest.fail(f"a script ran: {dialog.message}"))
            visitor.goto(shop_url)
            visitor.get_by_role("button", name="在线客服").click()
            box = visitor.get_by_label("请输入消息，Enter 发送")
            box.fill("你好，发票怎么开？")
            box.press("Enter")
            expect(
                visitor.get_by_role("status").filter(has_text="客服 李娜 为您服务")
            ).to_be_visible()
            conversation = Conversation.objects.get()
            AgentProfile.objects.filter(user__username="zuoxi2").update(presence=Presence.ONLINE)

            def agent_page(username):
                page = context_page(base_url=kefu_url)
                page.on("dialog", lambda dialog: dialog.accept())
                sign_in(page, username)
                page.wait_for_url(re.compile(r"/$"))
                page.goto("/conversations/")
                return page

            li = agent_page("zuoxi1")
            li.get_by_test_id(f"conversation-{conversation.pk}").click()
            li.get_by_test_id("messages").get_by_text("你好，发票怎么开？").wait_for()
            reply = li.get_by_test_id("reply-box")
            reply.click()
            reply.type("/hy")
            li.get_by_test_id("canned-menu").get_by_text("欢迎语").wait_for()
            reply.press("Enter")
            reply.press("Enter")
            expect(bubbles(visitor, "我是客服李娜")).to_have_count(1)

            li.get_by_test_id("transfer-panel").locator("summary").click()
            zhang = User.objects.get(username="zuoxi2")
            li.locator("#transfer-target").select_option(value=f"agent:{zhang.pk}")
            li.locator("#transfer-note").fill("客户要开增值税发票")
            li.get_by_test_id("transfer-panel").get_by_role("button", name="转接").click()
            # the chat pane keeps the line (a toast with the same words may show beside it)
            expect(li.get_by_test_id("handed-over-line")).to_have_text(
                f"会话 #{conversation.pk} 已转接给 张伟。"
            )

            second = agent_page("zuoxi2")
            second.get_by_test_id(f"conversation-{conversation.pk}").click()
            second.get_by_test_id("messages").get_by_text(
                "客户要开增值税发票"
            ).wait_for()  # the internal note
            second.get_by_test_id("reply-box").fill("您好，增值税发票已开好，请查收邮箱")
            second.get_by_test_id("reply-box").press("Enter")
            expect(bubbles(visitor, "增值税发票已开好")).to_have_count(1)
            expect(bubbles(visitor, "客户要开增值税发票")).to_have_count(
                0
            )  # internal notes never reach the visitor

            visitor.get_by_role("button", name="结束会话").click()
            visitor.get_by_role("button", name="5 星").click()
            expect(visitor.get_by_text("感谢您的评价！")).to_be_visible()
            screenshot(second, "journey-second-agent")
            conversation.refresh_from_db()
            assert (conversation.state, conversation.rating, conversation.assignee.username) == (
                "closed",
                5,
                "zuoxi2",
            )
            for page in (visitor, li, second):
                page.context.close()


def test_slash_ranks_replies_by_what_was_typed_and_the_chat_ticks_are_kept_and_a_transfer_leaves_its_line(
    browser, asgi_live_server
):
    """`/` + Enter inserts what was asked for (not the first reply of the list), the pre-sales flow's
    next step first in a pre-sales chat; each tick is stored with the chat (not in the browser);
    after a transfer the sending agent's page says where the chat went and fetches nothing missing."""
    from kefu.conversations.models import PresalesTick

    li = make_agent(username="zuoxi1", display_name="李娜")
    zhang = make_agent(username="zuoxi2", display_name="张伟", presence=Presence.OFFLINE)
    for shortcut, category, title, body in [
        (
            "bq",
            ReplyCategory.APOLOGY,
            "中差评（买家在线）",
            "您好！刚看过您的评价，真的很抱歉，退款我们会尽快处理！",
        ),
        ("hy", ReplyCategory.OPENING, "欢迎语", "您好！欢迎光临本店😘 我是客服{agent_name}"),
        ("tk", ReplyCategory.LOGISTICS, "退款进度", "您的退款已经提交，预计1-3个工作日原路退回。"),
        ("hd", ReplyCategory.PRESALES, "活动告知", "亲，本店正在做活动，现在下单更优惠哦！"),
    ]:
        CannedReply.objects.create(shortcut=shortcut, category=category, title=title, body=body)
    inbox = make_inbox(name="官网在线客服", is_presales=True)
    visitor = Visitor.objects.create(inbox=inbox, name="王先生")
    send_visitor_message(visitor=visitor, conversation=None, body="在吗？", client_key="v-1")
    conversation = Conversation.objects.get()
    assert conversation.assignee == li

    context = browser.new_context(
        base_url=asgi_live_server,
        locale="en-US",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 800},
    )
    agent = context.new_page()
    agent.set_default_timeout(10_000)
    missing = []
    agent.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    sign_in(agent, "zuoxi1")
    agent.wait_for_url(re.compile(r"/$"))
    agent.goto(f"/conversations/?c={conversation.pk}")
    agent.get_by_test_id("messages").get_by_text("在吗？").wait_for()
    assert agent.get_by_test_id("chat-title").inner_text().split() == [
        "王先生",
        "会话",
        f"#{conversation.pk}",
    ]

    box = agent.get_by_test_id("reply-box")
    menu = agent.get_by_test_id("canned-menu")
    box.click()
    box.type("/")
    menu.locator("button").first.wait_for()
    assert menu.locator("button").first.inner_text().startswith("/hy")  # the flow's next step
    box.type("退款")
    menu.get_by_text("退款进度").wait_for()
    assert menu.locator("button").first.inner_text().startswith("/tk")  # a title beats a text
    box.press("Enter")
    assert box.input_value() == "您的退款已经提交，预计1-3个工作日原路退回。"
    box.fill("")
    box.type("/hy")
    menu.get_by_text("欢迎语").wait_for()
    box.press("Enter")
    assert box.input_value() == "您好！欢迎光临本店😘 我是客服李娜"
    assert agent.locator('[data-step="welcome"]').is_checked()
    agent.locator('[data-step="promotion"]').check()
    deadline = time.monotonic() + 10
    while PresalesTick.objects.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sorted(PresalesTick.objects.values_list("step", flat=True)) == ["promotion", "welcome"]
    box.fill("")
    agent.evaluate("() => localStorage.clear()")  # the ticks live on the server
    agent.reload()
    assert agent.locator('[data-step="welcome"]').is_checked()
    assert agent.locator('[data-step="promotion"]').is_checked()
    assert not agent.locator('[data-step="product"]').is_checked()

    AgentProfile.objects.filter(user=zhang).update(presence=Presence.ONLINE)
    agent.reload()
    agent.get_by_test_id("transfer-panel").locator("summary").click()
    agent.locator("#transfer-target").select_option(value=f"agent:{zhang.pk}")
    agent.get_by_test_id("transfer-panel").get_by_role("button", name="转接").click()
    line = agent.get_by_test_id("handed-over-line")
    line.wait_for()
    assert line.inner_text() == f"会话 #{conversation.pk} 已转接给 张伟。"
    time.sleep(1.5)  # the socket's push of the transfer arrives too: nothing is fetched for it
    assert line.is_visible()
    assert [url for url in missing if "/conversations/" in url] == []
    conversation.refresh_from_db()
    assert conversation.assignee == zhang
    context.close()
