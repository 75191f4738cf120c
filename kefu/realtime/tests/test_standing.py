"""An open agent socket is a session (issue 10.3): once its user is deactivated, given another role,
signed out of that session or has every session ended by a new password, the socket closes within
seconds, receives no more customer messages and stores no reply. Over real websockets against
kefu's ASGI application on a loopback port, in whichever mode the suite runs (in-process channel
layer, or Redis)."""

import asyncio
import json
import time

import pytest
import websockets
from django.db import connections
from django.test import Client
from websockets.typing import Origin

from conftest import sign_in
from kefu.accounts import services as accounts
from kefu.accounts.models import User
from kefu.accounts.roles import Role
from kefu.conversations.models import Message
from kefu.conversations.tests.conftest import ORIGIN, make_agent, make_inbox
from kefu.realtime.consumers import STANDING_MAX_AGE
from tests.e2e.asgi_server import running_kefu
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5


async def _until(socket, predicate, timeout=TIMEOUT):
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        if predicate(frame):
            return frame


async def _agent_socket(url: str, client: Client):
    cookie = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())
    socket = await websockets.connect(
        f"{url.replace('http', 'ws', 1)}/ws/agent/",
        origin=Origin(url),
        additional_headers={"Cookie": cookie},
    )
    await _until(socket, lambda f: f.get("event") == "hello")
    return socket


async def _visitor_socket(url: str, inbox):
    socket = await websockets.connect(
        f"{url.replace('http', 'ws', 1)}/ws/visitor/{inbox.public_key}/", origin=Origin(ORIGIN)
    )
    await socket.send(json.dumps({"type": "hello"}))
    await _until(socket, lambda f: f.get("event") == "welcome")
    return socket


async def _send(socket, key, body, **extra):
    await socket.send(json.dumps({"type": "send", "key": key, "body": body, **extra}))
    return await _until(socket, lambda f: f.get("key") == key)


async def _closed_code(socket, timeout=TIMEOUT) -> int | None:
    """The close code once the server closes `socket`; frames before it are skipped."""
    deadline = time.monotonic() + timeout
    try:
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.wait_for(socket.recv(), left)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        return None
    return None


def _to(step):
    """Run a blocking database step (a service, as a page would) off the client's event loop, in a
    thread whose connection is closed after it (PostgreSQL could not drop the test database)."""

    def run():
        try:
            return step()
        finally:
            connections.close_all()

    return asyncio.to_thread(run)


def _manager():
    return UserFactory(role=Role.MANAGER)


def _deactivate(agent, _client):
    accounts.set_user_active(actor=_manager(), user=agent, active=False)


def _downgrade(agent, _client):
    accounts.change_role(actor=_manager(), user=agent, role=Role.INSPECTOR)


def _new_password(agent, _client):
    accounts.set_password_for(actor=_manager(), user=agent, new_password="Another2026pw")


def _sign_out(_agent, client):
    assert client.post("/accounts/sign-out/").status_code == 302


@pytest.mark.parametrize(
    "change", [_deactivate, _downgrade, _new_password, _sign_out], ids=lambda f: f.__name__[1:]
)
def test_the_agents_socket_closes_within_seconds_and_no_more_messages_reach_it(change):
    inbox = make_inbox()
    agent = make_agent()
    agent_client = sign_in(Client(), agent)
    supervisor = make_agent(role=Role.SUPERVISOR, presence="offline")
    supervisor_client = sign_in(Client(), supervisor)

    async def scenario(url):
        agent_ws = await _agent_socket(url, agent_client)
        supervisor_ws = await _agent_socket(url, supervisor_client)
        visitor_ws = await _visitor_socket(url, inbox)
        first = await _send(visitor_ws, "v1", "你好")
        cid = first["conversation_id"]
        await _until(agent_ws, lambda f: f.get("event") == "conversations.assigned")
        started = time.monotonic()
        await _to(lambda: change(agent, agent_client))
        code = await _closed_code(agent_ws)
        took = time.monotonic() - started
        later = await _send(visitor_ws, "v2", "还在吗")
        # Another user's socket is not touched by the change.
        await _send(supervisor_ws, "s1", "备注：已转交", conversation_id=cid, internal=True)
        for socket in (supervisor_ws, visitor_ws):
            await socket.close()
        return code, took, later

    with running_kefu() as url:
        code, took, later = asyncio.run(scenario(url))
    assert code == 4401 and took < 3, (code, took)
    assert later["event"] == "ack"
    assert list(Message.objects.order_by("seq").values_list("body", flat=True)) == [
        "你好",
        "还在吗",
        "备注：已转交",
    ]


def test_a_frame_rechecks_the_users_standing_even_when_the_announcement_was_lost():
    """Deactivated behind the services' back (no event, as if the push had been lost): the next
    reply, a moment later, closes the socket and is not stored."""
    inbox = make_inbox()
    agent = make_agent()
    agent_client = sign_in(Client(), agent)

    async def scenario(url):
        agent_ws = await _agent_socket(url, agent_client)
        visitor_ws = await _visitor_socket(url, inbox)
        first = await _send(visitor_ws, "v1", "你好")
        await _until(agent_ws, lambda f: f.get("event") == "conversations.assigned")
        reply = await _send(agent_ws, "a1", "您好", conversation_id=first["conversation_id"])
        await _to(lambda: User.objects.filter(pk=agent.pk).update(is_active=False))
        await asyncio.sleep(STANDING_MAX_AGE + 0.5)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await _send(agent_ws, "a2", "被停用后的回复", conversation_id=first["conversation_id"])
        await visitor_ws.close()
        return reply, closed.value.rcvd.code

    with running_kefu() as url:
        reply, code = asyncio.run(scenario(url))
    assert reply["event"] == "ack" and code == 4401
    assert list(Message.objects.order_by("seq").values_list("body", flat=True)) == ["你好", "您好"]
