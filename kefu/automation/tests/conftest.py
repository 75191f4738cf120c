"""Automation tests: a local HTTP server that records what it receives (the only network they use;
loopback is allowed through the test-only setting where a test says so), and a fresh rule cache."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from kefu.automation.engine import rules_cache


@pytest.fixture(autouse=True)
def fresh_rules():
    rules_cache.clear()
    yield
    rules_cache.clear()


class Receiver:
    """Answers with `self.answers` in turn (status, body, headers), then 200 {"errcode": 0}."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[tuple[int, str, dict]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parts = urlsplit(self.path)
                receiver.requests.append(
                    {
                        "path": parts.path,
                        "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                        "headers": dict(self.headers),
                        "body": body,
                        "json": json.loads(body or b"null"),
                    }
                )
                status, text, headers = (
                    receiver.answers.pop(0)
                    if receiver.answers
                    else (200, '{"errcode":0,"errmsg":"ok"}', {})
                )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(text.encode())

            def log_message(self, *args):
                pass

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def loopback_allowed(settings):
    settings.AUTOMATION_ALLOW_LOOPBACK = True
    return settings
