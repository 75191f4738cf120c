"""A ringing call pops the caller's customer card on the agent's open pages, and nobody else's."""

import json
import time

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.asgi import application
from kefu.customers.services.profiles import ContactPoints, create_customer
from kefu.telephony.models import Extension
from kefu.telephony.webhook import sign
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "socket-test-secret"


@pytest_asyncio.fixture(autouse=True)
async def close_thread_connections():
    yield
    await sync_to_async(connections.close_all)()


async def socket_for(user) -> WebsocketCommunicator:
    client = await sync_to_async(sign_in)(Client(), user)
    cookie = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())
    communicator = WebsocketCommunicator(
        application,
        "/ws/agent/",
        headers=[
            (b"origin", b"http://localhost"),
            (b"host", b"localhost"),
            (b"cookie", cookie.encode()),
        ],
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["event"] == "hello"
    return communicator


def ring(payload: dict) -> int:
    body = json.dumps(payload).encode()
    timestamp = int(time.time())
    response = Client().post(
        "/telephony/webhook/",
        data=body,
        content_type="application/json",
        HTTP_X_KEFU_TIMESTAMP=str(timestamp),
        HTTP_X_KEFU_SIGNATURE=sign(body, timestamp=timestamp, secret=SECRET),
    )
    assert response.status_code == 200, response.content
    return response.json()["id"]


def setup():
    agent = UserFactory(role=Role.AGENT)
    other = UserFactory(role=Role.AGENT)
    Extension.objects.create(user=agent, number="8001")
    customer = create_customer(
        actor=agent, name="张伟", contacts=ContactPoints({"mobile": ["13800138000"]}), level="vip"
    )
    return agent, other, customer


@pytest.mark.asyncio
async def test_the_callers_card_reaches_the_agents_socket(settings):
    settings.KEFU_TELEPHONY_SECRET = SECRET
    agent, other, customer = await sync_to_async(setup)()
    mine, theirs = await socket_for(agent), await socket_for(other)
    call_id = await sync_to_async(ring)(
        {
            "event": "call.ringing",
            "call_id": "pbx-1",
            "number": "+8613800138000",
            "extension": "8001",
        }
    )
    card = await mine.receive_json_from(timeout=3)
    assert card == {
        "event": "telephony.incoming_call",
        "call_id": call_id,
        "number": "138****8000",
        "call_url": f"/telephony/{call_id}/",
        "customer": {
            "id": customer.pk,
            "name": "张伟",
            "level": "vip",
            "level_label": "VIP",
            "mobile": "138****8000",
            "open_tickets": 0,
            "url": f"/customers/{customer.pk}/",
        },
    }
    assert await theirs.receive_nothing(timeout=0.3)
    # An unknown number rings by the agent's user id: a card without a customer, linking from the call page.
    unknown_id = await sync_to_async(ring)(
        {"event": "call.ringing", "call_id": "pbx-2", "number": "13912345678", "user_id": agent.pk}
    )
    unknown = await mine.receive_json_from(timeout=3)
    assert (unknown["call_id"], unknown["customer"], unknown["number"]) == (
        unknown_id,
        None,
        "139****5678",
    )
    await mine.disconnect()
    await theirs.disconnect()
