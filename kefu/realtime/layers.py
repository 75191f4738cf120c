"""kefu's channel layers: pushes cost O(recipients), and a batch of pushes is sent at once.

LocalChannelLayer (embedded mode, in process):

channels' InMemoryChannelLayer walks every channel and every group membership (to expire old
messages) on each group_send and on each receive, makes a task and a deep copy per recipient, and
drops a message silently when a socket's queue is full. With 1,000 chats open that is O(all
sockets) for every message (bench/README.md, chat). Here expiry runs at most once a second, a
group send puts the message straight on each member's queue, and a full queue is logged.

RedisPubSubLayer (scaled mode): channels_redis' pub/sub layer, whose group_send is one round trip
to Redis under a lock; the pushes of one batch (push_all) go in one pipeline instead. With 1,000
chats at 1,000 messages/s, one round trip per push put the agents' screens seconds behind.
"""

import asyncio
import logging
import time
import traceback
import weakref
from collections import defaultdict

from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer

from kefu.core.queue import UNREACHABLE  # what a channel layer raises when Redis cannot be reached

logger = logging.getLogger(__name__)


def unreachable(error: BaseException) -> bool:
    """Whether `error` says the layer's Redis cannot serve a socket now: a connection error, or the
    RuntimeError redis-py raises when channels-redis's receive task and a new subscription both read
    the one pub/sub connection while it reconnects after an outage ("readuntil() called while
    another coroutine is already waiting", seen in CI as an HTTP 500 on connect). Either way the
    client is told and tries again in a few seconds."""
    if isinstance(error, UNREACHABLE):
        return True
    return isinstance(error, RuntimeError) and any(
        frame.f_globals.get("__name__", "").startswith("redis.")
        for frame, _line in traceback.walk_tb(error.__traceback__)
    )


EXPIRY_SWEEP_SECONDS = 1.0


class LocalChannelLayer(InMemoryChannelLayer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._swept_at = 0.0

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._swept_at >= EXPIRY_SWEEP_SECONDS:
            self._swept_at = now
            super()._clean_expired()

    async def group_send(self, group, message):
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        expires = time.time() + self.expiry
        for channel in list(self.groups.get(group, ())):
            queue = self.channels.get(channel)
            if queue is None:  # not setdefault(…, Queue()): that built a queue for every push
                queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
            try:
                queue.put_nowait((expires, dict(message)))  # receivers copy what they change
            except asyncio.QueueFull:
                logger.warning(
                    "socket %s is %d pushes behind; dropped one for %s",
                    channel,
                    queue.qsize(),
                    group,
                )


class RedisPubSubLayer(RedisPubSubChannelLayer):
    async def group_send_many(self, sends: list[tuple[str, dict]]) -> None:
        """Publish each (group, message) in order, one pipeline per Redis shard."""
        layer = self._get_layer()
        by_shard = defaultdict(list)
        for group, message in sends:
            channel = layer._get_group_channel_name(group)
            by_shard[layer._get_shard(channel)].append((channel, self.serialize(message)))
        for shard, items in by_shard.items():
            async with shard._lock:
                shard._ensure_redis()
                pipeline = shard._redis.pipeline(transaction=False)
                for channel, data in items:
                    pipeline.publish(channel, data)
                await pipeline.execute()

    async def reachable(self, timeout: float = 1.0) -> bool:
        """Whether every Redis shard answers a PING within `timeout` seconds."""
        for shard in self._get_layer()._shards:
            shard._ensure_redis()
            try:
                await asyncio.wait_for(shard._redis.ping(), timeout)
            except (TimeoutError, *UNREACHABLE):
                return False
        return True


class LayerWatch:
    """While sockets are open in this process (one event loop), checks every WATCH_SECONDS that the
    channel layer's Redis answers. When it does not, each socket is told (`layer_lost`): nothing
    would reach it any more, so the widget offers its message form at once and reconnects when
    Redis is back, instead of sitting on a socket that has gone deaf (issue 10.9)."""

    WATCH_SECONDS = 1.0

    def __init__(self) -> None:
        self.sockets: weakref.WeakSet = weakref.WeakSet()
        self.task: asyncio.Task | None = None

    def add(self, consumer) -> None:
        self.sockets.add(consumer)
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._watch())

    def discard(self, consumer) -> None:
        self.sockets.discard(consumer)

    async def _watch(self) -> None:
        layer = get_channel_layer()
        while self.sockets:
            await asyncio.sleep(self.WATCH_SECONDS)
            if self.sockets and not await layer.reachable():
                lost = list(self.sockets)
                self.sockets.clear()
                logger.warning("Redis unreachable: %d sockets told and closed", len(lost))
                for consumer in lost:
                    try:
                        await consumer.layer_lost()
                    except Exception as error:  # the socket went meanwhile
                        logger.debug("socket gone before it was told: %s", error)


_watches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LayerWatch] = (
    weakref.WeakKeyDictionary()
)


def watch(consumer) -> None:
    """Have the layer watched for `consumer` (a no-op for the in-process layer, which cannot go)."""
    if not isinstance(get_channel_layer(), RedisPubSubLayer):
        return
    loop = asyncio.get_running_loop()
    if loop not in _watches:
        _watches[loop] = LayerWatch()
    _watches[loop].add(consumer)


def unwatch(consumer) -> None:
    watch_ = _watches.get(asyncio.get_running_loop())
    if watch_ is not None:
        watch_.discard(consumer)


async def group_send_many(layer, sends: list[tuple[str, dict]]) -> None:
    """Send each (group, message) in order, at once where the layer can."""
    if isinstance(layer, RedisPubSubLayer):
        await layer.group_send_many(sends)
    else:
        for group, message in sends:
            await layer.group_send(group, message)
