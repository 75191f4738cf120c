"""The agent's socket: pushes for the signed-in user (presence, later chats and notifications)."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from kefu.realtime import audiences

CLOSE_UNAUTHENTICATED = 4401


class AgentConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        audiences.note_socket_loop()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if user.requires_two_factor and not self.scope.get("session", {}).get("otp_device_id"):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.groups_joined = audiences.groups_for(user)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"event": "hello", "user_id": user.pk})

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def push(self, message):
        await self.send_json(message["payload"])
