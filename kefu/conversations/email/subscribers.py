"""An agent's reply in an e-mail conversation is sent by SMTP after commit, in a Huey worker; a failed
one is sent again when an agent resends it."""

import logging

from kefu.conversations.events import EmailReplyStateChanged, MessagePosted
from kefu.conversations.models import (
    ChannelKind,
    MailDirection,
    MailRecord,
    MailSendState,
    Message,
    SenderKind,
)

logger = logging.getLogger(__name__)


def is_email_reply(event: MessagePosted) -> bool:
    """An agent's answer (not a note) in an e-mail conversation: checked before a task is queued."""
    return (
        event.channel == ChannelKind.EMAIL
        and event.sender == SenderKind.AGENT
        and not event.is_internal
    )


def is_resend(event: EmailReplyStateChanged) -> bool:
    return event.state == MailSendState.SENDING


def send_agent_reply(event: MessagePosted) -> None:
    """Make the reply's mail record and its first attempt here; later ones are scheduled tasks."""
    from kefu.conversations.email.services import prepare_email_reply
    from kefu.conversations.tasks import send_email_reply_attempt

    message = (
        Message.objects.select_related("conversation__inbox").filter(pk=event.message_id).first()
    )
    if message is None or not is_email_reply(event):
        return
    record = prepare_email_reply(message=message)
    if record.send_state == MailSendState.SENDING and record.attempts == 0:
        send_email_reply_attempt.call_local(record.pk, 1)


def send_resent_reply(event: EmailReplyStateChanged) -> None:
    from kefu.conversations.tasks import send_email_reply_attempt

    record = MailRecord.objects.filter(
        message_id=event.message_id, direction=MailDirection.OUT
    ).first()
    if record is not None and record.send_state == MailSendState.SENDING and record.attempts == 0:
        send_email_reply_attempt.call_local(record.pk, 1)
