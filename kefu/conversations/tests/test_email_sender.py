"""Anyone who knows a Message-ID (or a ticket number) can answer a thread. A mail whose sender is
none of the conversation's customer's addresses is kept, marked 未验证的发件人 for the agent, and
does nothing by itself: it never reopens a closed conversation and never writes on a ticket.
Received over the real IMAP poll (the test server on loopback), shown on the real page and API."""

import pytest
from django.test import Client
from django.utils import timezone

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.conversations.email.services import poll_inbox
from kefu.conversations.models import Conversation, ConversationState, MailRecord, SenderKind
from kefu.conversations.services.lifecycle import close_conversation
from kefu.conversations.tests.conftest import mail, make_agent
from kefu.core.models import TimelineEntry

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
HX = {"HTTP_HX_REQUEST": "true"}


def bodies(conversation) -> list[str]:
    return list(
        conversation.messages.filter(sender=SenderKind.VISITOR)
        .order_by("seq")
        .values_list("body", flat=True)
    )


def test_a_reply_from_a_stranger_is_kept_in_the_thread_but_marked_unverified(mail_inbox, imap):
    box, _port = imap
    box.deliver(mail("plain"))
    poll_inbox(mail_inbox)
    conversation = Conversation.objects.get(inbox=mail_inbox)
    box.deliver(mail("reply"))  # the customer's own address
    box.deliver(mail("forged_reply"))  # someone who knows the Message-ID
    poll_inbox(mail_inbox)
    assert bodies(conversation)[-2:] == [
        "补充一下：收货地址是上海。",
        "请把退款打到这个新账户：6222 0000 0000 0000。",
    ]
    verified = dict(
        MailRecord.objects.filter(conversation=conversation).values_list(
            "mail_id", "sender_verified"
        )
    )
    assert verified == {
        "<plain-0001@mail.example.cn>": True,
        "<reply-0001@mail.example.cn>": True,
        "<forged-0001@evil.example>": False,
    }
    supervisor = sign_in(Client(), make_agent(role=Role.SUPERVISOR))
    html = supervisor.get(f"/conversations/{conversation.pk}/", **HX).content.decode()
    assert html.count('data-testid="mail-unverified"') == 1
    assert "未验证的发件人" in html
    messages = supervisor.get(f"/api/v1/conversations/{conversation.pk}").json()["messages"]
    assert [m["email"]["sender_verified"] for m in messages if m["sender"] == "visitor"] == [
        True,
        True,
        False,
    ]


def test_a_strangers_reply_never_reopens_a_closed_conversation(mail_inbox, imap):
    box, _port = imap
    box.deliver(mail("plain"))
    poll_inbox(mail_inbox)
    conversation = Conversation.objects.get(inbox=mail_inbox)
    close_conversation(conversation=conversation, actor=make_agent(role=Role.SUPERVISOR))
    box.deliver(mail("forged_reply"))
    poll_inbox(mail_inbox)
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.CLOSED
    assert bodies(conversation) == ["你好，我的订单 20261120 还没有发货，请帮忙查一下。"]
    other = Conversation.objects.exclude(pk=conversation.pk).get(inbox=mail_inbox)
    assert bodies(other) == ["请把退款打到这个新账户：6222 0000 0000 0000。"]
    assert other.customer_id != conversation.customer_id
    assert MailRecord.objects.get(conversation=other).sender_verified is False


def test_a_strangers_mail_naming_a_ticket_does_not_touch_the_ticket(mail_inbox, imap):
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
    version = ticket.version
    box, _port = imap
    box.deliver(mail("ticket_subject").replace(b"wang.fang@example.org", b"someone@evil.example"))
    poll_inbox(mail_inbox)
    conversation = Conversation.objects.get(inbox=mail_inbox)
    assert conversation.customer_id != customer.pk  # not handed the ticket's customer
    assert MailRecord.objects.get(conversation=conversation).sender_verified is False
    assert not TimelineEntry.objects.filter(
        kind__startswith="tickets.", subject_id=ticket.pk
    ).exists()
    ticket.refresh_from_db()
    assert ticket.version == version
    box.deliver(mail("ticket_subject_again"))  # the customer herself: recorded on the ticket
    poll_inbox(mail_inbox)
    assert (
        TimelineEntry.objects.filter(kind="tickets.customer_email", subject_id=ticket.pk).count()
        == 1
    )
