"""Real-time pushes for domain events (inline subscribers). Recipients come from audiences.py."""

from django.apps import apps

from kefu.accounts.events import PresenceChanged, StandingChanged
from kefu.conversations.events import (
    ConversationAssigned,
    ConversationClosed,
    ConversationRated,
    ConversationRequeued,
    ConversationStarted,
    EmailReplyStateChanged,
    MessagePosted,
)
from kefu.core.events import Delivery, subscribe
from kefu.realtime import audiences
from kefu.tickets.events import (
    TicketCreated,
    TicketSlaBreached,
    TicketSlaWarning,
    TicketTransitioned,
)


def push_presence(event: PresenceChanged) -> None:
    payload = {"event": event.name, "user_id": event.user_id, "presence": event.presence}
    audiences.push(audiences.user_group(event.user_id), payload)
    audiences.push(audiences.SUPERVISORS_GROUP, payload)


def push_standing(event: StandingChanged) -> None:
    """Every open socket of the user checks its session again (and closes if it no longer holds:
    kefu/realtime/consumers.py); the browser is told nothing but the close."""
    from kefu.realtime.consumers import STANDING_EVENT

    audiences.push(
        audiences.user_group(event.user_id), {"event": STANDING_EVENT, "user_id": event.user_id}
    )


def push_message(event: MessagePosted) -> None:
    message = {
        "id": event.message_id,
        "seq": event.seq,
        "sender": event.sender,
        "author_name": event.author_name,
        "body": event.body,
        "created_at": event.created_at,
    }
    visitor_group = audiences.visitor_group(event.conversation_id)
    for group in audiences.message_groups(
        conversation_id=event.conversation_id, is_internal=event.is_internal
    ):
        if group == visitor_group:
            shown = message
        else:
            shown = {**message, "author_id": event.author_id, "is_internal": event.is_internal}
        audiences.push(
            group,
            {
                "event": "conversations.message",
                "conversation_id": event.conversation_id,
                "message": shown,
            },
        )


def push_email_state(event: EmailReplyStateChanged) -> None:
    """Agents looking at the chat see the reply's mark change (sending, sent, not sent); its author
    is told of a failure by a notification (kefu/notifications/subscribers.py)."""
    audiences.push_many(
        audiences.conversation_groups(conversation_id=event.conversation_id, supervisors=False),
        {
            "event": event.name,
            "conversation_id": event.conversation_id,
            "message_id": event.message_id,
            "state": event.state,
        },
    )


def push_started(event: ConversationStarted) -> None:
    audiences.push(
        audiences.SUPERVISORS_GROUP,
        {
            "event": event.name,
            "conversation_id": event.conversation_id,
            "inbox_id": event.inbox_id,
            "customer_id": event.customer_id,
        },
    )


def push_assigned(event: ConversationAssigned) -> None:
    payload = {
        "event": event.name,
        "conversation_id": event.conversation_id,
        "assignee_id": event.assignee_id,
        "assignee_name": event.assignee_name,
        "previous_assignee_id": event.previous_assignee_id,
    }
    audiences.push_many(
        audiences.conversation_groups(
            conversation_id=event.conversation_id,
            user_ids=(event.assignee_id, event.previous_assignee_id),
        ),
        payload,
    )
    audiences.push(
        audiences.visitor_group(event.conversation_id),
        {
            "event": "conversations.agent_joined",
            "conversation_id": event.conversation_id,
            "agent_name": event.assignee_name,
        },
    )


def push_requeued(event: ConversationRequeued) -> None:
    payload = {
        "event": event.name,
        "conversation_id": event.conversation_id,
        "team_id": event.team_id,
        "previous_assignee_id": event.previous_assignee_id,
    }
    audiences.push_many(
        audiences.conversation_groups(
            conversation_id=event.conversation_id,
            user_ids=(event.previous_assignee_id,),
        ),
        payload,
    )
    audiences.push(
        audiences.visitor_group(event.conversation_id),
        {
            "event": "conversations.waiting",
            "conversation_id": event.conversation_id,
        },
    )


def push_closed(event: ConversationClosed) -> None:
    payload = {
        "event": event.name,
        "conversation_id": event.conversation_id,
        "reason": event.reason,
    }
    audiences.push_many(
        audiences.conversation_groups(
            conversation_id=event.conversation_id, user_ids=(event.assignee_id,)
        ),
        payload,
    )
    audiences.push(audiences.visitor_group(event.conversation_id), payload)


def push_rated(event: ConversationRated) -> None:
    payload = {
        "event": event.name,
        "conversation_id": event.conversation_id,
        "rating": event.rating,
    }
    audiences.push_many(
        audiences.conversation_groups(
            conversation_id=event.conversation_id, user_ids=(event.assignee_id,)
        ),
        payload,
    )


def push_queue(event: ConversationAssigned | ConversationClosed | ConversationRequeued) -> None:
    """The queue of the conversation's inbox moved: tell each waiting visitor their new place."""
    from kefu.conversations.models import Conversation
    from kefu.conversations.selectors import queue_positions

    inbox_id = (
        Conversation.objects.filter(pk=event.conversation_id)
        .values_list("inbox_id", flat=True)
        .first()
    )
    if inbox_id is None:
        return
    for conversation_id, position in queue_positions(inbox_id):
        audiences.push(
            audiences.visitor_group(conversation_id),
            {
                "event": "conversations.queue",
                "conversation_id": conversation_id,
                "position": position,
            },
        )


def push_incoming_call(event) -> None:
    from kefu.telephony.selectors import caller_card

    card = caller_card(event.call_id)
    if card is not None:
        for group in audiences.incoming_call_groups(agent_id=event.agent_id):
            audiences.push(group, card)


# Open live boards (kefu/static/reports/board.js) read themselves again after this push; the chats'
# and presence pushes above reach supervisors already, the tickets' changes are told without detail.
BOARD_CHANGED = "reports.board_changed"


def push_board_changed(
    event: TicketCreated | TicketTransitioned | TicketSlaWarning | TicketSlaBreached,
) -> None:
    audiences.push(audiences.SUPERVISORS_GROUP, {"event": BOARD_CHANGED})


def push_notification(event) -> None:
    """A new notification: the recipient's open pages show the toast and the bell's count."""
    audiences.push(
        audiences.user_group(event.recipient_id),
        {"event": "notification", "title": event.title, "link": event.link, "unread": event.unread},
    )


def push_survey_offered(event) -> None:
    """A survey offered after a chat ended: the visitor's widget shows its link."""
    from kefu.visits.services.surveys import widget_survey_link

    url = widget_survey_link(event.conversation_id)
    if url is not None:
        audiences.push(
            audiences.visitor_group(event.conversation_id),
            {"event": "visits.survey", "conversation_id": event.conversation_id, "url": url},
        )


def register() -> None:
    subscribe(PresenceChanged, push_presence, mode=Delivery.INLINE)
    subscribe(StandingChanged, push_standing, mode=Delivery.INLINE)
    subscribe(MessagePosted, push_message, mode=Delivery.INLINE)
    subscribe(ConversationStarted, push_started, mode=Delivery.INLINE)
    subscribe(EmailReplyStateChanged, push_email_state, mode=Delivery.INLINE)
    subscribe(ConversationAssigned, push_assigned, mode=Delivery.INLINE)
    subscribe(ConversationRequeued, push_requeued, mode=Delivery.INLINE)
    subscribe(ConversationClosed, push_closed, mode=Delivery.INLINE)
    subscribe(ConversationRated, push_rated, mode=Delivery.INLINE)
    subscribe(ConversationAssigned, push_queue, mode=Delivery.INLINE)
    subscribe(ConversationClosed, push_queue, mode=Delivery.INLINE)
    subscribe(ConversationRequeued, push_queue, mode=Delivery.INLINE)
    subscribe(TicketCreated, push_board_changed, mode=Delivery.INLINE)
    subscribe(TicketTransitioned, push_board_changed, mode=Delivery.INLINE)
    subscribe(TicketSlaWarning, push_board_changed, mode=Delivery.INLINE)
    subscribe(TicketSlaBreached, push_board_changed, mode=Delivery.INLINE)
    if apps.is_installed("kefu.telephony"):
        from kefu.telephony.events import IncomingCallRinging

        subscribe(IncomingCallRinging, push_incoming_call, mode=Delivery.INLINE)
    if apps.is_installed("kefu.notifications"):
        from kefu.notifications.events import NotificationCreated

        subscribe(NotificationCreated, push_notification, mode=Delivery.INLINE)
    if apps.is_installed("kefu.visits"):
        from kefu.visits.events import SurveyOffered

        subscribe(SurveyOffered, push_survey_offered, mode=Delivery.INLINE)
