"""The agent's socket: pushes for the signed-in user (presence, chats) and the agent's chat frames.

Frames from the client (JSON, `type`):
    join     {conversation_id, last_seq}          follow a conversation; answered with `joined` and
                                                   every message after last_seq (notes included)
    leave    {conversation_id}
    send     {conversation_id, key, body, internal} a reply, or an internal note when internal is
                                                   true; answered with `ack` {key, seq} once stored
    typing   {conversation_id}
    close    {conversation_id}                     answered with `closed_ok`
The socket follows the conversations its user serves from the start, and those assigned while it is
open; a repeated key is answered with the first message's ack.

An open socket is a session: it closes (4401) once its user no longer stands where it stood when it
opened — deactivated, given another role, signed out of that session, or every other session ended by
a new password. The accounts services announce such a change (StandingChanged), and every socket of
that user re-checks at once; besides, every frame re-checks when the last check is older than
STANDING_MAX_AGE seconds, and the pushes when it is older than STANDING_MAX_AGE_FOR_PUSHES, so a
lost announcement costs at most that long.
"""

import asyncio
import time

from channels.db import database_sync_to_async

from kefu.accounts.masking import mask_text
from kefu.accounts.roles import Perm
from kefu.realtime import audiences
from kefu.realtime.frames import JsonFrameConsumer, frame_int

CLOSE_UNAUTHENTICATED = 4401
STANDING_MAX_AGE = 2.0
# Pushes only read: beside them the standing is checked less often (a lost announcement costs at
# most this long), which keeps the check off a busy chat server's profile.
STANDING_MAX_AGE_FOR_PUSHES = 10.0
STANDING_EVENT = "accounts.standing_changed"  # between servers and sockets, never to the browser


def _role_now(session_key) -> str | None:
    """The role the session's user signs in with now; None when the session signs in nobody."""
    from kefu.accounts.selectors import session_user

    user = session_user(session_key)
    return user.role if user is not None else None


def _join(user, conversation_id, last_seq) -> dict:
    from kefu.conversations.selectors import access_conversation, message_payload, messages_after

    conversation = access_conversation(actor=user, conversation_id=conversation_id)
    messages = messages_after(conversation, frame_int(last_seq), include_internal=True)
    return {
        "event": "joined",
        "conversation_id": conversation.pk,
        "state": conversation.state,
        "assignee_id": conversation.assignee_id,
        "last_seq": conversation.last_seq,
        "messages": [message_payload(m) for m in messages],
    }


def _close(user, conversation_id) -> dict:
    from kefu.conversations.selectors import access_conversation
    from kefu.conversations.services.lifecycle import close_conversation

    conversation = access_conversation(actor=user, conversation_id=conversation_id)
    close_conversation(conversation=conversation, actor=user)
    return {"event": "closed_ok", "conversation_id": conversation.pk}


def _may_type(user, conversation_id) -> int:
    """A typing indicator is a write to the customer's screen: only those who may write in the
    conversation send it (inspectors read and score, they do not type to customers)."""
    from kefu.conversations.selectors import access_conversation
    from kefu.conversations.services.messages import check_agent_may_send

    conversation = access_conversation(actor=user, conversation_id=conversation_id)
    check_agent_may_send(actor=user)
    return conversation.pk


class AgentConsumer(JsonFrameConsumer):
    async def connect(self):
        audiences.note_socket_loop()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if user.requires_two_factor and not self.scope.get("session", {}).get("otp_device_id"):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.session_key = self.scope["session"].session_key
        self.standing_checked_at = time.monotonic()
        self.standing_check: asyncio.Future | None = None
        self.lost_standing = False
        self.recent = audiences.RecentPushes()
        self.followed: set[int] = (
            set()
        )  # joined on purpose: kept when the conversation is reassigned
        self.groups_joined = audiences.groups_for(user)
        self.groups_joined += await database_sync_to_async(audiences.conversation_groups_for)(user)
        # A change of role closes the socket (StandingChanged), so this holds while it is open.
        self.may_reveal = await database_sync_to_async(user.has_perm)(Perm.REVEAL_PERSONAL_DATA)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"event": "hello", "user_id": user.pk})

    def _as_the_user_may_read(self, payload: dict) -> dict:
        """Phone and ID numbers that people typed into messages are masked for a user without the
        reveal right (an inspector reading a chat): kefu.accounts.masking.mask_text, as on the
        pages and in the API. Pushes are shared by a group, so each socket masks for its user."""
        if self.may_reveal:
            return payload
        if isinstance(payload.get("message"), dict):
            message = payload["message"]
            payload = {
                **payload,
                "message": {**message, "body": mask_text(message.get("body"), viewer=self.user)},
            }
        if isinstance(payload.get("messages"), list):
            payload = {
                **payload,
                "messages": [
                    {**m, "body": mask_text(m.get("body"), viewer=self.user)}
                    for m in payload["messages"]
                ],
            }
        return payload

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _follow(self, conversation_id: int) -> None:
        group = audiences.conversation_agents_group(conversation_id)
        if group not in self.groups_joined:
            self.groups_joined.append(group)
            await self.channel_layer.group_add(group, self.channel_name)

    async def _unfollow(self, conversation_id: int) -> None:
        group = audiences.conversation_agents_group(conversation_id)
        if group in self.groups_joined:
            self.groups_joined.remove(group)
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _standing_holds(self, *, now: bool = False) -> bool:
        """Whether the user still stands where it stood when the socket opened (checked again
        when `now` or when the last check is old); closes the socket when not."""
        if self.lost_standing:
            return False
        if not now and time.monotonic() - self.standing_checked_at < STANDING_MAX_AGE:
            return True
        role = await database_sync_to_async(_role_now)(self.session_key)
        self.standing_checked_at = time.monotonic()
        if role == self.user.role:
            return True
        if not self.lost_standing:
            self.lost_standing = True
            await self.close(code=CLOSE_UNAUTHENTICATED)
        return False

    def _recheck_standing_if_old(self) -> None:
        """For pushes: checked beside them, not before each (they keep their pace)."""
        if time.monotonic() - self.standing_checked_at >= STANDING_MAX_AGE_FOR_PUSHES and (
            self.standing_check is None or self.standing_check.done()
        ):
            self.standing_check = asyncio.ensure_future(self._standing_holds())

    async def frame(self, frame_type, key, content) -> None:
        if not await self._standing_holds():
            return
        if frame_type == "join":
            answer = await database_sync_to_async(_join)(
                self.user, content.get("conversation_id"), content.get("last_seq")
            )
            self.followed.add(answer["conversation_id"])
            await self._follow(answer["conversation_id"])
            await self.send_json(self._as_the_user_may_read(answer))
        elif frame_type == "leave":
            conversation_id = frame_int(content.get("conversation_id"))
            self.followed.discard(conversation_id)
            await self._unfollow(conversation_id)
        elif frame_type == "send":
            self.in_background(key, self._send(key, content))
        elif frame_type == "close":  # after the replies sent before it
            self.in_background(key, self._close(content))
        elif frame_type == "typing":
            conversation_id = await database_sync_to_async(_may_type)(
                self.user, content.get("conversation_id")
            )
            for group in audiences.typing_groups(
                conversation_id=conversation_id, from_visitor=False
            ):
                await audiences.apush(
                    group,
                    {
                        "event": "conversations.typing",
                        "conversation_id": conversation_id,
                        "sender": "agent",
                    },
                )
        else:
            await self.unknown_frame()

    async def _send(self, key, content) -> None:
        from kefu.conversations.services.writer import send_agent_message_from_socket

        conversation_id = frame_int(content.get("conversation_id"))
        message = await send_agent_message_from_socket(
            actor=self.user,
            conversation_id=conversation_id,
            body=content.get("body"),
            client_key=key,
            is_internal=bool(content.get("internal")),
            following=audiences.conversation_agents_group(conversation_id) in self.groups_joined,
        )
        await self.send_json(
            {
                "event": "ack",
                "key": key,
                "conversation_id": message.conversation_id,
                "seq": message.seq,
                "message_id": message.pk,
            }
        )

    async def _close(self, content) -> None:
        await self.send_json(
            await database_sync_to_async(_close)(self.user, content.get("conversation_id"))
        )

    async def deliver(self, payload: dict) -> None:
        if payload.get("event") == STANDING_EVENT:
            await self._standing_holds(now=True)
            return
        if self.lost_standing:
            return
        self._recheck_standing_if_old()
        # Follow what this user is given; stop following what was taken away (unless joined on purpose).
        if payload.get("event") == "conversations.assigned":
            if payload.get("assignee_id") == self.user.pk:
                await self._follow(payload["conversation_id"])
            elif (
                payload.get("previous_assignee_id") == self.user.pk
                and payload["conversation_id"] not in self.followed
            ):
                await self._unfollow(payload["conversation_id"])
        elif (
            payload.get("event") == "conversations.requeued"
            and payload.get("previous_assignee_id") == self.user.pk
            and payload["conversation_id"] not in self.followed
        ):
            await self._unfollow(payload["conversation_id"])
        await self.send_json(self._as_the_user_may_read(payload))
