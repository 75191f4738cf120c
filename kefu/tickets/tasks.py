"""Background work of tickets: the time-limit sweep (warnings before a breach, escalation after)."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kefu.tickets.services.sla import sweep_sla

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
def sweep_ticket_time_limits() -> None:
    """Every five minutes: record and announce each warning and breach once (services/sla.py)."""
    result = sweep_sla()
    if result.warnings or result.breaches:
        logger.info(
            "ticket time limits: %d warnings, %d breaches", result.warnings, result.breaches
        )
