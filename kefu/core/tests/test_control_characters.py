"""Control characters are dropped at every boundary, the same way in both modes (issue 10.2):
forms, the chat socket, e-mail and imports (the API has kefu/api/tests/test_input.py).

On PostgreSQL a NUL in text was a 500; on SQLite it was stored, like every other control character.
"""

import asyncio
from email.message import EmailMessage

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from kefu.accounts.roles import Role
from kefu.conversations.email.services import receive_mail
from kefu.conversations.models import ChannelKind, Message
from kefu.conversations.tests.conftest import make_inbox
from kefu.conversations.tests.test_sockets import TIMEOUT, visitor
from kefu.core.text import clean_data, strip_control_characters
from kefu.customers.models import Customer
from kefu.customers.tests.test_transfer import confirm, upload_job


def test_the_rule_keeps_tabs_and_line_breaks_and_drops_the_rest():
    assert strip_control_characters("\x00a\tb\r\nc\x01\x1b\x7f\x85\ud800") == "a\tb\r\nc"
    assert clean_data({"k\x00": ["\x02v", 3, None]}) == {"k": ["v", 3, None]}


@pytest.mark.django_db
def test_a_page_form_stores_no_control_characters(client_for):
    client, _agent = client_for(Role.AGENT)
    response = client.post(
        "/customers/new/",
        {"name": "\x00张\x01三", "gender": "unknown", "level": "regular", "source": "other"},
    )
    assert response.status_code == 302, response.content.decode()[:800]
    assert Customer.objects.get().name == "张三"
    listing = client.get("/customers/?q=%E5%BC%A0%00").content.decode()
    assert "张三" in listing


@pytest.mark.django_db(transaction=True)
def test_a_chat_message_over_the_socket_stores_no_control_characters():
    inbox = make_inbox()

    async def chat():
        socket, _welcome = await visitor(inbox)
        await socket.send_json_to({"type": "send", "key": "k1", "body": "\x01你好\x00\x1b"})
        ack = await socket.receive_json_from(timeout=TIMEOUT)
        while ack.get("event") != "ack":
            ack = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        await sync_to_async(connections.close_all)()
        return ack

    asyncio.run(chat())
    assert list(Message.objects.values_list("body", flat=True)) == ["你好"]


@pytest.mark.django_db
def test_an_e_mail_stores_no_control_characters():
    inbox = make_inbox(name="售后邮箱", kind=ChannelKind.EMAIL, allowed_origins=[])
    mail = EmailMessage()
    mail["From"] = "李\x01四 <li@example.cn>"
    mail["To"] = "kefu@shop.example"
    mail["Subject"] = "退款\x00问题"
    mail["Message-ID"] = "<nul-1@example.cn>"
    mail.set_content("你好\x00，我要退款\x02")
    message = receive_mail(inbox, mail.as_bytes())
    assert "\x00" not in message.body and "\x02" not in message.body
    assert "我要退款" in message.body


@pytest.mark.django_db
def test_an_import_stores_no_control_characters(client_for):
    client, _supervisor = client_for(Role.SUPERVISOR)
    job = upload_job(client, "客户.csv", "姓名,手机\n\x01=1+1王五,13800138000\n".encode())
    confirm(client, job)
    assert Customer.objects.get().name == "=1+1王五"
