"""ASGI entry point: HTTP through Django, websockets through Channels (kefu.realtime).

Two kinds of websocket: the agent's (/ws/agent/), signed in by the session and accepted only from
ALLOWED_HOSTS origins; the chat widget's (/ws/visitor/<inbox key>/), opened from customers' own
sites, which has no session and is accepted only from its inbox's allowed origins (checked by
VisitorConsumer, which knows the inbox).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

import django

django.setup(set_prefix=False)  # what django.core.asgi.get_asgi_application does first

from django.conf import settings  # noqa: E402

from kefu.core.asgi_handler import OneHopASGIHandler  # noqa: E402

# Sync views in one trip to a long-lived worker thread (kefu/core/asgi_handler.py).
django_asgi_app = OneHopASGIHandler(threads=settings.WEB_THREADS)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from kefu.core.bodies import LimitRequestBody  # noqa: E402
from kefu.realtime import audiences  # noqa: E402
from kefu.realtime.routing import (  # noqa: E402
    VISITOR_PATH_PREFIX,
    PathPrefixRouter,
    visitor_websocket_urlpatterns,
    websocket_urlpatterns,
)

http_app = LimitRequestBody(django_asgi_app)


async def http(scope, receive, send):
    """Pushes a request makes (a new ticket tells the live boards) go to this loop's outbox and are
    not waited for, as once a socket has connected (was: a blocking trip to the loop per push)."""
    audiences.note_socket_loop()
    await http_app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http,
        "websocket": PathPrefixRouter(
            prefix=VISITOR_PATH_PREFIX,
            matched=URLRouter(visitor_websocket_urlpatterns),
            default=AllowedHostsOriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
        ),
    }
)

from kefu.core.server_gc import tune_if_requested  # noqa: E402

tune_if_requested()
