"""What agents see of a customer's e-mail in the workspace 会话 and the API: subject and sender, the
original formatting in a sandbox that runs nothing and loads nothing, the attachments kept (downloaded
only by those who may see the chat) and the ones refused."""

from __future__ import annotations

import html as html_lib
import re
from email.message import EmailMessage
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from conftest import HOSTILE_STRINGS, sign_in
from kefu.accounts.roles import Role
from kefu.accounts.services import create_api_token
from kefu.conversations.email.services import poll_inbox, receive_mail
from kefu.conversations.models import (
    Conversation,
    ConversationState,
    MailAttachment,
    MailDirection,
    MailRecord,
    MailSendState,
)
from kefu.conversations.services.messages import send_agent_message
from kefu.conversations.tests.conftest import mail, make_agent, make_conversation
from tests.factories import TeamFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]
HX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}
POLICY = "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'"


def delivered(inbox, imap, name: str):
    """The customer's mail `name` fetched, and an agent of the inbox's team serving it."""
    box, _port = imap
    box.deliver(mail(name))
    poll_inbox(inbox)
    return served(Conversation.objects.get(inbox=inbox))


def served(conversation):
    team = TeamFactory()
    agent = make_agent(display_name="李娜", teams=[team])
    Conversation.objects.filter(pk=conversation.pk).update(
        assignee=agent, state=ConversationState.OPEN, team=team
    )
    conversation.refresh_from_db()
    return conversation, agent


def chat_page(user, conversation) -> str:
    response = sign_in(Client(), user).get(f"/conversations/{conversation.pk}/", **HX)
    assert response.status_code == 200
    return response.content.decode()


def test_an_html_mail_shows_subject_and_sender_and_its_original_only_in_a_sandbox(mail_inbox, imap):
    conversation, agent = delivered(mail_inbox, imap, "html")
    page = chat_page(agent, conversation)

    assert '<strong data-testid="mail-subject">Broken kettle</strong>' in page
    assert "来自 han@example.com" in page  # the screen is Chinese
    assert "The kettle I bought leaks." in page  # the plain text is what shows first
    assert (
        '<details class="kefu-mail-original" data-testid="mail-original">' in page
    )  # closed until asked
    [frame] = re.findall(r"<iframe [^>]*>", page)
    assert (
        'sandbox=""' in frame and "allow-" not in frame and 'referrerpolicy="no-referrer"' in frame
    )
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame).group(1)
    assert "<" not in srcdoc  # escaped into the attribute: nothing can leave it
    document = html_lib.unescape(srcdoc)
    assert f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">' in document
    assert "The kettle I bought <b>leaks</b>." in document
    for banned in ("<script", "alert(", "onclick", "tracker.example.net", "javascript:"):
        assert banned not in document


def test_every_string_a_customer_puts_in_a_mail_is_shown_as_inert_text(mail_inbox):
    conversation = None
    for n, hostile in enumerate(HOSTILE_STRINGS):
        message = EmailMessage()
        message["From"] = "Evil <evil@example.com>"
        message["To"] = "kefu@shop.example"
        message["Subject"] = hostile
        message["Message-ID"] = f"<hostile-{n}@example.com>"
        if conversation is not None:
            message["In-Reply-To"] = "<hostile-0@example.com>"
        message.set_content(
            f"<p>{escape(hostile)}</p><p>{hostile}</p></iframe><script>alert(9)</script>",
            subtype="html",
        )
        stored = receive_mail(mail_inbox, message.as_bytes())
        conversation = conversation or stored.conversation
    conversation, agent = served(conversation)
    page = chat_page(agent, conversation)
    for hostile in HOSTILE_STRINGS:
        assert escape(hostile.strip()) in page
    assert (
        "<script>alert" not in page and "<img src=x" not in page and "</iframe><script" not in page
    )
    for srcdoc in re.findall(r'srcdoc="([^"]*)"', page):
        assert "<" not in srcdoc and "<script" not in html_lib.unescape(srcdoc)


def test_kept_attachments_are_listed_with_links_and_refused_ones_with_their_reason(
    mail_inbox, imap
):
    conversation, agent = delivered(mail_inbox, imap, "attachment")
    [kept] = MailAttachment.objects.filter(conversation=conversation)
    page = chat_page(agent, conversation)
    [link] = re.findall(
        r'<a href="([^"]*)" download data-testid="mail-attachment">.*?</svg> ([^<]*)</a>', page
    )
    assert link == (f"/conversations/{conversation.pk}/attachments/{kept.pk}/", "damage.png")
    [refused] = re.findall(r'data-testid="mail-refused">.*?</svg> ([^<]*)</li>', page)
    reason = MailRecord.objects.get(conversation=conversation).refused_attachments[0]["reason"]
    assert refused == escape(f"未保留：invoice.exe（{reason}）")

    response = sign_in(Client(), agent).get(
        f"/conversations/{conversation.pk}/attachments/{kept.pk}/"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="damage.png"'
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_an_attachment_is_downloaded_only_by_someone_who_may_see_the_chat(mail_inbox, imap):
    conversation, agent = delivered(mail_inbox, imap, "attachment")
    [kept] = MailAttachment.objects.filter(conversation=conversation)
    url = f"/conversations/{conversation.pk}/attachments/{kept.pk}/"
    teammate = make_agent(teams=[conversation.team])
    other_team = make_agent(teams=[TeamFactory()])
    others_chat, _other = served(make_conversation(mail_inbox))
    Conversation.objects.filter(pk=others_chat.pk).update(assignee=other_team)

    assert sign_in(Client(), teammate).get(url).status_code == 200
    assert sign_in(Client(), make_agent(role=Role.SUPERVISOR)).get(url).status_code == 200
    assert sign_in(Client(), other_team).get(url).status_code == 404
    # the file's id through a chat that person may see: still not theirs
    assert (
        sign_in(Client(), other_team)
        .get(f"/conversations/{others_chat.pk}/attachments/{kept.pk}/")
        .status_code
        == 404
    )
    assert Client().get(url).status_code == 302  # signed out: to the sign-in page
    kept.file.delete(save=False)
    assert (
        sign_in(Client(), agent).get(url).status_code == 404
    )  # gone from storage: missing, not a crash


def test_a_failed_reply_shows_why_and_offers_resend_to_the_agent_serving_only(mail_inbox, imap):
    conversation, agent = delivered(mail_inbox, imap, "plain")
    reply = send_agent_message(
        actor=agent, conversation=conversation, body="已为您催促仓库。", client_key="r1"
    )
    MailRecord.objects.create(
        inbox=mail_inbox,
        conversation=conversation,
        message=reply,
        direction=MailDirection.OUT,
        mail_id="<r1@shop.example>",
        subject="Re: 订单还没发货",
        address="li.lei@example.cn",
        send_state=MailSendState.FAILED,
        attempts=5,
        last_error="the mail server answered 451 busy",
    )
    url = f"/conversations/{conversation.pk}/messages/{reply.pk}/"

    fragment = sign_in(Client(), agent).get(url, **HX).content.decode()
    assert "邮件发送失败" in fragment and "发往 li.lei@example.cn" in fragment
    assert "the mail server answered 451 busy" in fragment and 'data-testid="resend"' in fragment
    assert 'data-mail-state="failed"' in fragment
    read_only = (
        sign_in(Client(), make_agent(teams=[conversation.team])).get(url, **HX).content.decode()
    )
    assert "邮件发送失败" in read_only and 'data-testid="resend"' not in read_only
    assert sign_in(Client(), make_agent()).get(url, **HX).status_code == 404
    customer_mail = conversation.messages.first()
    assert (
        "订单还没发货"
        in sign_in(Client(), agent)
        .get(f"/conversations/{conversation.pk}/messages/{customer_mail.pk}/", **HX)
        .content.decode()
    )
    other = make_conversation(mail_inbox)
    assert (
        sign_in(Client(), agent)
        .get(f"/conversations/{other.pk}/messages/{reply.pk}/", **HX)
        .status_code
        == 404
    )


def test_a_web_chat_message_shows_no_mail_parts(inbox):
    conversation, agent = served(make_conversation(inbox))
    send_agent_message(actor=agent, conversation=conversation, body="您好", client_key="w1")
    page = chat_page(agent, conversation)
    assert "您好" in page and "mail-head" not in page and "<iframe" not in page


def test_the_api_gives_an_e_mails_subject_sender_and_attachments_with_download_urls(
    mail_inbox, imap
):
    conversation, agent = delivered(mail_inbox, imap, "attachment")
    [kept] = MailAttachment.objects.filter(conversation=conversation)
    note = send_agent_message(
        actor=agent,
        conversation=conversation,
        body="客户发来照片",
        client_key="n1",
        is_internal=True,
    )
    _token, raw = create_api_token(user=agent, name="test")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    messages = client.get(f"/api/v1/conversations/{conversation.pk}").json()["messages"]
    first = messages[0]["email"]
    url = f"/api/v1/conversations/{conversation.pk}/attachments/{kept.pk}"
    assert (first["direction"], first["subject"], first["address"], first["send_state"]) == (
        "in",
        "Photos of the damage",
        "zhao.lei@example.com",
        "",
    )
    assert first["attachments"] == [
        {
            "id": kept.pk,
            "name": "damage.png",
            "content_type": "image/png",
            "size": kept.size,
            "url": url,
        }
    ]
    assert [r["name"] for r in first["refused_attachments"]] == ["invoice.exe"]
    assert [m["email"] for m in messages if m["id"] == note.pk] == [None]

    download = client.get(url)
    assert (
        download.status_code == 200
        and download["Content-Disposition"] == 'attachment; filename="damage.png"'
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    _token, stranger = create_api_token(user=make_agent(), name="test")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {stranger}").get(url).status_code == 404
