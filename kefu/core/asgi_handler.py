"""Django's ASGI handler with every sync request served in one trip to a long-lived worker thread
(issue 11 items 2, 3 and 6).

Under `kefu serve` (uvicorn, ASGI) Django's own handler gives every request a thread of its own
(asgiref's ThreadSensitiveContext), so every request opened a new database connection (SQLite: the
file and its PRAGMAs; 14% of the server's time for API writes, py-spy in bench/README.md), started
and joined a thread, and ran a sync view through four round trips between the event loop and that
thread: the request_started signal, the sync middleware chain, the view (the chain calls back into
the async handler, which hands the sync view to the thread again) and response.close
(request_finished). A connection kept by such a thread served nobody after it and stayed open with
its page cache until a garbage collection found it (the embedded server 180 → 720 MB over 150
report pages).

Every middleware of kefu is sync, and so is every view but the few written async (`/healthz`).
A request to a sync view runs whole in one trip to one of `threads` long-lived worker threads, as a
WSGI server's threads run Django: the request_started signal, the request, the middleware chain
loaded in sync mode, the view and (for an answer that is not streamed) its close; the loop only
reads the body and sends the answer. Each worker keeps its database connection from one request to
the next (CONN_MAX_AGE on SQLite; the pool on PostgreSQL), so a process holds at most `threads`
connections for its pages and API; what Django keeps per request (language, urlconf, script prefix)
is set again by every request, as under WSGI. Requests beyond `threads` at once wait their turn in
the pool's queue; a slow report page holds one worker, not the others.

A request to an async view goes through Django's handler (a thread of its own for its sync parts),
whose connections are closed when it ends.

Nothing is lost: a client that disconnects while a sync view runs cannot stop it under Django's
handler either; a streamed answer is sent and closed as Django's handler does.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.db import close_old_connections, connections
from django.http import FileResponse, HttpResponseBase
from django.urls import get_urlconf, set_script_prefix

from kefu.core.bodies import view_at


def _is_async_view(scope: dict[str, Any]) -> bool:
    path_info = scope["path"].removeprefix(scope.get("root_path", "")) or "/"
    view = view_at(get_urlconf() or settings.ROOT_URLCONF, path_info)
    return view is not None and iscoroutinefunction(view)


class OneHopASGIHandler(ASGIHandler):
    def __init__(self, *, threads: int):
        super().__init__()
        self._sync = BaseHandler()
        self._sync.load_middleware(is_async=False)
        self._workers = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kefu-web")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not _is_async_view(scope):
            await self._handle_in_one_trip(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)  # a thread of its own, as Django does

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Django's handling of a request to an async view, then the database connections its
        sync parts opened closed in the request's thread, which ends with it."""
        try:
            await super().handle(scope, receive, send)
        finally:
            # Inside the request's ThreadSensitiveContext: run on the request's own thread.
            await sync_to_async(connections.close_all)()

    async def _handle_in_one_trip(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        loop = asyncio.get_running_loop()
        try:
            response = await loop.run_in_executor(self._workers, self._serve, scope, body_file)
            await self.send_response(response, send)
            if response.streaming:  # not closed in the thread: its content was still to be read
                await loop.run_in_executor(self._workers, response.close)
        finally:
            body_file.close()

    def _serve(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, refused = self.create_request(scope, body_file)
        response = self._sync.get_response(request) if request is not None else refused
        assert response is not None  # create_request gives a request or an answer
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size  # as ASGIHandler: the server chunks it
        response._handler_class = self.__class__  # type: ignore[attr-defined]  # request_finished's sender
        if response.streaming:
            # Closed on the loop's side once sent, maybe by another worker: the database's part of
            # request_finished here, in the thread whose connection it is.
            close_old_connections()
        else:
            response.close()  # request_finished, as Django's handler does after sending
        return response
