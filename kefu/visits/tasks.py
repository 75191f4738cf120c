"""Background work of return visits: the 25th's plan reminder, the issuing of a plan, the deadline
alerts, survey SMS and the care messages."""

import logging

from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kefu.accounts.models import User
from kefu.visits import services
from kefu.visits.services import care, surveys

logger = logging.getLogger(__name__)


# Huey runs in UTC (settings.HUEY utc): 01:00 UTC is 09:00 in Asia/Shanghai, on the 25th.
@db_periodic_task(crontab(day="25", hour="1", minute="0"))
def remind_visit_plan() -> None:
    campaign = services.remind_next_month_plan()
    logger.info("visit plan reminder: plan %s", campaign.number)


@db_task()
def issue_campaign_task(campaign_id: int) -> None:
    services.issue_campaign(campaign_id=campaign_id)


def start_issuing(*, actor: User, campaign_id: int, expected_version: int | None = None) -> None:
    """Mark an approved plan as issuing and queue the making of its tasks once committed (the
    worker must find the plan in state issuing): the page's and the API's one way to issue."""
    services.start_issuing(actor=actor, campaign_id=campaign_id, expected_version=expected_version)
    transaction.on_commit(lambda: issue_campaign_task(campaign_id))


@db_periodic_task(crontab(minute="*/10"))
def sweep_visit_deadlines_task() -> None:
    told = services.sweep_visit_deadlines()
    if any(told.values()):
        logger.info("visit deadlines: %s", told)


@db_task()
def send_survey_sms_task(invitation_id: int) -> None:
    surveys.send_survey_sms(invitation_id=invitation_id)


@db_periodic_task(crontab(minute="*/5"))
def send_due_care_task() -> None:
    care.send_due_care()


# 00:30 UTC is 08:30 in Asia/Shanghai: today's birthdays are scheduled (sent from 09:00 at the
# earliest, the end of the night's quiet hours).
@db_periodic_task(crontab(hour="0", minute="30"))
def schedule_birthdays_task() -> None:
    care.schedule_birthdays()
