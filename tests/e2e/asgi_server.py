"""kefu's ASGI application (HTTP and websockets) on a loopback port, in a thread of the test process,
and a plain page from another port: what a customer's site embedding the widget looks like.

Django's live server speaks WSGI only, so the chat journeys start uvicorn here instead; the SQLite
test database is a file for this reason (tests/settings.py).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asgiref.sync import sync_to_async
from django.db import connections


def _loopback_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def running_kefu():
    """Yields kefu's base URL (http://localhost:<port>) while uvicorn serves kefu.asgi."""
    import uvicorn
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from kefu.asgi import application
    from kefu.realtime.frames import server_options

    sock = _loopback_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            ASGIStaticFilesHandler(application),
            lifespan="off",
            log_level="warning",
            ws="websockets-sansio",
            **server_options(),
        )
    )
    loop = asyncio.new_event_loop()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.serve(sockets=[sock]))

    thread = threading.Thread(target=run, name="kefu-asgi", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the ASGI server did not start")
        time.sleep(0.05)
    try:
        yield f"http://localhost:{port}"
    finally:
        # Database work of the sockets ran in asgiref's shared thread: close its connection there,
        # or PostgreSQL cannot drop the test database at the end.
        asyncio.run_coroutine_threadsafe(sync_to_async(connections.close_all)(), loop).result(
            timeout=5
        )
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def third_party_page(html: str):
    """Yields the URL of a tiny site on another port that serves `html` at /."""
    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] != "/":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, name="third-party-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
