"""Issue 10.6 over the socket and the workspace: a quality inspector follows a live chat (reads) but
its "typing" frame is refused and never reaches the visitor; the workspace's forms answer an
inspector 403 with the reason, and nothing changes."""

import pytest
from django.test import Client

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.conversations.models import Conversation
from kefu.conversations.tests.conftest import make_conversation
from kefu.conversations.tests.test_sockets import (  # noqa: F401  (close_thread_connections: autouse)
    agent_socket,
    close_thread_connections,
    is_event,
    receive_until,
    send,
    visitor,
)
from tests.factories import UserFactory

TIMEOUT = 3


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_an_inspector_follows_a_chat_but_may_not_send_typing(inbox):
    _agent, agent_ws = await agent_socket()
    visitor_ws, _ = await visitor(inbox)
    ack = await send(visitor_ws, "v1", "在吗")
    await receive_until(agent_ws, is_event("conversations.assigned"))
    await receive_until(visitor_ws, is_event("conversations.state"))
    _inspector, inspector_ws = await agent_socket(role=Role.INSPECTOR)
    conversation_id = ack["conversation_id"]
    await inspector_ws.send_json_to({"type": "join", "conversation_id": conversation_id})
    joined, _ = await receive_until(inspector_ws, is_event("joined"))
    assert [m["body"] for m in joined["messages"]] == ["在吗"]  # an inspector reads
    await inspector_ws.send_json_to(
        {"type": "typing", "key": "t1", "conversation_id": conversation_id}
    )
    refused, _ = await receive_until(inspector_ws, lambda f: f.get("key") == "t1")
    assert (refused["event"], refused["code"]) == ("error", "refused")
    assert await visitor_ws.receive_nothing(timeout=0.5)  # no "agent is typing" for the customer
    for ws in (agent_ws, visitor_ws, inspector_ws):
        await ws.disconnect()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("close/", {}),
        ("ticket/", {"type": "consultation", "subject": "问"}),
        ("customer/new/", {"name": "李娜"}),
    ],
)
def test_the_workspace_answers_an_inspector_403_with_the_reason(inbox, path, data):
    conversation = make_conversation(inbox)
    client = sign_in(Client(), UserFactory(role=Role.INSPECTOR))
    htmx = client.post(
        f"/conversations/{conversation.pk}/{path}", data, headers={"HX-Request": "true"}
    )
    assert htmx.status_code == 403 and "kefu:toast" in htmx["HX-Trigger"]
    plain = client.post(f"/conversations/{conversation.pk}/{path}", data)
    assert plain.status_code == 403
    fresh = Conversation.objects.get(pk=conversation.pk)
    assert (fresh.state, fresh.customer_id) == (conversation.state, None)
