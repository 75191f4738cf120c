"""The widget when Redis goes down in scaled mode (issue 10.9): the visitor is told at once, in
Chinese, and offered the message form, which works through the outage; the chat comes back by
itself seconds after Redis does. The server's channel layer is a private redis-server that the
test stops and starts (tests/faults/redis_server.py), whatever mode the suite runs in."""

import pytest
from playwright.sync_api import expect

from kefu.accounts.models import Presence
from kefu.conversations.models import Conversation, Inbox, Message
from kefu.conversations.tests.conftest import make_agent
from kefu.tickets.models import Ticket
from tests.e2e.asgi_server import running_kefu, third_party_page
from tests.e2e.conftest import screenshot
from tests.e2e.test_widget_journeys import new_page, shop_page, wait_for
from tests.faults.redis_server import PrivateRedis

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_server(settings):
    server = PrivateRedis()
    server.start()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "kefu.realtime.layers.RedisPubSubLayer",
            "CONFIG": {"hosts": [server.url], "prefix": f"widget-outage-{server.port}:asgi"},
        }
    }
    yield server
    server.close()


def test_the_widget_offers_the_message_form_during_a_redis_outage_and_chats_again_after(
    browser, redis_server
):
    make_agent(display_name="王芳", presence=Presence.ONLINE)
    with running_kefu() as kefu_url:
        inbox = Inbox.objects.create(name="小店在线客服", allowed_origins=[])
        with third_party_page(shop_page(kefu_url, inbox.public_key)) as page_url:
            inbox.allowed_origins = [page_url]
            inbox.save()
            context, page = new_page(browser)
            page.goto(page_url)
            page.get_by_role("button", name="在线客服").click()
            box = page.get_by_label("请输入消息，Enter 发送")
            box.fill("你好，在吗？")
            box.press("Enter")
            expect(page.get_by_role("status").filter(has_text="客服 王芳 为您服务")).to_be_visible()

            redis_server.stop()
            notice = "在线客服暂时无法连接，请留言，我们会尽快联系您。"
            expect(page.get_by_role("status").filter(has_text=notice)).to_be_visible(timeout=5000)
            expect(page.locator(".offline p").first).to_have_text(notice)
            expect(box).to_be_hidden()
            screenshot(page, "widget-redis-outage")
            page.get_by_label("您的称呼").fill("陈先生")
            page.get_by_label("手机号或邮箱").fill("13800138000")
            page.get_by_label("留言内容").fill("聊天断了，请回电")
            page.get_by_role("button", name="提交留言").click()
            expect(page.get_by_text("留言已收到")).to_be_visible()
            ticket = Ticket.objects.get()
            assert "聊天断了，请回电" in ticket.content

            redis_server.start()
            expect(box).to_be_visible(timeout=10_000)
            expect(page.get_by_role("status").filter(has_text="客服 王芳 为您服务")).to_be_visible()
            box.fill("又能聊了")
            box.press("Enter")
            conversation = Conversation.objects.get()
            wait_for(lambda: Message.objects.filter(conversation=conversation).count() == 2)
            context.close()
    assert list(
        Message.objects.filter(conversation=conversation).values_list("body", flat=True)
    ) == ["你好，在吗？", "又能聊了"]
