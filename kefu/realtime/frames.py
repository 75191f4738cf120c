"""What every kefu socket shares: JSON frames, where a frame that is not JSON is ignored, not fatal."""

import asyncio
import logging
from collections.abc import Awaitable

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError

logger = logging.getLogger(__name__)


def frame_int(value) -> int:
    """A non-negative whole number from a frame (ids, sequence numbers), at most a 64-bit id; anything
    else is 0."""
    try:
        return min(max(int(value or 0), 0), 2**63 - 1)
    except (TypeError, ValueError, OverflowError):
        return 0


class JsonFrameConsumer(AsyncJsonWebsocketConsumer):
    @classmethod
    async def decode_json(cls, text_data):
        """A frame that is not JSON arrives as None; receive_json answers it like any unknown frame."""
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    async def receive_json(self, content, **kwargs):
        """Parse the frame, hand it to `frame(type, key, content)`."""
        content = content if isinstance(content, dict) else {}
        key = content.get("key")
        await self.answered(key, self.frame(content.get("type"), key, content))

    async def answered(self, key, work: Awaitable) -> None:
        """Await `work`; a refusal or an unknown id is answered on the socket with the frame's key,
        never by closing it."""
        try:
            await work
        except Http404:
            await self.send_json({"event": "error", "code": "not_found", "key": key,
                                  "message": _("Conversation not found.")})
        except DomainError as error:
            await self.send_json({"event": "error", "code": "refused", "key": key, "message": str(error)})

    def in_background(self, key, work: Awaitable) -> None:
        """Run `work` after the work put in the background before it, in order, without holding up
        the socket: pushes keep reaching a busy agent while a message waits for its commit (frames
        are otherwise handled one at a time; bench/README.md, chat, agents answering)."""
        previous = getattr(self, "_background", None)

        async def run() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            try:
                await self.answered(key, work)
            except Exception:  # the socket closed meanwhile, or the database failed: the client resends
                logger.warning("a background frame of %s failed", self.channel_name, exc_info=True)

        self._background = asyncio.ensure_future(run())

    async def dispatch(self, message):
        """channels' dispatch without its `aclose_old_connections()` before every message: a hop to
        the one database thread for each frame and each push (14% of a busy chat server's time,
        queued behind the message writer). kefu's sockets reach the database only through
        database_sync_to_async, which closes old connections around each call itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def push(self, message):
        """A push from the channel layer: passed to `deliver` once, even when it reached this socket
        through two of its groups (`self.recent`, set in connect)."""
        payload = dict(message["payload"])
        if self.recent.first_time(payload):
            await self.deliver(payload)

    async def frame(self, frame_type, key, content) -> None:
        raise NotImplementedError  # each consumer handles its own frames

    async def deliver(self, payload: dict) -> None:
        raise NotImplementedError  # each consumer decides what of a push its client sees

    async def unknown_frame(self) -> None:
        await self.send_json({"event": "error", "code": "bad_frame", "message": _("Unknown request.")})
