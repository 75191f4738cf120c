"""Group commit for messages arriving on sockets.

A socket hands its message to the writer of its event loop and waits for the stored message. The
writer stores everything handed over while the previous batch was being written in one transaction
(messages.store_messages): one commit for many messages, where storing them one after another on
the sockets' single database thread held a server near 170 messages a second (bench/README.md,
chat). Each message is still acknowledged only after the batch that holds it has committed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import weakref

from channels.db import database_sync_to_async

from kefu.conversations.models import Conversation, Message, SenderKind, Visitor
from kefu.conversations.services.messages import (
    ConversationClosedError,
    NewMessage,
    check_agent_may_send,
    clean_body,
    clean_key,
    store_messages,
)
from kefu.conversations.services.widget import send_visitor_message

logger = logging.getLogger(__name__)

MAX_BATCH = 500


class MessageWriter:
    """One per event loop (`message_writer()`); batches form by themselves: while one is written,
    the next gathers."""

    def __init__(self) -> None:
        self._waiting: list[tuple[NewMessage, asyncio.Future]] = []
        self._drain_task: asyncio.Task | None = None

    async def store(self, item: NewMessage) -> Message:
        """The stored message (or the one stored first under the same key), once committed; raises
        what refused it (ConversationClosedError, NotFound)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting.append((item, future))
        if self._drain_task is None:
            self._drain_task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                try:
                    results = await database_sync_to_async(_store_batch)(
                        [item for item, _ in batch]
                    )
                except Exception as error:  # the database is gone: every waiting socket is told
                    results = [error] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():  # the socket closed meanwhile; its client resends the key
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._drain_task = None


def _store_batch(batch: list[NewMessage]) -> list[Message | Exception]:
    try:
        return store_messages(batch)
    except Exception as error:
        if len(batch) == 1:
            return [error]
        # What the database refused in one message must not refuse the others: each on its own.
        logger.warning(
            "a batch of %d messages failed (%s); storing them one by one", len(batch), error
        )
        return [_store_batch([item])[0] for item in batch]


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, MessageWriter] = (
    weakref.WeakKeyDictionary()
)


def message_writer() -> MessageWriter:
    loop = asyncio.get_running_loop()
    if loop not in _writers:
        _writers[loop] = MessageWriter()
    return _writers[loop]


async def send_visitor_message_from_socket(
    *, visitor: Visitor, conversation: Conversation | None, body, client_key, address: str | None
) -> Message:
    """What the widget's socket sends. Into the visitor's live conversation through the writer;
    a message that starts a conversation (none yet, or the last one closed) goes the longer way,
    send_visitor_message, which also checks the flood limit."""
    if (
        conversation is not None
        and conversation.visitor_id == visitor.pk
        and not conversation.is_closed
    ):
        item = NewMessage(
            conversation_id=conversation.pk,
            sender=SenderKind.VISITOR,
            body=clean_body(body),
            key=clean_key(client_key),
        )
        try:
            return await message_writer().store(item)
        except ConversationClosedError:
            pass  # closed by an agent or the idle timer: the message starts the next conversation
    return await database_sync_to_async(send_visitor_message)(
        visitor=visitor,
        conversation=conversation,
        body=body,
        client_key=client_key,
        address=address,
    )


async def send_agent_message_from_socket(
    *, actor, conversation_id, body, client_key, is_internal: bool, following: bool = False
) -> Message:
    """What the agent's socket sends, stored through the writer with everything else arriving. A
    reply in a conversation the socket follows (it was assigned to this agent, or the agent opened
    it after the access check) goes straight to the writer, which checks under the lock that the
    agent serves it; anything else is first checked on the database thread (access_conversation)."""
    check_agent_may_send(actor=actor)  # the user's permissions, loaded with the socket
    item = NewMessage(
        conversation_id=0,
        sender=SenderKind.AGENT,
        body=clean_body(body),
        key=clean_key(client_key),
        author=actor,
        is_internal=is_internal,
    )
    if not (following and not is_internal):
        conversation_id = await database_sync_to_async(_visible_id)(actor, conversation_id)
    return await message_writer().store(dataclasses.replace(item, conversation_id=conversation_id))


def _visible_id(actor, conversation_id) -> int:
    from kefu.conversations.selectors import access_conversation

    return access_conversation(actor=actor, conversation_id=conversation_id).pk
