"""The background worker's health: a heartbeat the worker writes and /healthz reads.

The heartbeat lives in Huey's own storage (SQLite file or Redis), so it works in both modes
without another table, and whatever process serves /healthz reads what the worker wrote.
"""

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections
from huey import Huey

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "kefu:worker-heartbeat"
# How often a worker process queues its heartbeat task (besides Huey's minute), so /healthz sees the
# worker again seconds after Redis comes back, not at the next minute or later (issue 10.9).
HEARTBEAT_EVERY_SECONDS = 5
_heartbeat_started = threading.Lock()


def record_heartbeat(huey: Huey) -> None:
    huey.put(HEARTBEAT_KEY, time.time())


def heartbeat_age(huey: Huey) -> float | None:
    """Seconds since the worker last wrote its heartbeat, or None if it never did."""
    beat = huey.get(HEARTBEAT_KEY, peek=True)
    return None if beat is None else max(time.time() - float(beat), 0.0)


def worker_state(huey: Huey) -> dict[str, str | float]:
    if huey.immediate:
        return {"state": "ok", "mode": "immediate"}
    try:
        age = heartbeat_age(huey)
    except Exception as exc:  # storage unreachable (Redis down, file unreadable)
        return {"state": "down", "error": type(exc).__name__}
    if age is None:
        return {"state": "down", "error": "no heartbeat"}
    state = "ok" if age <= settings.KEFU_WORKER_HEARTBEAT_MAX_AGE else "down"
    return {"state": state, "heartbeat_age_seconds": round(age, 1)}


def start_heartbeat(huey: Huey, *, beat: Callable[[], object]) -> None:
    """Once per worker process: a thread that queues `beat` (the heartbeat task, so the beat proves
    that queued work runs) every few seconds, and queues again the work kept in the database while
    Redis was unreachable (kefu/core/queue.py) as soon as Redis takes it."""
    if huey.immediate or not _heartbeat_started.acquire(blocking=False):
        return
    threading.Thread(target=_beat, args=(huey, beat), name="kefu-heartbeat", daemon=True).start()


def _beat(huey: Huey, beat: Callable[[], object]) -> None:
    from kefu.core.queue import requeue_kept

    reachable = True
    while True:
        time.sleep(HEARTBEAT_EVERY_SECONDS)
        try:
            beat()
            requeue_kept(huey)
            if not reachable:
                logger.warning("the task queue answers again")
            reachable = True
        except Exception as error:  # the queue is unreachable: said once, tried again
            if reachable:
                logger.warning("the task queue is unreachable: %s", error)
            reachable = False
        finally:
            close_old_connections()
