"""E-mail inboxes against real servers on loopback: the test IMAP4rev1 server (imap_server.py) and
aiosmtpd. Recorded mails are in mails/."""

from __future__ import annotations

import email
from email import policy

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from kefu.conversations.email.services import poll_inbox
from kefu.conversations.models import (
    Conversation,
    ConversationState,
    MailAttachment,
    MailDirection,
    MailRecord,
    MailSettings,
    Message,
    SenderKind,
)
from kefu.conversations.services.lifecycle import close_conversation
from kefu.conversations.services.messages import send_agent_message
from kefu.conversations.tests.conftest import PASSWORD, mail, make_agent
from kefu.core.models import TimelineEntry
from kefu.customers.models import ContactIdentity

# AUTH without TLS: it is loopback, and the point is that the client logs in.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def visitor_messages(conversation: Conversation) -> list[Message]:
    return list(conversation.messages.filter(sender=SenderKind.VISITOR).order_by("seq"))


def test_plain_mail_starts_a_conversation_of_the_customer_found_by_address(mail_inbox, imap):
    box, _port = imap
    box.deliver(mail("plain"))
    assert poll_inbox(mail_inbox) == 1
    conversation = Conversation.objects.get(inbox=mail_inbox)
    [message] = visitor_messages(conversation)
    assert message.body == "你好，我的订单 20261120 还没有发货，请帮忙查一下。"
    assert message.client_key == "<plain-0001@mail.example.cn>"
    assert conversation.customer.name == "李雷"
    assert ContactIdentity.objects.get(customer=conversation.customer).value == "li.lei@example.cn"
    record = MailRecord.objects.get(message=message)
    assert record.subject == "订单还没发货" and record.direction == MailDirection.IN
    assert box.unseen() == []  # marked \Seen after storing
    assert "LOGIN ***" in box.commands and "LOGOUT" in box.commands
    assert poll_inbox(mail_inbox) == 0


def test_the_same_mail_fetched_twice_is_stored_once(mail_inbox, imap):
    box, _port = imap
    box.deliver(mail("plain"))
    box.deliver(mail("plain"))  # delivered twice (a second UID)
    assert poll_inbox(mail_inbox) == 2
    box.mark_unseen()  # and fetched again, as after a crash before STORE \Seen
    assert poll_inbox(mail_inbox) == 2
    assert (
        Message.objects.filter(conversation__inbox=mail_inbox, sender=SenderKind.VISITOR).count()
        == 1
    )
    assert MailRecord.objects.filter(inbox=mail_inbox).count() == 1
    assert Conversation.objects.filter(inbox=mail_inbox).count() == 1


def test_html_mail_is_sanitised_and_remote_images_are_blocked(mail_inbox, imap):
    box, _port = imap
    box.deliver(mail("html"))
    poll_inbox(mail_inbox)
    [message] = visitor_messages(Conversation.objects.get(inbox=mail_inbox))
    assert "The kettle I bought leaks." in message.body
    assert "alert" not in message.body and "color:red" not in message.body
    html = MailRecord.objects.get(message=message).html
    assert "<b>leaks</b>" in html
    for banned in ("<script", "alert(", "onclick", "<style", "tracker.example.net", "javascript:"):
        assert banned not in html
    assert 'src="cid:photo1"' in html  # inline parts are not remote


def test_gbk_mail_is_decoded(mail_inbox, imap):
    box, _port = imap
    box.deliver(mail("gbk"))
    poll_inbox(mail_inbox)
    conversation = Conversation.objects.get(inbox=mail_inbox)
    [message] = visitor_messages(conversation)
    assert message.body == "您好，我想退货，商品有质量问题。镕"  # 镕 is GBK, outside GB2312
    assert MailRecord.objects.get(message=message).subject == "退货申请"
    assert conversation.customer.name == "张伟"


def test_attachments_are_kept_after_the_type_check_and_refused_ones_noted(mail_inbox, imap):
    box, _port = imap
    box.deliver(mail("attachment"))
    poll_inbox(mail_inbox)
    [message] = visitor_messages(Conversation.objects.get(inbox=mail_inbox))
    [kept] = MailAttachment.objects.filter(message=message)
    assert (kept.name, kept.content_type) == ("damage.png", "image/png")
    assert default_storage.exists(kept.file.name) and not kept.file.name.endswith("damage.png")
    assert kept.file.read().startswith(b"\x89PNG")
    assert "See the photo attached." in message.body
    assert "Attachment not kept: invoice.exe" in message.body
    assert MailRecord.objects.get(message=message).refused_attachments[0]["name"] == "invoice.exe"


def test_a_reply_threads_by_in_reply_to_also_into_a_closed_conversation(mail_inbox, imap):
    box, _port = imap
    box.deliver(mail("plain"))
    poll_inbox(mail_inbox)
    conversation = Conversation.objects.get(inbox=mail_inbox)
    supervisor = make_agent(role="supervisor")
    close_conversation(conversation=conversation, actor=supervisor)
    box.deliver(mail("reply"))
    poll_inbox(mail_inbox)
    assert Conversation.objects.filter(inbox=mail_inbox).count() == 1
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.WAITING
    assert [m.body for m in visitor_messages(conversation)][-1] == "补充一下：收货地址是上海。"


def test_an_unrelated_mail_of_the_same_sender_starts_its_own_conversation(mail_inbox, imap):
    box, _port = imap
    box.deliver(mail("plain"))
    box.deliver(
        mail("plain").replace(b"plain-0001@", b"plain-0002@").replace(b"In-Reply-To", b"X-Old")
    )
    poll_inbox(mail_inbox)
    conversations = list(Conversation.objects.filter(inbox=mail_inbox))
    assert len(conversations) == 2
    assert conversations[0].customer_id == conversations[1].customer_id


def test_a_ticket_number_in_the_subject_threads_to_the_ticket(mail_inbox, imap):
    from kefu.customers.services.profiles import create_customer
    from kefu.tickets.models import Ticket
    from kefu.tickets.states import TicketType

    customer = create_customer(actor=None, name="王芳", email="wang.fang@example.org")
    ticket = Ticket.objects.create(
        number="TS20261123-0001",
        type=TicketType.values[0],
        subject="Refund request",
        created_at=timezone.now(),
        customer=customer,
    )
    box, _port = imap
    box.deliver(mail("ticket_subject"))
    box.deliver(mail("ticket_subject_again"))
    poll_inbox(mail_inbox)
    conversation = Conversation.objects.get(inbox=mail_inbox)  # both mails: one conversation
    assert conversation.customer_id == customer.pk
    assert [m.body for m in visitor_messages(conversation)] == [
        "Thanks, I have sent the item back.",
        "The tracking number is SF1234567890.",
    ]
    entries = TimelineEntry.objects.filter(kind="tickets.customer_email", subject_id=ticket.pk)
    assert entries.count() == 2
    assert entries.first().data["conversation_id"] == conversation.pk


@pytest.mark.django_db(transaction=True)
def test_an_agents_reply_goes_out_by_smtp_and_the_answer_threads_back(mail_inbox, imap, smtp):
    box, _port = imap
    collector, _smtp_port = smtp
    box.deliver(mail("plain"))
    poll_inbox(mail_inbox)
    conversation = Conversation.objects.get(inbox=mail_inbox)
    agent = make_agent()
    Conversation.objects.filter(pk=conversation.pk).update(
        assignee=agent, state=ConversationState.OPEN
    )
    conversation.refresh_from_db()

    reply = send_agent_message(
        actor=agent,
        conversation=conversation,
        body="您好，已为您催促仓库，今天发出。",
        client_key="k1",
    )
    send_agent_message(
        actor=agent, conversation=conversation, body="note", client_key="k2", is_internal=True
    )
    assert collector.received.wait(10)
    assert len(collector.messages) == 1  # the internal note is never mailed
    mail_from, rcpt_tos, raw = collector.messages[0]
    sent = email.message_from_bytes(raw, policy=policy.default)
    assert mail_from == "kefu@shop.example" and rcpt_tos == ["Li.Lei@Example.cn"]
    assert sent["In-Reply-To"] == "<plain-0001@mail.example.cn>"
    assert "<plain-0001@mail.example.cn>" in sent["References"]
    assert sent["Subject"] == "Re: 订单还没发货"
    assert sent.get_content().strip() == "您好，已为您催促仓库，今天发出。"
    record = MailRecord.objects.get(message=reply, direction=MailDirection.OUT)
    assert record.mail_id == sent["Message-ID"]

    answer = (
        mail("plain")
        .replace(b"<plain-0001@mail.example.cn>", b"<answer-0001@mail.example.cn>")
        .replace(b"Subject:", b"In-Reply-To: " + sent["Message-ID"].encode() + b"\r\nSubject:")
    )
    box.deliver(answer)
    poll_inbox(mail_inbox)
    assert Conversation.objects.filter(inbox=mail_inbox).count() == 1
    assert conversation.messages.filter(sender=SenderKind.VISITOR).count() == 2


def test_a_wrong_password_stores_nothing_and_logs_no_password(mail_inbox, imap, caplog):
    from kefu.conversations.email.services import poll_all_inboxes

    box, _port = imap
    box.deliver(mail("plain"))
    config = MailSettings.objects.get(inbox=mail_inbox)
    config.set_password("wrong-pw-123")
    config.save()
    assert poll_all_inboxes() == 0
    assert not Message.objects.filter(conversation__inbox=mail_inbox).exists()
    assert "wrong-pw-123" not in caplog.text and PASSWORD not in caplog.text
    assert len(box.unseen()) == 1


def test_mail_from_the_inboxs_own_address_is_ignored_but_marked_seen(mail_inbox, imap):
    box, _port = imap
    box.deliver(mail("plain").replace(b"<Li.Lei@Example.cn>", b"<KEFU@shop.example>"))
    assert poll_inbox(mail_inbox) == 1
    assert not Conversation.objects.filter(inbox=mail_inbox).exists()
    assert box.unseen() == []
