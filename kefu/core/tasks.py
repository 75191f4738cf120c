"""Background work of the core: event delivery to task subscribers and the worker heartbeat."""

from typing import Any

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, on_startup

from kefu.core import worker


@db_task(retries=3, retry_delay=10)
def deliver_event(handler_path: str, event_name: str, payload: dict[str, Any]) -> None:
    from kefu.core.events import run_subscriber

    run_subscriber(handler_path, event_name, payload)


@db_periodic_task(crontab(minute="*"))
def record_worker_heartbeat() -> None:
    worker.record_heartbeat(HUEY)


@on_startup()
def record_heartbeat_on_start() -> None:
    worker.record_heartbeat(HUEY)
    worker.start_heartbeat(HUEY, beat=record_worker_heartbeat)
