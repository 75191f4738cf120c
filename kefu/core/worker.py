"""The background worker's health: a heartbeat the worker writes and /healthz reads.

The heartbeat lives in Huey's own storage (SQLite file or Redis), so it works in both modes
without another table, and whatever process serves /healthz reads what the worker wrote.
"""

import time

from django.conf import settings

HEARTBEAT_KEY = "kefu:worker-heartbeat"


def record_heartbeat(huey) -> None:
    huey.put(HEARTBEAT_KEY, time.time())


def heartbeat_age(huey) -> float | None:
    """Seconds since the worker last wrote its heartbeat, or None if it never did."""
    beat = huey.get(HEARTBEAT_KEY, peek=True)
    return None if beat is None else max(time.time() - float(beat), 0.0)


def worker_state(huey) -> dict:
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
