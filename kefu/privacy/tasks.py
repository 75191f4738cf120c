"""Scheduled work of personal-data rights: queued erasures once their complaint closes, and the
daily purge of data past its retention time."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kefu.privacy import services


@db_periodic_task(crontab(minute="*/10"))
def complete_waiting_erasures_task() -> int:
    return services.complete_waiting_erasures()


@db_periodic_task(crontab(hour="3", minute="40"))
def purge_expired_task() -> dict[str, int]:
    return services.purge_expired()
