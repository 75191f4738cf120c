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
from collections import defaultdict

from channels.layers import InMemoryChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer

logger = logging.getLogger(__name__)

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
            queue = self.channels.setdefault(channel, asyncio.Queue(maxsize=self.get_capacity(channel)))
            try:
                queue.put_nowait((expires, dict(message)))  # receivers copy what they change
            except asyncio.QueueFull:
                logger.warning("socket %s is %d pushes behind; dropped one for %s", channel, queue.qsize(), group)


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


async def group_send_many(layer, sends: list[tuple[str, dict]]) -> None:
    """Send each (group, message) in order, at once where the layer can."""
    if isinstance(layer, RedisPubSubLayer):
        await layer.group_send_many(sends)
    else:
        for group, message in sends:
            await layer.group_send(group, message)
