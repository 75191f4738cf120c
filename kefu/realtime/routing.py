"""Websocket routes. Agents' sockets sit behind ALLOWED_HOSTS and the session (kefu/asgi.py); the chat
widget's sockets are opened from customers' sites and check their inbox's allowed origins instead."""

from django.urls import path

from kefu.realtime.consumers import AgentConsumer
from kefu.realtime.visitor import VisitorConsumer

websocket_urlpatterns = [
    path("ws/agent/", AgentConsumer.as_asgi()),
]

VISITOR_PATH_PREFIX = "/ws/visitor/"

visitor_websocket_urlpatterns = [
    path("ws/visitor/<str:inbox_key>/", VisitorConsumer.as_asgi()),
]


class PathPrefixRouter:
    """Send a connection under `prefix` to `matched`, any other to `default`: the two kinds of socket
    need different guards, so each gets its own middleware stack."""

    def __init__(self, *, prefix: str, matched, default):
        self.prefix, self.matched, self.default = prefix, matched, default

    async def __call__(self, scope, receive, send):
        app = self.matched if scope.get("path", "").startswith(self.prefix) else self.default
        return await app(scope, receive, send)
