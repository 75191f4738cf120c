"""An agent's reply in an e-mail conversation is sent by SMTP after commit, in a Huey worker."""

import logging

from kefu.conversations.events import MessagePosted
from kefu.conversations.models import ChannelKind, Message, SenderKind

logger = logging.getLogger(__name__)


def send_agent_reply(event: MessagePosted) -> None:
    from kefu.conversations.email.services import send_email_reply

    if event.sender != SenderKind.AGENT or event.is_internal:
        return
    message = Message.objects.select_related("conversation__inbox").filter(pk=event.message_id).first()
    if message is None or message.conversation.inbox.kind != ChannelKind.EMAIL:
        return
    send_email_reply(message.conversation, message)
