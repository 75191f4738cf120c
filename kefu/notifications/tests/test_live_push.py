"""Issue 9.14: a notification reaches the recipient's open pages through its event
(NotificationCreated → kefu/realtime/subscribers.py), the one event path; the title is as the
recipient may read it."""

import pytest
from asgiref.sync import sync_to_async

from kefu.accounts.roles import Role
from kefu.conversations.tests.test_sockets import (  # noqa: F401  (close_thread_connections: autouse)
    agent_socket,
    close_thread_connections,
    is_event,
    receive_until,
)
from kefu.notifications.services import notify

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.asyncio
async def test_a_notification_is_pushed_to_the_recipient_s_socket_after_commit():
    agent, agent_ws = await agent_socket()
    inspector, inspector_ws = await agent_socket(role=Role.INSPECTOR)
    await sync_to_async(notify)(
        recipient_ids=[agent.pk, inspector.pk],
        kind="test",
        title="客户请回电 13912345678",
        link="/tickets/1/",
    )
    pushed, _ = await receive_until(agent_ws, is_event("notification"))
    assert (pushed["title"], pushed["link"], pushed["unread"]) == (
        "客户请回电 13912345678",
        "/tickets/1/",
        1,
    )
    masked, _ = await receive_until(inspector_ws, is_event("notification"))
    assert masked["title"] == "客户请回电 139****5678"  # no reveal right: the number is masked
    await agent_ws.disconnect()
    await inspector_ws.disconnect()
