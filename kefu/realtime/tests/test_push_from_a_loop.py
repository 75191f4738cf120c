"""A push made with no socket loop known, from a thread that runs an event loop of its own (a
browser test: Playwright's sync API keeps a loop in the test's thread) is sent, not an error. Seen
in CI: "You cannot use AsyncToSync in the same thread as an async event loop" for each ticket a
browser test created before its page had a socket."""

import asyncio

from channels.layers import get_channel_layer

from kefu.realtime import audiences


def test_a_push_from_a_thread_running_its_own_loop_is_sent(monkeypatch):
    monkeypatch.setattr(audiences, "_socket_loop", None)
    layer = get_channel_layer()

    async def scenario():
        channel = await layer.new_channel()
        await layer.group_add(audiences.SUPERVISORS_GROUP, channel)
        audiences.push(audiences.SUPERVISORS_GROUP, {"event": "reports.board_changed"})
        return await asyncio.wait_for(layer.receive(channel), 5)

    received = asyncio.run(scenario())
    assert received == {"type": "push", "payload": {"event": "reports.board_changed"}}
