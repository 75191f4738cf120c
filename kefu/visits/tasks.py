"""Background work of return visits: the 25th's plan reminder and the issuing of a plan."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kefu.visits import services

logger = logging.getLogger(__name__)


# Huey runs in UTC (settings.HUEY utc): 01:00 UTC is 09:00 in Asia/Shanghai, on the 25th.
@db_periodic_task(crontab(day="25", hour="1", minute="0"))
def remind_visit_plan() -> None:
    campaign = services.remind_next_month_plan()
    logger.info("visit plan reminder: plan %s", campaign.number)


@db_task()
def issue_campaign_task(campaign_id: int) -> None:
    services.issue_campaign(campaign_id=campaign_id)
