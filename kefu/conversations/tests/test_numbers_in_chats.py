"""Issue 10.5 in chats: a phone or ID number the visitor types is masked for an inspector (no reveal
right) on the workspace page, in the API and over the socket; an agent reads it as typed."""

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.conversations.services.messages import post_message
from kefu.conversations.tests.conftest import make_conversation
from kefu.conversations.tests.test_sockets import (  # noqa: F401  (close_thread_connections: autouse)
    agent_socket,
    close_thread_connections,
    is_event,
    receive_until,
)
from tests.factories import UserFactory

TYPED = "我的手机13912345678，身份证11010519491231002X"
MASKED = "我的手机139****5678，身份证1101**********002X"


@pytest.mark.django_db
def test_the_inspector_reads_masked_numbers_on_the_page_and_in_the_api(inbox):
    conversation = make_conversation(inbox)
    message = post_message(conversation=conversation, sender="visitor", body=TYPED)
    inspector = sign_in(Client(), UserFactory(role=Role.INSPECTOR))
    page = inspector.get(
        f"/conversations/{conversation.pk}/messages/{message.pk}/"
    ).content.decode()
    api = inspector.get(f"/api/v1/conversations/{conversation.pk}").json()
    assert MASKED in page and "13912345678" not in page
    assert [m["body"] for m in api["messages"]] == [MASKED]
    supervisor = sign_in(Client(), UserFactory(role=Role.SUPERVISOR))
    assert (
        supervisor.get(f"/api/v1/conversations/{conversation.pk}").json()["messages"][0]["body"]
        == TYPED
    )


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_inspector_s_socket_masks_what_it_receives(inbox):
    conversation = await sync_to_async(make_conversation)(inbox)
    await sync_to_async(post_message)(conversation=conversation, sender="visitor", body=TYPED)
    _inspector, ws = await agent_socket(role=Role.INSPECTOR)
    await ws.send_json_to({"type": "join", "conversation_id": conversation.pk})
    joined, _ = await receive_until(ws, is_event("joined"))
    assert [m["body"] for m in joined["messages"]] == [MASKED]
    await sync_to_async(post_message)(conversation=conversation, sender="visitor", body=TYPED)
    pushed, _ = await receive_until(ws, is_event("conversations.message"))
    assert pushed["message"]["body"] == MASKED
    await ws.disconnect()
