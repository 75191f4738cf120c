"""Django's ASGI handler with one trip to the sync thread per request for sync-only paths (issue 11.3).

Under `kefu serve` (uvicorn, ASGI) Django's own handler runs a sync view through four round trips
between the event loop and the sync thread: the request_started signal, the sync middleware chain,
the view (the chain calls back into the async handler, which hands the sync view to the thread
again) and response.close (request_finished). Every middleware and every API view of kefu is sync,
so for the paths in `sync_prefixes` (the API) the whole request runs in one trip: the signal, the
request, the middleware chain loaded in sync mode, the view and (for a response that is not
streamed) its close; the loop only reads the body and sends the answer. Same middleware, same
signals, same thread (`thread_sensitive`, as Django's own), so the same database connection.

Nothing is lost: a client that disconnects while a sync view runs cannot stop it under Django's
handler either; a streamed answer is sent and closed as Django's handler does.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.core.exceptions import RequestAborted
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix


class OneHopASGIHandler(ASGIHandler):
    def __init__(self, *, sync_prefixes: tuple[str, ...]):
        super().__init__()
        self.sync_prefixes = sync_prefixes
        self._sync = BaseHandler()
        self._sync.load_middleware(is_async=False)
        self._serve = sync_to_async(self._serve_in_thread, thread_sensitive=True)

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not scope["path"].startswith(self.sync_prefixes):
            await super().handle(scope, receive, send)
            return
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await self._serve(scope, body_file)
            await self.send_response(response, send)
            if response.streaming:  # not closed in the thread: its content was still to be read
                await sync_to_async(response.close)()
        finally:
            body_file.close()

    def _serve_in_thread(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self._sync.get_response(request)
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size  # as ASGIHandler: the server chunks it
        response._handler_class = self.__class__  # type: ignore[union-attr]  request_finished's sender
        if not response.streaming:  # type: ignore[union-attr]
            response.close()  # type: ignore[union-attr]  request_finished, as Django's handler after sending
        return response  # type: ignore[return-value]
