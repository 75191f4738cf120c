"""Background work of conversations: auto-close after idle time (default 30 minutes per inbox), and
fetching the mail of e-mail inboxes."""

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kefu.conversations.services.lifecycle import close_idle

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def close_idle_conversations() -> None:
    """Every minute: close conversations idle past their inbox's auto-close time."""
    closed = close_idle(now=timezone.now())
    if closed:
        logger.info("auto-closed %d idle conversations", closed)


@db_periodic_task(crontab(minute="*"))
def poll_email_inboxes() -> None:
    """Every minute: fetch the unseen mail of every e-mail inbox (kefu/conversations/email/)."""
    from kefu.conversations.email.services import poll_all_inboxes

    stored = poll_all_inboxes()
    if stored:
        logger.info("stored %d e-mails", stored)
