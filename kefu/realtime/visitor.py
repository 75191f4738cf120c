"""The chat widget's socket, /ws/visitor/<inbox key>/, opened from the customer's own site.

Not behind ALLOWED_HOSTS and sessions (kefu/asgi.py): the page is a third-party site, so the
socket is accepted only from the inbox's allowed origins, and the visitor is who their signed token
says. Frames from the widget (JSON, `type`):
    hello   {token, identity: {user_id, hmac}, conversation_id, last_seq}
            → `welcome` {token to keep, conversation_id, state, messages after last_seq,
            survey_url: the survey offered after the chat ended, or null}
    send    {key, body} → `ack` {key, seq, conversation_id} once stored; the same key again → the
            same ack. A message that starts a conversation is followed by `conversations.state`.
    typing  {}
    queue   {} → `conversations.queue` {conversation_id, position}: 1 for the next to be served,
            null when not waiting. Also pushed when the queue moves (realtime/subscribers.py), and
            part of `welcome` and `conversations.state` as `queue_position`.
    rate    {rating: 1–5}
    close   {}
Pushed besides: `visits.survey` {conversation_id, url}, the survey link offered after the chat ended.
Internal notes never reach this socket: audiences.py never puts one into a visitor group, and the
replay reads messages without them.
"""

from collections import deque

from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from kefu.realtime import audiences
from kefu.realtime.frames import JsonFrameConsumer, frame_int

CLOSE_UNKNOWN_INBOX = 4404
CLOSE_ORIGIN_REFUSED = 4403


def _inbox(key: str):
    from kefu.conversations.models import ChannelKind, Inbox

    return Inbox.objects.filter(public_key=key, kind=ChannelKind.WEB).first()


def _hello(inbox, token, claim, conversation_id, last_seq):
    from kefu.conversations.identity import verified_user_id
    from kefu.conversations.models import Conversation
    from kefu.conversations.selectors import (
        active_conversation,
        message_payload,
        messages_after,
        queue_position,
    )
    from kefu.conversations.services.visitors import identify_visitor

    visitor, token = identify_visitor(inbox=inbox, token=token, claim=claim)
    conversation = None
    if conversation_id is not None:
        # Another visitor's conversation id is answered as if the visitor had asked for none.
        conversation = Conversation.objects.filter(
            pk=frame_int(conversation_id), visitor=visitor
        ).first()
    conversation = conversation or active_conversation(visitor)
    welcome = {
        "event": "welcome",
        "token": token,
        "verified": visitor.external_id is not None,
        "conversation_id": conversation.pk if conversation else None,
        "state": conversation.state if conversation else None,
        "last_seq": conversation.last_seq if conversation else 0,
        "agent_name": _agent_name(conversation),
        "queue_position": queue_position(conversation) if conversation else None,
        "messages": [],
    }
    if conversation is not None:
        welcome["messages"] = [
            _shown(message_payload(m)) for m in messages_after(conversation, frame_int(last_seq))
        ]
        welcome["survey_url"] = _survey_url(conversation)
    if claim is not None and verified_user_id(secret=inbox.secret, claim=claim) is None:
        welcome["identity_refused"] = True
    return visitor, conversation, welcome


def _survey_url(conversation) -> str | None:
    """The survey link offered after the chat ended (visits), while it can be answered."""
    from django.apps import apps

    from kefu.conversations.models import ConversationState

    if conversation.state != ConversationState.CLOSED or not apps.is_installed("kefu.visits"):
        return None
    from kefu.visits.services.surveys import widget_survey_link

    return widget_survey_link(conversation.pk)


def _agent_name(conversation) -> str:
    return (
        str(conversation.assignee) if conversation is not None and conversation.assignee_id else ""
    )


def _state(conversation_id) -> dict:
    from kefu.conversations.models import Conversation
    from kefu.conversations.selectors import queue_position

    conversation = Conversation.objects.select_related("assignee").get(pk=conversation_id)
    return {
        "event": "conversations.state",
        "conversation_id": conversation.pk,
        "state": conversation.state,
        "agent_name": _agent_name(conversation),
        "queue_position": queue_position(conversation),
    }


def _queue(conversation_id) -> dict:
    from kefu.conversations.models import Conversation
    from kefu.conversations.selectors import queue_position

    conversation = Conversation.objects.get(pk=conversation_id)
    return {
        "event": "conversations.queue",
        "conversation_id": conversation.pk,
        "position": queue_position(conversation),
    }


def _client_address(scope) -> str | None:
    """The visitor's address as the server saw it (uvicorn applies the proxy's X-Forwarded-For when
    the proxy is trusted: FORWARDED_ALLOW_IPS)."""
    client = scope.get("client")
    return client[0] if client else None


def _shown(message: dict) -> dict:
    """A message as the visitor sees it: no agent ids, no internal flag."""
    return {k: v for k, v in message.items() if k not in {"author_id", "is_internal"}}


def _rate(visitor, conversation, rating):
    from kefu.conversations.services.lifecycle import rate_conversation

    rate_conversation(visitor=visitor, conversation=conversation, rating=rating)


def _close(visitor, conversation):
    from kefu.conversations.services.lifecycle import close_conversation

    close_conversation(visitor=visitor, conversation=conversation)


class VisitorConsumer(JsonFrameConsumer):
    def unavailable_frame(self) -> dict:
        """The widget shows its message form with this (widget.js: `unavailable`)."""
        return {
            "event": "unavailable",
            "message": _(
                "Live chat is unavailable at the moment. Please leave us a message and we will "
                "get back to you."
            ),
        }

    async def connect(self):
        audiences.note_socket_loop()
        self.visitor = None
        self.conversation = None
        self.group = None
        self.recent = audiences.RecentPushes()
        # Messages this socket sent and was answered `ack` for: their push is not sent back to it
        # (the ack told the widget already), only to the visitor's other tabs.
        self.acked: deque[int] = deque(maxlen=64)
        self.inbox = await database_sync_to_async(_inbox)(
            self.scope["url_route"]["kwargs"]["inbox_key"]
        )
        if self.inbox is None:
            await self.close(code=CLOSE_UNKNOWN_INBOX)
            return
        origin = dict(self.scope.get("headers", [])).get(b"origin", b"").decode("latin-1")
        if not self.inbox.allows_origin(origin):
            await self.close(code=CLOSE_ORIGIN_REFUSED)
            return
        await self.accept()

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def _follow(self, conversation) -> None:
        group = audiences.visitor_group(conversation.pk) if conversation is not None else None
        if group == self.group:
            return
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if group is not None:
            await self.channel_layer.group_add(group, self.channel_name)
        self.group = group

    async def frame(self, frame_type, key, content) -> None:
        if frame_type == "hello":
            self.visitor, self.conversation, welcome = await database_sync_to_async(_hello)(
                self.inbox,
                content.get("token"),
                content.get("identity"),
                content.get("conversation_id"),
                content.get("last_seq"),
            )
            await self._follow(self.conversation)
            await self.send_json(welcome)
        elif self.visitor is None:
            await self.send_json(
                {
                    "event": "error",
                    "code": "no_hello",
                    "key": key,
                    "message": _("The chat is not ready yet; please reload the page."),
                }
            )
        elif frame_type == "send":
            from kefu.conversations.services.writer import send_visitor_message_from_socket

            before = self.conversation.pk if self.conversation is not None else None
            message = await send_visitor_message_from_socket(
                visitor=self.visitor,
                conversation=self.conversation,
                body=content.get("body"),
                client_key=key,
                address=_client_address(self.scope),
            )
            self.conversation = message.conversation  # loaded with the message, fresh
            await self._follow(self.conversation)
            self.acked.append(message.pk)
            await self.send_json(
                {
                    "event": "ack",
                    "key": key,
                    "conversation_id": message.conversation_id,
                    "seq": message.seq,
                    "message_id": message.pk,
                }
            )
            if self.conversation.pk != before:
                # The message started a conversation, which routing may have assigned before this
                # socket followed it: read its state now that later changes will be pushed.
                await self.send_json(await database_sync_to_async(_state)(self.conversation.pk))
        elif frame_type == "typing":
            if self.conversation is not None:
                for group in audiences.typing_groups(
                    conversation_id=self.conversation.pk, from_visitor=True
                ):
                    await audiences.apush(
                        group,
                        {
                            "event": "conversations.typing",
                            "conversation_id": self.conversation.pk,
                            "sender": "visitor",
                        },
                    )
        elif frame_type == "queue" and self.conversation is not None:
            await self.send_json(await database_sync_to_async(_queue)(self.conversation.pk))
        elif frame_type == "rate" and self.conversation is not None:
            await database_sync_to_async(_rate)(
                self.visitor, self.conversation, content.get("rating")
            )
            await self.send_json({"event": "rated", "conversation_id": self.conversation.pk})
        elif frame_type == "close" and self.conversation is not None:
            await database_sync_to_async(_close)(self.visitor, self.conversation)
        else:
            await self.unknown_frame()

    async def deliver(self, payload: dict) -> None:
        if payload.get("message", {}).get("is_internal"):
            return  # never sent to a visitor group; refused here too should that ever change
        about = payload.get("conversation_id")
        if about is not None and (self.conversation is None or about != self.conversation.pk):
            return  # only ever this visitor's own conversation, whatever reaches the group
        if payload.get("message", {}).get("id") in self.acked:
            return  # its own message, acknowledged already: one frame less per message
        await self.send_json(payload)
