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
"""

from channels.db import database_sync_to_async

from kefu.realtime import audiences
from kefu.realtime.frames import JsonFrameConsumer, frame_int

CLOSE_UNAUTHENTICATED = 4401


def _join(user, conversation_id, last_seq) -> dict:
    from kefu.conversations.selectors import access_conversation, message_payload, messages_after

    conversation = access_conversation(actor=user, conversation_id=conversation_id)
    messages = messages_after(conversation, frame_int(last_seq), include_internal=True)
    return {
        "event": "joined", "conversation_id": conversation.pk, "state": conversation.state,
        "assignee_id": conversation.assignee_id, "last_seq": conversation.last_seq,
        "messages": [message_payload(m) for m in messages],
    }


def _close(user, conversation_id) -> dict:
    from kefu.conversations.selectors import access_conversation
    from kefu.conversations.services.lifecycle import close_conversation

    conversation = access_conversation(actor=user, conversation_id=conversation_id)
    close_conversation(conversation=conversation, actor=user)
    return {"event": "closed_ok", "conversation_id": conversation.pk}


def _may_see(user, conversation_id) -> int:
    from kefu.conversations.selectors import access_conversation

    return access_conversation(actor=user, conversation_id=conversation_id).pk



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
        self.recent = audiences.RecentPushes()
        self.followed: set[int] = set()  # joined on purpose: kept when the conversation is reassigned
        self.groups_joined = audiences.groups_for(user)
        self.groups_joined += await database_sync_to_async(audiences.conversation_groups_for)(user)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"event": "hello", "user_id": user.pk})

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

    async def frame(self, frame_type, key, content) -> None:
        if frame_type == "join":
            answer = await database_sync_to_async(_join)(self.user, content.get("conversation_id"),
                                                         content.get("last_seq"))
            self.followed.add(answer["conversation_id"])
            await self._follow(answer["conversation_id"])
            await self.send_json(answer)
        elif frame_type == "leave":
            conversation_id = frame_int(content.get("conversation_id"))
            self.followed.discard(conversation_id)
            await self._unfollow(conversation_id)
        elif frame_type == "send":
            self.in_background(key, self._send(key, content))
        elif frame_type == "close":  # after the replies sent before it
            self.in_background(key, self._close(content))
        elif frame_type == "typing":
            conversation_id = await database_sync_to_async(_may_see)(self.user, content.get("conversation_id"))
            for group in audiences.typing_groups(conversation_id=conversation_id, from_visitor=False):
                await audiences.apush(group, {"event": "conversations.typing", "conversation_id": conversation_id,
                                              "sender": "agent"})
        else:
            await self.unknown_frame()

    async def _send(self, key, content) -> None:
        from kefu.conversations.services.writer import send_agent_message_from_socket

        conversation_id = frame_int(content.get("conversation_id"))
        message = await send_agent_message_from_socket(
            actor=self.user, conversation_id=conversation_id, body=content.get("body"), client_key=key,
            is_internal=bool(content.get("internal")),
            following=audiences.conversation_agents_group(conversation_id) in self.groups_joined,
        )
        await self.send_json({"event": "ack", "key": key, "conversation_id": message.conversation_id,
                              "seq": message.seq, "message_id": message.pk})

    async def _close(self, content) -> None:
        await self.send_json(await database_sync_to_async(_close)(self.user, content.get("conversation_id")))

    async def deliver(self, payload: dict) -> None:
        # Follow what this user is given; stop following what was taken away (unless joined on purpose).
        if payload.get("event") == "conversations.assigned":
            if payload.get("assignee_id") == self.user.pk:
                await self._follow(payload["conversation_id"])
            elif payload.get("previous_assignee_id") == self.user.pk and payload["conversation_id"] not in self.followed:
                await self._unfollow(payload["conversation_id"])
        elif (payload.get("event") == "conversations.requeued" and payload.get("previous_assignee_id") == self.user.pk
              and payload["conversation_id"] not in self.followed):
            await self._unfollow(payload["conversation_id"])
        await self.send_json(payload)
