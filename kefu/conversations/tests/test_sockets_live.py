"""The chat over real websockets on a loopback port (uvicorn serving kefu.asgi): what the in-memory
communicator cannot show — a 10 MB frame — is refused with a clear answer while other chats go on."""

import asyncio
import json

import pytest
import websockets

from kefu.conversations.models import Message
from kefu.conversations.tests.conftest import ORIGIN, make_inbox
from tests.e2e.asgi_server import running_kefu

pytestmark = pytest.mark.django_db(transaction=True)


async def _until(socket, predicate, timeout=10):
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        if predicate(frame):
            return frame


async def _visitor(url: str, key: str):
    socket = await websockets.connect(f"{url.replace('http', 'ws', 1)}/ws/visitor/{key}/", origin=ORIGIN)
    await socket.send(json.dumps({"type": "hello"}))
    await _until(socket, lambda f: f.get("event") == "welcome")
    return socket


async def _send(socket, key: str, body: str) -> dict:
    await socket.send(json.dumps({"type": "send", "key": key, "body": body}))
    return await _until(socket, lambda f: f.get("key") == key and f.get("event") in {"ack", "error"})


def test_a_10_mb_message_is_refused_clearly_and_other_chats_go_on():
    inbox = make_inbox()

    async def scenario(url):
        big_sender, other = await _visitor(url, inbox.public_key), await _visitor(url, inbox.public_key)
        first = await _send(big_sender, "k1", "你好")
        big = json.dumps({"type": "send", "key": "big", "body": "长" * (10 * 1024 * 1024 // 3)}, ensure_ascii=False)
        assert len(big.encode()) >= 10 * 1024 * 1024 - 100
        await big_sender.send(big)
        meanwhile = await _send(other, "o1", "在吗")
        refused = await _until(big_sender, lambda f: f.get("key") == "big")
        after = await _send(big_sender, "k2", "刚才的消息太长了")
        for socket in (big_sender, other):
            await socket.close()
        return first, meanwhile, refused, after

    with running_kefu() as url:
        first, meanwhile, refused, after = asyncio.run(scenario(url))
    assert meanwhile["event"] == "ack" and meanwhile["seq"] == 1
    assert refused["event"] == "error" and refused["code"] == "refused" and "消息过长" in refused["message"]
    assert (after["event"], after["conversation_id"], after["seq"]) == ("ack", first["conversation_id"], 2)
    stored = list(Message.objects.order_by("conversation_id", "seq").values_list("body", flat=True))
    assert stored == ["你好", "刚才的消息太长了", "在吗"]
