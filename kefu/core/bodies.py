"""Request bodies: how much each endpoint may receive, refused before it is read (issue 10.4).

Under ASGI, Django reads a request's whole body into a temporary file before any middleware or view
runs (`ASGIHandler.read_body`), so a size check in a view or an upload handler came after reading a
1 GB body for 19 s. Here the body is limited where it arrives:

- `LimitRequestBody` wraps Django's ASGI application. A body whose Content-Length is over the
  endpoint's limit is not read at all; a body without one (chunked) is read up to the limit and no
  further. Either way Django gets an empty body and the scope key `BODY_REFUSED`, and the answer
  closes the connection, so the server does not go on reading the rest either.
- `kefu.core.middleware.RequestBodyLimitMiddleware` turns that mark (or, under WSGI, a Content-Length over the limit)
  into the endpoint's own refusal, in Chinese: the API's JSON; for an upload page or the widget,
  the view's own "file too large" answer (it gets a `RefusedUpload`); any other page, a 413 page.

The limit of an endpoint that takes files is declared on its view with `accepts_upload`; every
other endpoint may receive `DATA_UPLOAD_MAX_MEMORY_SIZE` (what Django allows for form fields).
"""

from __future__ import annotations

import asyncio
import functools
import io
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import Resolver404, get_urlconf, resolve
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

BODY_REFUSED = "kefu.body_refused"  # scope key: the size of the body refused (declared or seen)
# Room for the multipart envelope and the small fields sent with a file (boundaries, names, a key).
MULTIPART_ALLOWANCE = 64 * 1024
METHODS_WITHOUT_BODY = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

View = TypeVar("View", bound=Callable[..., Any])
# ASGI, as Django's handler takes it: a connection's scope, and the messages received and sent.
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Mapping[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def accepts_upload(max_bytes: Callable[[], int]) -> Callable[[View], View]:
    """Marks a view (or ninja operation) that receives files of at most `max_bytes()` bytes. A
    larger request is not read; the view gets a `RefusedUpload` of the request's size under every
    file field, which its own size check refuses with its own message (and its own error handling,
    such as the widget's CORS headers). The API answers 413 before the operation runs."""

    def decorate(view: View) -> View:
        view.max_upload_bytes = max_bytes  # type: ignore[attr-defined]  # an attribute of a function
        return view

    return decorate


class RefusedUpload(UploadedFile):
    """Stands for a file that was not read because the request was over the limit: it has the
    request's size and no content."""

    def __init__(self, size: int):
        super().__init__(
            io.BytesIO(b""), name="upload", content_type="application/octet-stream", size=size
        )


class RefusedFiles(MultiValueDict[str, UploadedFile]):
    """request.FILES of a refused request: whatever field a view asks for is the refused file."""

    def __init__(self, upload: RefusedUpload):
        super().__init__()
        self.upload = upload

    def __getitem__(self, key: str) -> RefusedUpload:
        return self.upload

    def __contains__(self, key: object) -> bool:
        return True

    def get(self, key: str, default: object = None) -> RefusedUpload:
        return self.upload

    def getlist(self, key: str, default: object = None) -> list[UploadedFile]:
        return [self.upload]


def too_large_message(limit: int) -> str:
    return _("The request is too large: at most %(max)s MB.") % {
        "max": f"{limit / 1024 / 1024:.1f}".removesuffix(".0")
    }


def _view_limit(view: Callable[..., Any] | None) -> int | None:
    declared = getattr(view, "max_upload_bytes", None)
    return None if declared is None else declared() + MULTIPART_ALLOWANCE


@functools.lru_cache(maxsize=2048)
def view_at(urlconf: str, path_info: str) -> Callable[..., Any] | None:
    """The view a path resolves to, remembered: every POST asked twice (the ASGI limit and the
    middleware), a tenth of an API write's time in URL matching (issue 11.3); the ASGI handler asks
    whether it is async. Keyed by the URL
    configuration too; cleared with Django's own URL caches (`setting_changed`)."""
    try:
        return resolve(path_info, urlconf).func
    except Resolver404:
        return None


@receiver(setting_changed)
def _forget_views(**_kwargs: object) -> None:
    view_at.cache_clear()


def body_limit(path_info: str) -> int:
    """The most bytes a request to `path_info` may send."""
    view = view_at(get_urlconf() or settings.ROOT_URLCONF, path_info)
    return _view_limit(view) or settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class LimitRequestBody:
    """ASGI middleware in front of Django: never reads more of a body than its endpoint takes."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = _content_length(scope)
        if scope["method"] in METHODS_WITHOUT_BODY:
            if not declared and not _chunked(scope):
                return await self.app(scope, receive, send)  # the usual GET: nothing to limit
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # no upload is sent with a GET
        else:
            path_info = scope["path"].removeprefix(scope.get("root_path", "")) or "/"
            limit = body_limit(path_info)
        scope = dict(scope)
        state = {"received": 0, "cut": declared is not None and declared > limit}
        if state["cut"]:
            scope[BODY_REFUSED] = declared
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
            scope["headers"].append((b"content-length", b"0"))

        async def limited_receive() -> Mapping[str, Any]:
            if state["cut"]:
                if not state.get("ended"):
                    state["ended"] = True
                    return {"type": "http.request", "body": b"", "more_body": False}
                # Nothing more is read: the rest of the body stays unread until the answer closes
                # the connection. Django's wait for a disconnect is cancelled when it has answered.
                await asyncio.Future()
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["cut"] = state["ended"] = True
                    scope[BODY_REFUSED] = state["received"]
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def closing_send(message: Mapping[str, Any]) -> None:
            if message["type"] == "http.response.start" and state["cut"]:
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"
                ]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        return await self.app(scope, limited_receive, closing_send)


def _chunked(scope: Scope) -> bool:
    return any(key == b"transfer-encoding" for key, _value in scope.get("headers", []))


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
