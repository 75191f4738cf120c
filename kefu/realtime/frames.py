"""What every kefu socket shares: JSON frames, where a frame that is not JSON is ignored, not fatal."""

import asyncio
import json
import logging
from collections.abc import Awaitable

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404
from django.utils.translation import gettext as _

from kefu.conversations.services.messages import MAX_BODY_CHARS, MAX_KEY_CHARS
from kefu.core.errors import DomainError, NotFound
from kefu.realtime import layers

logger = logging.getLogger(__name__)

# The largest frame the server accepts (uvicorn's ws_max_size; `server_options`). Every frame the
# application would answer fits: a message of MAX_BODY_CHARS with its key, each character written
# as JSON's longest escape (12 bytes: a surrogate pair as two \uXXXX), plus the frame's other fields.
# A larger frame cannot be a message the application would take, so the server closes the socket
# (1009) instead of reading up to websockets' default of 16 MiB first.
MAX_FRAME_BYTES = (MAX_BODY_CHARS + MAX_KEY_CHARS) * 12 + 4096


def server_options() -> dict:
    """uvicorn's websocket settings for kefu's sockets: `kefu serve` and the test server use them."""
    return {
        "ws_max_size": MAX_FRAME_BYTES,
        # Chat frames are a few hundred bytes: compressing each cost 7% of a busy chat server's
        # time for next to nothing saved (bench/README.md, chat).
        "ws_per_message_deflate": False,
    }


def frame_int(value) -> int:
    """A non-negative whole number from a frame (ids, sequence numbers), at most a 64-bit id; anything
    else is 0."""
    try:
        return min(max(int(value or 0), 0), 2**63 - 1)
    except (TypeError, ValueError, OverflowError):
        return 0


# The socket was closed because the channel layer (Redis, scaled mode) cannot be reached: live
# updates cannot flow, so clients fall back (the widget to its message form) and try again soon.
CLOSE_UNAVAILABLE = 4503


class JsonFrameConsumer(AsyncJsonWebsocketConsumer):
    """Channels' JSON consumer, and what kefu's sockets add: frames answered with their key; a
    socket that Redis cannot serve is told so and closed with CLOSE_UNAVAILABLE (not an HTTP 500 at
    connect, not left open and deaf): `__call__`, `layer_lost`."""

    _accepted = False
    _connect_read = False
    _gone = False

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except Exception as error:
            if not layers.unreachable(error):
                raise
            logger.warning(
                "Redis unreachable (%s: %s): %s told and closed",
                type(error).__name__,
                error,
                scope.get("path", "socket"),
            )
            await self._unavailable(receive, send)

    async def _unavailable(self, receive, send) -> None:
        """Answer the client directly (the consumer's own machinery needs the layer)."""
        if self._gone:
            return
        try:
            if not self._accepted:
                if not self._connect_read and (await receive())["type"] != "websocket.connect":
                    return
                await send({"type": "websocket.accept"})
            text = json.dumps(self.unavailable_frame(), ensure_ascii=False)
            await send({"type": "websocket.send", "text": text})
            await send({"type": "websocket.close", "code": CLOSE_UNAVAILABLE})
        except Exception as error:  # the client went meanwhile
            logger.debug("could not tell a socket that Redis is unreachable: %s", error)

    def unavailable_frame(self) -> dict:
        return {
            "event": "unavailable",
            "message": _("Live updates are unavailable at the moment; reconnecting…"),
        }

    async def layer_lost(self) -> None:
        """The layer's watch found Redis unreachable (layers.LayerWatch)."""
        if self._gone:
            return
        await self.send_json(self.unavailable_frame())
        await self.close(code=CLOSE_UNAVAILABLE)

    async def websocket_connect(self, message):
        self._connect_read = True
        await super().websocket_connect(message)

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        self._accepted = True
        layers.watch(self)

    async def websocket_disconnect(self, message):
        self._gone = True
        layers.unwatch(self)
        await super().websocket_disconnect(message)

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
        except (Http404, NotFound):
            await self.send_json(
                {
                    "event": "error",
                    "code": "not_found",
                    "key": key,
                    "message": _("Conversation not found."),
                }
            )
        except DomainError as error:
            await self.send_json(
                {"event": "error", "code": "refused", "key": key, "message": str(error)}
            )

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
            except (
                Exception
            ):  # the socket closed meanwhile, or the database failed: the client resends
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
        await self.send_json(
            {"event": "error", "code": "bad_frame", "message": _("Unknown request.")}
        )
