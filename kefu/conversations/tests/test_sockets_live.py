"""The chat over real websockets on a loopback port (uvicorn serving kefu.asgi, with `kefu serve`'s
websocket settings): what the in-memory communicator cannot show — the server's frame limit."""

import asyncio
import json

import pytest
import websockets
from websockets.typing import Origin

from kefu.conversations.models import Message
from kefu.conversations.tests.conftest import ORIGIN, make_inbox
from tests.e2e.asgi_server import running_kefu

pytestmark = pytest.mark.django_db(transaction=True)


async def _until(socket, predicate, timeout=10):
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        if predicate(frame):
            return frame


async def _visitor(url: str, key: str, **hello):
    socket = await websockets.connect(
        f"{url.replace('http', 'ws', 1)}/ws/visitor/{key}/", origin=Origin(ORIGIN)
    )
    await socket.send(json.dumps({"type": "hello", **hello}))
    welcome = await _until(socket, lambda f: f.get("event") == "welcome")
    return socket, welcome


async def _send(socket, key: str, body: str) -> dict:
    await socket.send(json.dumps({"type": "send", "key": key, "body": body}))
    return await _until(
        socket, lambda f: f.get("key") == key and f.get("event") in {"ack", "error"}
    )


def test_a_10_mb_frame_closes_only_its_socket_and_the_visitor_carries_on_after_reconnecting():
    """The server reads no frame larger than any message the application takes (MAX_FRAME_BYTES,
    the uvicorn limit `kefu serve` sets): a 10 MB frame closes that socket with 1009 (message too
    big) instead of being read to the end; the other chat goes on, and the visitor reconnects with
    their token to the same conversation."""
    inbox = make_inbox()

    async def scenario(url):
        big_sender, welcome = await _visitor(url, inbox.public_key)
        other, _ = await _visitor(url, inbox.public_key)
        first = await _send(big_sender, "k1", "你好")
        big = json.dumps(
            {"type": "send", "key": "big", "body": "长" * (10 * 1024 * 1024 // 3)},
            ensure_ascii=False,
        )
        assert len(big.encode()) >= 10 * 1024 * 1024 - 100
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await big_sender.send(big)
            await big_sender.recv()
        meanwhile = await _send(other, "o1", "在吗")
        again, _ = await _visitor(url, inbox.public_key, token=welcome["token"])
        after = await _send(again, "k2", "刚才的消息太长了")
        for socket in (again, other):
            await socket.close()
        return closed.value.rcvd.code, first, meanwhile, after

    with running_kefu() as url:
        code, first, meanwhile, after = asyncio.run(scenario(url))
    assert code == 1009
    assert meanwhile["event"] == "ack" and meanwhile["seq"] == 1
    assert (after["event"], after["conversation_id"], after["seq"]) == (
        "ack",
        first["conversation_id"],
        2,
    )
    stored = list(Message.objects.order_by("conversation_id", "seq").values_list("body", flat=True))
    assert stored == ["你好", "刚才的消息太长了", "在吗"]


def test_a_message_just_over_the_limit_gets_the_applications_clear_answer_at_any_encoding():
    """The frame limit never cuts off a message the application would explain: 5,001 characters,
    each written as JSON's longest escape (a surrogate pair), still reach the check that says why."""
    inbox = make_inbox()

    async def scenario(url):
        socket, _ = await _visitor(url, inbox.public_key)
        first = await _send(socket, "k1", "你好")
        await socket.send(
            json.dumps({"type": "send", "key": "long", "body": "😀" * 5001}, ensure_ascii=True)
        )
        refused = await _until(socket, lambda f: f.get("key") == "long")
        after = await _send(socket, "k2", "好的")
        await socket.close()
        return first, refused, after

    with running_kefu() as url:
        first, refused, after = asyncio.run(scenario(url))
    assert (refused["event"], refused["code"]) == ("error", "refused")
    assert "消息过长" in refused["message"]
    assert (after["conversation_id"], after["seq"]) == (first["conversation_id"], 2)
