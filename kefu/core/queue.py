"""Huey on Redis that loses no background work while Redis is unreachable (issue 10.9).

Huey's Redis storage raises when Redis is down, and the work a committed change asked for (an
event's task subscribers, a mail to send) was lost: `events._deliver` logs the failure and goes on,
because the change itself is already committed. `KeepingRedisHuey` keeps such a task in the
database instead (`KeptTask`), and `requeue_kept()` queues the kept tasks again, oldest first, once
Redis answers: the worker's heartbeat calls it every few seconds (kefu/core/tasks.py), so kept work
runs seconds after Redis is back. Periodic tasks are not kept: the next minute brings them again.
"""

from __future__ import annotations

import logging

from django.db import transaction
from huey import Huey, RedisHuey
from huey.api import PeriodicTask
from huey.storage import RedisStorage
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
REQUEUE_AT_ONCE = 200


class KeepingRedisStorage(RedisStorage):
    huey: KeepingRedisHuey

    def enqueue(self, data: bytes, priority: int | None = None) -> None:
        try:
            super().enqueue(data, priority)
        except UNREACHABLE as error:
            task = self.huey.deserialize_task(data)
            if isinstance(task, PeriodicTask):
                raise
            _keep(data, priority)
            logger.warning(
                "Redis unreachable (%s): task %s kept in the database, queued when Redis is back",
                type(error).__name__,
                task.name,
            )


class KeepingRedisHuey(RedisHuey):
    storage_class = KeepingRedisStorage

    def create_storage(self) -> KeepingRedisStorage:
        storage: KeepingRedisStorage = super().create_storage()  # of storage_class
        storage.huey = self
        return storage


def _keep(data: bytes, priority: int | None) -> None:
    from kefu.core.models import KeptTask

    KeptTask.objects.create(data=data, priority=priority)


def requeue_kept(huey: Huey) -> int:
    """Queue the kept tasks again, oldest first; returns how many. Stops at the first that Redis
    refuses (it stays kept). Several workers may call this at once: each takes rows no other holds."""
    from django.db import connection

    from kefu.core.models import KeptTask

    if not isinstance(huey.storage, KeepingRedisStorage) or not KeptTask.objects.exists():
        return 0
    queued = 0
    with transaction.atomic():
        rows = KeptTask.objects.order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        for row in rows[:REQUEUE_AT_ONCE]:
            try:
                RedisStorage.enqueue(huey.storage, bytes(row.data), row.priority)
            except UNREACHABLE:
                break
            row.delete()
            queued += 1
    if queued:
        logger.info("queued %d background tasks kept while Redis was unreachable", queued)
    return queued
