"""Background work of conversations: auto-close after idle time (default 30 minutes per inbox),
routing what waits when a team's working hours begin, fetching the mail of e-mail inboxes, and
sending agents' e-mail replies with retries."""

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kefu.conversations.services.lifecycle import close_idle

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def close_idle_conversations() -> None:
    """Every minute: close conversations idle past their inbox's auto-close time."""
    closed = close_idle(now=timezone.now())
    if closed:
        logger.info("auto-closed %d idle conversations", closed)


@db_periodic_task(crontab(minute="*"))
def route_waiting_conversations() -> None:
    """Every minute: chats that waited while their team was off duty go to its agents once the
    team's hours begin (routing otherwise runs on events: a chat starts, an agent comes online…)."""
    from kefu.conversations.services.routing import assign_waiting

    made = assign_waiting()
    if made:
        logger.info("routed %d waiting conversations", len(made))


@db_periodic_task(crontab(minute="*"))
def poll_email_inboxes() -> None:
    """Every minute: fetch the unseen mail of every e-mail inbox (kefu/conversations/email/)."""
    from kefu.conversations.email.services import poll_all_inboxes

    stored = poll_all_inboxes()
    if stored:
        logger.info("stored %d e-mails", stored)


@db_periodic_task(crontab(minute="*/10"))
def give_up_stalled_email_replies() -> None:
    """Every ten minutes: replies left "sending" by a worker that died are given up and the agent told."""
    from kefu.conversations.email.services import give_up_stalled_replies

    stalled = give_up_stalled_replies(now=timezone.now())
    if stalled:
        logger.warning("%d e-mail replies had stalled; their agents were told", stalled)


@db_task()
def send_email_reply_attempt(record_id: int, attempt: int) -> None:
    """One attempt at sending an agent's e-mail reply; after a temporary failure the next attempt is
    scheduled here (kefu/conversations/email/services.py: RETRY_DELAYS). Not Huey's own `retries`:
    the attempt number decides the delay and when to give up and tell the agent."""
    from kefu.conversations.email.services import attempt_email_reply

    delay = attempt_email_reply(record_id=record_id, attempt=attempt)
    if delay is not None:
        send_email_reply_attempt.schedule(args=(record_id, attempt + 1), delay=delay)
