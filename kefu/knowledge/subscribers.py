"""What the knowledge base does when chats change: a customer's message is checked for anger or
urgency (flagged to the supervisors), and a closed chat's question → answer pairs are kept as past
answers for agent assist."""

from kefu.conversations.events import ConversationClosed, MessagePosted
from kefu.conversations.models import Conversation, Message, SenderKind
from kefu.core.events import Delivery, subscribe
from kefu.knowledge.flags import may_flag


def is_customer_message(event: MessagePosted) -> bool:
    """A customer's message that may read angry or urgent: only those cost a queued task (a chat
    carries a thousand messages a second, most of them calm)."""
    return event.sender == SenderKind.VISITOR and not event.is_internal and may_flag(event.body)


def on_customer_message(event: MessagePosted) -> None:
    from kefu.knowledge.services import flag_message

    earlier = list(
        Message.objects.filter(
            conversation_id=event.conversation_id,
            sender=SenderKind.VISITOR,
            is_internal=False,
            seq__lt=event.seq,
        )
        .order_by("-seq")
        .values_list("body", flat=True)[:5]
    )
    assignee_id = (
        Conversation.objects.filter(pk=event.conversation_id)
        .values_list("assignee_id", flat=True)
        .first()
    )
    flag_message(
        conversation_id=event.conversation_id,
        message_id=event.message_id,
        body=event.body,
        earlier_bodies=list(reversed(earlier)),
        assignee_id=assignee_id,
    )


def on_conversation_closed(event: ConversationClosed) -> None:
    from kefu.knowledge.services import collect_chat_answers

    collect_chat_answers(conversation_id=event.conversation_id)


def register() -> None:
    subscribe(
        MessagePosted,
        f"{__name__}.on_customer_message",
        mode=Delivery.TASK,
        when=is_customer_message,
    )
    subscribe(ConversationClosed, f"{__name__}.on_conversation_closed", mode=Delivery.TASK)
