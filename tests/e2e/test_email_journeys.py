"""An e-mail conversation in the workspace 会话: the agent reads the customer's mail (subject, sender,
the original formatting in a sandbox, the attachment downloaded, the refused one named), answers,
sees the reply fail when the mail server refuses it and resends it once the server accepts.
Served by uvicorn (pages and websockets); the SMTP server is aiosmtpd on loopback."""

import re

import pytest

from kefu.conversations.email.services import receive_mail
from kefu.conversations.models import ChannelKind, Conversation, MailSendState, MailSettings
from kefu.conversations.tests.conftest import (
    PASSWORD,
    USER,
    mail,
    make_agent,
    make_inbox,
    running_smtp,
)
from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]


def test_an_agent_reads_a_customers_email_and_resends_the_reply_the_server_refused(
    browser, asgi_live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    agent_user = make_agent(username="zuoxi1", display_name="李娜")
    with running_smtp() as (collector, smtp_port):
        inbox = make_inbox(name="售后邮箱", kind=ChannelKind.EMAIL, allowed_origins=[])
        config = MailSettings(
            inbox=inbox,
            address=USER,
            imap_host="127.0.0.1",
            imap_port=1,
            imap_ssl=False,
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            smtp_ssl=False,
            username=USER,
        )
        config.set_password(PASSWORD)
        config.save()
        receive_mail(inbox, mail("html"))
        receive_mail(
            inbox,
            mail("attachment").replace(
                b"Subject:", b"In-Reply-To: <html-0001@mail.example.com>\r\nSubject:"
            ),
        )
        conversation = Conversation.objects.get(inbox=inbox)
        assert conversation.assignee == agent_user  # routing: the only agent online

        context = browser.new_context(
            base_url=asgi_live_server,
            locale="en-US",
            timezone_id="Asia/Shanghai",
            viewport={"width": 1280, "height": 900},
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        remote = []
        page.on(
            "request",
            lambda request: (
                remote.append(request.url)
                if "localhost" not in request.url
                and not request.url.startswith(("data:", "about:", "cid:"))
                else None
            ),
        )  # cid: never leaves the browser
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        sign_in(page, "zuoxi1")
        page.wait_for_url(re.compile(r"/$"))
        page.goto(f"/conversations/?c={conversation.pk}")

        messages = page.get_by_test_id("messages")
        first, second = messages.locator(".kefu-msg-mail").all()
        assert first.get_by_test_id("mail-subject").inner_text() == "Broken kettle"
        assert "han@example.com" in first.get_by_test_id("mail-from").inner_text()
        first.get_by_text("The kettle I bought leaks.").wait_for()  # plain text first
        frame_element = first.locator("iframe")
        assert not frame_element.is_visible()
        first.get_by_test_id("mail-original").locator("summary").click()
        frame_element.wait_for(state="visible")
        frame = first.frame_locator("iframe")
        assert frame.locator("b").inner_text() == "leaks"
        assert frame.get_by_role("link", name="order").is_visible()

        assert second.get_by_test_id("mail-subject").inner_text() == "Photos of the damage"
        with page.expect_download() as download:
            second.get_by_test_id("mail-attachment").click()
        assert download.value.suggested_filename == "damage.png"
        assert "invoice.exe" in second.get_by_test_id("mail-refused").inner_text()
        screenshot(page, "workspace-email")

        # The server refuses the reply for good (5xx): the agent sees it at once, and resends.
        collector.refusals = ["554 5.7.1 Rejected as spam"]
        box = page.get_by_test_id("reply-box")
        box.fill("您好，漏水的水壶我们给您换新。")
        box.press("Enter")
        reply = messages.locator(
            ".kefu-msg-agent:not(.kefu-msg-pending)", has_text="漏水的水壶我们给您换新"
        )
        reply.locator('[data-mail-state="failed"], [data-testid="mail-state"]').first.wait_for()
        reply.get_by_test_id("resend").wait_for()
        assert "554 5.7.1 Rejected as spam" in reply.get_by_test_id("mail-failed").inner_text()
        messages.locator(
            ".kefu-msg-note", has_text="554 5.7.1 Rejected as spam"
        ).wait_for()  # the internal note, live
        screenshot(page, "workspace-email-failed")

        reply.get_by_test_id("resend").click()
        page.locator('.kefu-msg-agent[data-mail-state="sent"]').get_by_text(
            "漏水的水壶我们给您换新"
        ).wait_for()
        assert len(collector.messages) == 1
        assert remote == [] and dialogs == []  # nothing loaded from elsewhere, no script ran
        context.close()
    assert (
        conversation.mails.get(message__body="您好，漏水的水壶我们给您换新。").send_state
        == MailSendState.SENT
    )
