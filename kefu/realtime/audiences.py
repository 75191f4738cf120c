"""Who receives which real-time event: decided here and nowhere else.

Groups: `user.<id>` (every socket of one signed-in user), `supervisors` (live boards of users who
may assign work), and per conversation `conversation.<id>.agents` (agent sockets following it: its
agent's, and any that joined it) and `conversation.<id>.visitor` (the visitor's widget sockets).
Internal notes and agent-only details never go to a visitor group: `message_groups()` and
`conversation_groups()` are the only places that add one.
"""

import asyncio
import logging
import threading
import uuid
import weakref
from collections import deque

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from kefu.realtime.layers import UNREACHABLE, group_send_many

logger = logging.getLogger(__name__)

# The event loop that serves the sockets of this process, noted when the first socket connects.
# The in-process channel layer's queues belong to that loop: a push made from another thread (the
# sockets' database thread, a background task running as a thread of `kefu serve`) is handed to it.
_socket_loop: asyncio.AbstractEventLoop | None = None


def note_socket_loop() -> None:
    """Call from async code serving sockets (the consumer's connect)."""
    global _socket_loop
    _socket_loop = asyncio.get_running_loop()


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


SUPERVISORS_GROUP = "supervisors"


def conversation_agents_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}.agents"


def visitor_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}.visitor"


def message_groups(*, conversation_id: int, is_internal: bool) -> list[str]:
    """Who sees a new message: the agents following the conversation; the visitor unless it is an
    internal note."""
    groups = [conversation_agents_group(conversation_id)]
    if not is_internal:
        groups.append(visitor_group(conversation_id))
    return groups


def conversation_groups(
    *, conversation_id: int, user_ids=(), supervisors: bool = True
) -> list[str]:
    """Agent-side groups for a change of a conversation (assignment, transfer, close): the agents
    following it, the named users (new and previous agent) and the supervisors' boards. Never the
    visitor: what the visitor is told is chosen by the caller with `visitor_group()`."""
    groups = [conversation_agents_group(conversation_id)]
    groups += [user_group(uid) for uid in dict.fromkeys(user_ids) if uid is not None]
    if supervisors:
        groups.append(SUPERVISORS_GROUP)
    return groups


def incoming_call_groups(*, agent_id: int) -> list[str]:
    """A ringing call's caller card goes to the sockets of the agent it rings for, nobody else."""
    return [user_group(agent_id)]


def typing_groups(*, conversation_id: int, from_visitor: bool) -> list[str]:
    """A typing indicator goes to the other side only."""
    return (
        [conversation_agents_group(conversation_id)]
        if from_visitor
        else [visitor_group(conversation_id)]
    )


async def apush(group: str, payload: dict) -> None:
    """`push` for code already running on the sockets' event loop (a consumer)."""
    await get_channel_layer().group_send(group, {"type": "push", "payload": payload})


def push(group: str, payload: dict) -> None:
    """Send `payload` to the group's sockets, from any thread, without waiting for them: pushes are
    handed to the sockets' loop and sent there one after another, in the order they were made.
    Best effort: the database is the record."""
    loop = _socket_loop
    if loop is None or not loop.is_running():
        _push_now(group, payload)
        return
    with _outbox_lock:
        outbox = _outboxes.get(loop)
        if outbox is None:
            outbox = _outboxes[loop] = _Outbox(loop)
        outbox.put(group, payload)


def _push_now(group: str, payload: dict) -> None:
    """No socket loop in this process (a worker, a command): send it and wait. From a thread that
    runs an event loop of its own (a browser test driving Playwright, which created tickets and
    failed to push with "cannot use AsyncToSync in the same thread as an async event loop"), on a
    thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(apush)(group, payload)
        return
    sender = threading.Thread(target=async_to_sync(apush), args=(group, payload))
    sender.start()
    sender.join()


class _Outbox:
    """The pushes waiting for one event loop. `put` is called with _outbox_lock held."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.waiting: deque[tuple[str, dict]] = deque()
        self.sending = False
        self.task: asyncio.Task | None = None

    def put(self, group: str, payload: dict) -> None:
        self.waiting.append((group, payload))
        if not self.sending:
            self.sending = True
            self.loop.call_soon_threadsafe(self._start)

    def _start(self) -> None:
        self.task = self.loop.create_task(self._send_all())

    async def _send_all(self) -> None:
        while True:
            with _outbox_lock:
                if not self.waiting:
                    self.sending = False
                    return
                batch = [
                    (group, {"type": "push", "payload": payload}) for group, payload in self.waiting
                ]
                self.waiting.clear()
            try:
                await group_send_many(get_channel_layer(), batch)
            except UNREACHABLE as error:  # Redis is down: one line, not a traceback per batch
                logger.warning("%d pushes lost: Redis unreachable (%s)", len(batch), error)
            except Exception:
                logger.exception("%d pushes failed", len(batch))


_outbox_lock = threading.Lock()
_outboxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Outbox] = (
    weakref.WeakKeyDictionary()
)


def conversation_groups_for(user) -> list[str]:
    """The conversations an agent's socket follows from the start: those they are serving.
    Runs queries: call through database_sync_to_async from a consumer."""
    from kefu.conversations.selectors import open_conversation_ids

    return [conversation_agents_group(cid) for cid in open_conversation_ids(user)]


def push_many(groups: list[str], payload: dict) -> None:
    """Push one event to several groups. A socket in more than one of them (an agent following the
    conversation who is also its assignee or a supervisor) shows it once: see RecentPushes."""
    payload = {**payload, PUSH_ID: uuid.uuid4().hex}
    for group in dict.fromkeys(groups):
        push(group, payload)


PUSH_ID = "_push_id"


class RecentPushes:
    """What one socket has delivered lately, to drop the copy of an event that reached it through a
    second group."""

    def __init__(self, size: int = 256):
        self._ids: deque[str] = deque(maxlen=size)

    def first_time(self, payload: dict) -> bool:
        """Strips the push id from `payload`; False when this socket has already delivered it."""
        push_id = payload.pop(PUSH_ID, None)
        if push_id is None:
            return True
        if push_id in self._ids:
            return False
        self._ids.append(push_id)
        return True


def groups_for(user) -> list[str]:
    from kefu.accounts.roles import Perm

    groups = [user_group(user.pk)]
    if user.has_perm(Perm.ASSIGN_WORK):
        groups.append(SUPERVISORS_GROUP)
    return groups
