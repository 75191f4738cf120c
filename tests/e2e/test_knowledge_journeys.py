"""The knowledge base in the browser: an agent answers a chat quoting the article the assist panel
suggests (the pick is recorded), and a visitor on the shop's site is helped by self-service before a
person is reached (deflection counted); an angry message on the way reaches the supervisor."""

import re

import pytest
from playwright.sync_api import expect

from kefu.accounts.models import Presence
from kefu.accounts.roles import Role
from kefu.conversations.models import (
    Conversation,
    ConversationState,
    Inbox,
    Message,
    SenderKind,
    Visitor,
)
from kefu.conversations.services.widget import send_visitor_message
from kefu.conversations.tests.conftest import make_agent, make_conversation, make_inbox
from kefu.knowledge import services
from kefu.knowledge.models import AssistPick, Category, Outcome, SelfServiceQuery
from kefu.notifications.models import Notification
from tests.e2e.asgi_server import running_kefu, third_party_page
from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in
from tests.e2e.test_widget_journeys import new_page, shop_page, wait_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def publish(*, title: str, body: str, visibility: str = "internal"):
    writer = make_agent(role=Role.SUPERVISOR, presence=Presence.OFFLINE)
    reviewer = make_agent(role=Role.MANAGER, presence=Presence.OFFLINE)
    category, _ = Category.objects.get_or_create(name="常见问题")
    article = services.save_article(
        actor=writer, title=title, body=body, category_id=category.pk, visibility=visibility
    )
    services.move_article(actor=writer, article_id=article.pk, move="submit")
    return services.move_article(actor=reviewer, article_id=article.pk, move="publish")


def test_an_agent_quotes_the_suggested_article_into_the_reply(browser, asgi_live_server):
    article = publish(
        title="吸顶灯不亮怎么办",
        body="请先确认开关和电源正常；仍不亮请拍照给我们，免费寄送新的驱动电源。",
    )
    publish(title="发票怎么开", body="下单时填写抬头，电子发票随货发送。")
    li = make_agent(username="zuoxi1", display_name="李娜")
    inbox = make_inbox(name="官网在线客服")
    visitor = Visitor.objects.create(inbox=inbox, name="王先生")
    send_visitor_message(
        visitor=visitor, conversation=None, body="我买的吸顶灯装好后不亮", client_key="v-1"
    )
    conversation = Conversation.objects.get()
    assert conversation.assignee == li

    context = browser.new_context(
        base_url=asgi_live_server, locale="zh-CN", viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, "zuoxi1")
    page.wait_for_url(re.compile(r"/$"))
    page.get_by_role("link", name="会话").click()
    page.get_by_test_id(f"conversation-{conversation.pk}").click()
    panel = page.get_by_test_id("assist-panel")
    suggestion = panel.get_by_test_id("suggested-article").filter(has_text="吸顶灯不亮怎么办")
    # The panel loads after the chat by a request of its own; this journey failed once on a loaded CI.
    expect(suggestion).to_be_visible(timeout=30_000)
    screenshot(page, "knowledge-assist")
    box = page.get_by_test_id("reply-box")
    box.fill("您好，")
    suggestion.get_by_role("button", name="引用").click()
    expect(suggestion.get_by_text("已引用到回复框。")).to_be_visible()
    assert box.input_value() == f"您好，\n{article.body}"
    box.press("Enter")
    wait_for(
        lambda: Message.objects.filter(
            conversation=conversation, sender=SenderKind.AGENT, body__contains="驱动电源"
        ).exists()
    )
    pick = AssistPick.objects.get()
    assert (pick.article_id, pick.source_id, pick.agent_id) == (article.pk, conversation.pk, li.pk)

    invoice = panel.get_by_test_id("suggested-article").filter(has_text="发票怎么开")
    expect(invoice).to_have_count(0)
    send_visitor_message(
        visitor=visitor, conversation=conversation, body="发票怎么开？", client_key="v-2"
    )
    # the panel looked again when the customer wrote (a push, then a second after it, a search)
    expect(invoice).to_be_visible(timeout=20_000)
    context.close()


def test_a_visitor_is_helped_by_self_service_and_an_angry_one_reaches_the_supervisor(browser):
    answer = publish(
        title="什么时候发货",
        body="下午4点前付款当天发货，之后次日发货。<script>alert(1)</script>",
        visibility="public",
    )
    publish(title="仓库内部说明", body="发货仓库在宁波，内部资料。")
    busy = make_agent(username="zuoxi1", display_name="李娜", max_chats=1)
    serving = make_conversation()  # on duty, but full: a new chat waits in the queue
    Conversation.objects.filter(pk=serving.pk).update(assignee=busy, state=ConversationState.OPEN)
    supervisor = UserFactory(role=Role.SUPERVISOR)
    with running_kefu() as kefu_url:
        inbox = Inbox.objects.create(name="小店在线客服", allowed_origins=[])
        with third_party_page(shop_page(kefu_url, inbox.public_key)) as page_url:
            inbox.allowed_origins = [page_url]
            inbox.save()
            context, page = new_page(browser)
            page.goto(page_url)
            page.get_by_role("button", name="在线客服").click()
            box = page.get_by_label("请输入消息，Enter 发送")
            box.fill("请问什么时候发货？")
            box.press("Enter")
            helper = page.locator('[data-kefu="self-help"]')
            expect(helper).to_be_visible()
            expect(helper.get_by_role("heading", name="什么时候发货")).to_be_visible()
            expect(helper).to_contain_text("<script>alert(1)</script>")  # text, never run
            expect(helper).not_to_contain_text("宁波")  # internal articles stay inside
            screenshot(page, "knowledge-self-service")
            helper.get_by_role("button", name="这解决了我的问题").click()
            expect(page.get_by_text("很高兴帮到您！")).to_be_visible()
            query = wait_for(
                lambda: SelfServiceQuery.objects.filter(outcome=Outcome.SOLVED).first()
            )
            assert (query.question, query.solved_article_id) == ("请问什么时候发货？", answer.pk)
            wait_for(
                lambda: Conversation.objects.filter(
                    inbox=inbox, state=ConversationState.CLOSED
                ).exists()
            )

            # A new question nothing answers, then anger: the supervisor hears of it at once.
            # (a new message after the end starts a new chat)
            box.fill("你们这什么破灯，再不处理我就打12315投诉！")
            box.press("Enter")
            notice = wait_for(
                lambda: Notification.objects.filter(
                    recipient=supervisor, kind="knowledge.message_flagged"
                ).first()
            )
            assert "12315" in notice.title
            context.close()
