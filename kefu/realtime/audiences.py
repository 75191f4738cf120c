"""Who receives which real-time event: decided here and nowhere else.

Groups: `user.<id>` (every socket of one signed-in user) and `supervisors` (live boards of users who
may assign work). A customer's sockets (chat widget) will have their own groups; internal notes are
never sent to them.
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

PUSH_TIMEOUT_SECONDS = 5

# The event loop that serves the sockets of this process, noted when the first socket connects.
# The in-process channel layer's queues belong to that loop: a push made from another thread (a
# background task running as a thread of `kefu serve`) must be handed to it, or it never arrives.
_socket_loop: asyncio.AbstractEventLoop | None = None


def note_socket_loop() -> None:
    """Call from async code serving sockets (the consumer's connect)."""
    global _socket_loop
    _socket_loop = asyncio.get_running_loop()


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


SUPERVISORS_GROUP = "supervisors"


def push(group: str, payload: dict) -> None:
    """Send `payload` to the group's sockets, from any thread. Best effort: the database is the record."""

    async def send() -> None:
        await get_channel_layer().group_send(group, {"type": "push", "payload": payload})

    loop = _socket_loop
    if loop is None or not loop.is_running():
        async_to_sync(send)()
        return
    future = asyncio.run_coroutine_threadsafe(send(), loop)
    try:
        future.result(timeout=PUSH_TIMEOUT_SECONDS)
    except TimeoutError:
        future.cancel()
        logger.warning("push to %s timed out", group)


def groups_for(user) -> list[str]:
    from kefu.accounts.roles import Perm

    groups = [user_group(user.pk)]
    if user.has_perm(Perm.ASSIGN_WORK):
        groups.append(SUPERVISORS_GROUP)
    return groups
