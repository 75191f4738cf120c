"""Content-Security-Policy and Permissions-Policy on every answer (issue 10.1).

Scripts run only from kefu's own origin (the vendored htmx, Alpine's CSP build, Tabler, flatpickr and
kefu/static/kefu/*.js) or from an inline `<script nonce="{{ request.csp_nonce }}">`: no
'unsafe-inline', no 'unsafe-eval'. Inline event handlers (`onclick="…"`) therefore never run; pages
use data attributes that kefu/static/kefu/kefu.js acts on, and htmx's `hx-confirm`.

Styles may be inline ('unsafe-inline' in style-src): templates use `style="…"` for small layout
touches, and an e-mail shown in its sandboxed `srcdoc` frame inherits this policy and keeps its own
inline styles. Styles cannot run code, and a customer's text is always escaped.

Images: own origin, `data:` (the CSS kit's icons) and `blob:`; connections: own origin, including
its websockets. Nothing may frame kefu's pages. The chat widget is not framed either: it is a script
on the customer's own page (docs/chat-widget.md says what such a page's own policy must allow).
"""

from __future__ import annotations

import secrets

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from kefu.core.middleware import GetResponse

# Features kefu never uses, turned off for its pages and anything they might embed. Not autoplay:
# the workspace beeps (Web Audio) when a chat arrives.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)


def policy(*, nonce: str, host: str) -> str:
    sockets = f"ws://{host} wss://{host}" if host else ""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            f"connect-src 'self' {sockets}".strip(),
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class _Request(HttpRequest):
    csp_nonce: str  # set here, read by templates


class ContentSecurityPolicyMiddleware:
    """Gives each request a nonce (`request.csp_nonce`, for the rare inline script a template
    needs) and sets the policies on the answer, unless a view set its own."""

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: _Request) -> HttpResponseBase:
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        try:
            host = request.get_host()
        except Exception:  # a disallowed Host: the answer is an error page anyway
            host = ""
        response.headers.setdefault(
            "Content-Security-Policy", policy(nonce=request.csp_nonce, host=host)
        )
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
