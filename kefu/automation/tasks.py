"""Background work of automation: evaluating the rules for an event, and each delivery's tries
(retried with backoff: deliveries.BACKOFF_SECONDS)."""

from __future__ import annotations

from typing import Any

from huey.contrib.djhuey import db_task

from kefu.automation import deliveries, engine


@db_task()
def evaluate_event(event_name: str, payload: dict[str, Any], chain: list[int]) -> None:
    engine.handle_event(event_name, payload, tuple(chain))


@db_task()
def deliver(delivery_id: int) -> None:
    wait = deliveries.attempt(delivery_id)
    if wait is not None:
        deliver.schedule(args=(delivery_id,), delay=wait)
