"""Background work of work orders: the lateness sweep (late arrival, overdue completion)."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kefu.dispatch.services import sweep_lateness

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
def sweep_work_order_lateness() -> None:
    """Every five minutes: announce each late arrival and overdue completion once."""
    result = sweep_lateness()
    if result.late_arrivals or result.overdue:
        logger.info(
            "work orders: %d late arrivals, %d overdue", result.late_arrivals, result.overdue
        )
