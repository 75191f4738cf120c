"""The in-process channel layer of embedded mode, with sends that cost O(recipients).

channels' InMemoryChannelLayer walks every channel and every group membership (to expire old
messages) on each group_send and on each receive, makes a task and a deep copy per recipient, and
drops a message silently when a socket's queue is full. With 1,000 chats open that is O(all
sockets) for every message (bench/README.md, chat). Here expiry runs at most once a second, a
group send puts the message straight on each member's queue, and a full queue is logged.
"""

import asyncio
import logging
import time

from channels.layers import InMemoryChannelLayer

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
