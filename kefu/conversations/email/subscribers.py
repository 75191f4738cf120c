"""An agent's reply in an e-mail conversation is sent by SMTP after commit, in a Huey worker."""

import logging

from kefu.conversations.events import MessagePosted
from kefu.conversations.models import ChannelKind, Message, SenderKind

logger = logging.getLogger(__name__)


def is_email_reply(event: MessagePosted) -> bool:
    """An agent's answer (not a note) in an e-mail conversation: checked before a task is queued."""
    return event.channel == ChannelKind.EMAIL and event.sender == SenderKind.AGENT and not event.is_internal


def send_agent_reply(event: MessagePosted) -> None:
    from kefu.conversations.email.services import send_email_reply

    message = Message.objects.select_related("conversation__inbox").filter(pk=event.message_id).first()
    if message is not None and is_email_reply(event):
        send_email_reply(message.conversation, message)
