"""The in-process channel layer and the push outbox: a push reaches exactly the group's sockets, in
the order it was made, from any thread; a socket that stops reading loses pushes with a log line,
not the others' pushes."""

import asyncio
import logging
import threading
import time

import pytest
from django.conf import settings

from kefu.realtime import audiences
from kefu.realtime.layers import LocalChannelLayer, RedisPubSubLayer, group_send_many


@pytest.mark.asyncio
async def test_a_group_send_reaches_its_members_only_and_each_gets_its_own_copy():
    layer = LocalChannelLayer(capacity=10)
    alice, bob, carol = [await layer.new_channel() for _ in range(3)]
    await layer.group_add("conversation.1.agents", alice)
    await layer.group_add("conversation.1.agents", bob)
    await layer.group_add("conversation.2.agents", carol)
    await layer.group_send("conversation.1.agents", {"type": "push", "payload": {"n": 1}})
    first = await layer.receive(alice)
    first["type"] = "changed by alice's socket"
    assert (await layer.receive(bob)) == {"type": "push", "payload": {"n": 1}}
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(layer.receive(carol), timeout=0.05)
    await layer.group_discard("conversation.1.agents", bob)
    await layer.group_send("conversation.1.agents", {"type": "push", "payload": {"n": 2}})
    assert (await layer.receive(alice))["payload"] == {"n": 2}
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(layer.receive(bob), timeout=0.05)


@pytest.mark.asyncio
async def test_a_socket_that_stops_reading_loses_pushes_with_a_warning_and_the_others_get_theirs(
    caplog,
):
    layer = LocalChannelLayer(capacity=3)
    stuck, reading = await layer.new_channel(), await layer.new_channel()
    for channel in (stuck, reading):
        await layer.group_add("supervisors", channel)
    with caplog.at_level(logging.WARNING, logger="kefu.realtime.layers"):
        for n in range(5):
            await layer.group_send("supervisors", {"type": "push", "payload": {"n": n}})
            assert (await layer.receive(reading))["payload"] == {"n": n}
    assert [(await layer.receive(stuck))["payload"]["n"] for _ in range(3)] == [0, 1, 2]
    assert len([r for r in caplog.records if "behind" in r.getMessage()]) == 2


@pytest.mark.asyncio
async def test_expired_pushes_are_swept_and_their_socket_leaves_its_groups(monkeypatch):
    layer = LocalChannelLayer(expiry=60)
    gone = await layer.new_channel()
    await layer.group_add("user.7", gone)
    await layer.group_send("user.7", {"type": "push", "payload": {}})
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    layer._swept_at = -10.0  # the last sweep was long ago
    await layer.group_send("user.7", {"type": "push", "payload": {}})
    assert gone not in layer.groups.get("user.7", {})


@pytest.mark.asyncio
async def test_pushes_made_on_other_threads_arrive_in_the_order_they_were_made(monkeypatch):
    layer = LocalChannelLayer(capacity=1000)
    monkeypatch.setattr(audiences, "get_channel_layer", lambda: layer)
    channel = await layer.new_channel()
    await layer.group_add("user.1", channel)
    audiences.note_socket_loop()

    def pushes(start):
        for n in range(start, start + 100):
            audiences.push("user.1", {"n": n})

    worker = threading.Thread(target=pushes, args=(0,))
    worker.start()
    await asyncio.to_thread(worker.join)  # push() does not wait for the loop: no deadlock here
    await asyncio.to_thread(pushes, 100)
    received = [
        (await asyncio.wait_for(layer.receive(channel), timeout=2))["payload"]["n"]
        for _ in range(200)
    ]
    assert received == list(range(200))


@pytest.mark.asyncio
@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (CI runs the suite with it)")
async def test_a_batch_of_pushes_goes_through_redis_in_order_to_each_group():
    layer = RedisPubSubLayer(
        hosts=[settings.REDIS_URL], prefix=f"{settings.KEFU_INSTANCE}:layertest"
    )
    try:
        first, second = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("conversation.1.agents", first)
        await layer.group_add("conversation.1.agents", second)
        await layer.group_add("conversation.1.visitor", second)
        sends = [
            (
                f"conversation.1.{'agents' if n % 3 else 'visitor'}",
                {"type": "push", "payload": {"n": n}},
            )
            for n in range(30)
        ]
        await group_send_many(layer, sends)
        to_agents = [n for n in range(30) if n % 3]
        assert [
            (await asyncio.wait_for(layer.receive(first), 2))["payload"]["n"] for _ in to_agents
        ] == to_agents
        assert [
            (await asyncio.wait_for(layer.receive(second), 2))["payload"]["n"] for _ in range(30)
        ] == list(range(30))
    finally:
        await layer.flush()
