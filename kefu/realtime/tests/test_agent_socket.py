"""The agent socket: only signed-in users, and presence pushes reach the right groups."""

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from conftest import sign_in
from kefu.accounts import services
from kefu.accounts.models import Presence
from kefu.accounts.roles import Role
from kefu.asgi import application
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest_asyncio.fixture(autouse=True)
async def close_thread_connections():
    """sync_to_async work runs in one shared thread whose connection nobody closes; an open one
    keeps PostgreSQL from dropping the test database at the end."""
    yield
    await sync_to_async(connections.close_all)()


def connect(client: Client | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if client is not None:
        cookie = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, "/ws/agent/", headers=headers)


async def socket_of(role: str):
    """A new user with `role`, signed in, with its agent socket connected and greeted."""
    user = await sync_to_async(UserFactory.create)(role=role)
    communicator = connect(await sync_to_async(sign_in)(Client(), user))
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_json_from() == {"event": "hello", "user_id": user.pk}
    return user, communicator


@pytest.mark.asyncio
async def test_an_anonymous_socket_is_closed():
    communicator = connect()
    connected, code = await communicator.connect()
    assert not connected and code == 4401


@pytest.mark.asyncio
async def test_a_supervisor_sees_an_agents_presence_change_live():
    _supervisor, communicator = await socket_of(Role.SUPERVISOR)
    agent = await sync_to_async(UserFactory)(role=Role.AGENT)
    await sync_to_async(services.set_presence)(user=agent, presence=Presence.BUSY)
    assert await communicator.receive_json_from(timeout=3) == {
        "event": "accounts.presence_changed",
        "user_id": agent.pk,
        "presence": "busy",
    }
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_an_agent_does_not_receive_other_agents_presence():
    agent, communicator = await socket_of(Role.AGENT)
    other = await sync_to_async(UserFactory)(role=Role.AGENT)
    await sync_to_async(services.set_presence)(user=other, presence=Presence.ONLINE)
    assert await communicator.receive_nothing(timeout=0.5)
    await sync_to_async(services.set_presence)(user=agent, presence=Presence.AWAY)
    assert (await communicator.receive_json_from(timeout=3))["presence"] == "away"
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_a_push_from_a_background_thread_reaches_the_socket():
    """`kefu serve` runs background tasks as threads beside the sockets' event loop; what they push
    with the in-process channel layer must still arrive."""
    import asyncio
    import threading

    from kefu.realtime import audiences

    user, socket = await socket_of(Role.AGENT)
    worker = threading.Thread(
        target=audiences.push, args=(audiences.user_group(user.pk), {"event": "ping"})
    )
    worker.start()
    assert await socket.receive_json_from(timeout=3) == {"event": "ping"}
    await asyncio.to_thread(worker.join, 3)
    assert not worker.is_alive()
    await socket.disconnect()
