"""Django's ASGI handler with one trip to the sync thread per request for sync-only paths (issue 11.3).

Under `kefu serve` (uvicorn, ASGI) Django's own handler gives every request a thread of its own
(asgiref's ThreadSensitiveContext), so every request opened a new database connection (SQLite: the
file and its PRAGMAs; 14% of the server's time for API writes, py-spy in bench/README.md), started
and joined a thread, and ran a sync view through four round trips between the event loop and that
thread: the request_started signal, the sync middleware chain, the view (the chain calls back into
the async handler, which hands the sync view to the thread again) and response.close
(request_finished).

Every middleware and every API view of kefu is sync, so for the paths in `sync_prefixes` (the API)
the whole request runs in one trip to one long-lived thread (asgiref's thread_sensitive thread),
under one long-lived context, as a WSGI server's worker thread runs Django: the signal, the request,
the middleware chain loaded in sync mode, the view and (for an answer that is not streamed) its
close; the loop only reads the body and sends the answer. The context keeps the thread's database
connection from one request to the next (CONN_MAX_AGE; the pool on PostgreSQL); what Django keeps
per request (language, urlconf, script prefix) is set again by every request, as under WSGI.

Nothing is lost: a client that disconnects while a sync view runs cannot stop it under Django's
handler either; a streamed answer is sent and closed as Django's handler does.
"""

from __future__ import annotations

import contextvars
from typing import Any

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.db import connections
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix


def _close_connections() -> None:
    for connection in connections.all(initialized_only=True):
        connection.close()


class OneHopASGIHandler(ASGIHandler):
    def __init__(self, *, sync_prefixes: tuple[str, ...]):
        super().__init__()
        self.sync_prefixes = sync_prefixes
        self._sync = BaseHandler()
        self._sync.load_middleware(is_async=False)
        self._serve = sync_to_async(self._serve_in_context, thread_sensitive=True)
        # Entered by one request at a time: thread_sensitive work runs on one thread, in turn.
        self._context = contextvars.Context()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.sync_prefixes):
            await self._handle_in_one_trip(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)  # a thread of its own, as Django does

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Django's handling of a request in a thread of its own (every path but `sync_prefixes`),
        then that thread's database connections closed in it. The thread ends with the request:
        a connection kept (CONN_MAX_AGE=None on SQLite) would never serve another one, and stayed
        open with its page cache until a garbage collection found it — 2 file handles and ≈ 3 MB
        a request, the embedded server's memory 180 → 720 MB over 150 report pages (bench/README.md,
        memory)."""
        try:
            await super().handle(scope, receive, send)
        finally:
            # Inside the request's ThreadSensitiveContext: run on the request's own thread.
            await sync_to_async(_close_connections)()

    async def _handle_in_one_trip(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
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

    def _serve_in_context(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        return self._context.run(self._serve_in_thread, scope, body_file)

    def _serve_in_thread(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, refused = self.create_request(scope, body_file)
        response = self._sync.get_response(request) if request is not None else refused
        assert response is not None  # create_request gives a request or an answer
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size  # as ASGIHandler: the server chunks it
        response._handler_class = self.__class__  # type: ignore[attr-defined]  # request_finished's sender
        if not response.streaming:
            response.close()  # request_finished, as Django's handler does after sending
        return response
