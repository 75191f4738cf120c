"""Sync requests over ASGI in one trip to a long-lived worker thread (kefu/core/asgi_handler.py):
the same answers, middleware and signals as Django's own handler, a connection kept per worker
instead of one per request; async views still go through Django's handler."""

import json

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core import signals

from kefu.accounts.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)  # the request runs in asgiref's sync thread


def _call(application, method: str, path: str, *, headers=(), body: bytes = b"") -> dict:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    async def exchange() -> dict:
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "http.request", "body": body})
        start = await communicator.receive_output(10)
        content = b""
        while True:
            part = await communicator.receive_output(10)
            content += part.get("body", b"")
            if not part.get("more_body"):
                break
        await communicator.wait(10)
        return {"status": start["status"], "headers": dict(start["headers"]), "body": content}

    return async_to_sync(exchange)()


@pytest.fixture
def handler():
    from kefu.core.asgi_handler import OneHopASGIHandler

    return OneHopASGIHandler(threads=2)


@pytest.fixture
def signalled():
    seen: list[str] = []

    def started(**_kwargs):
        seen.append("started")

    def finished(**_kwargs):
        seen.append("finished")

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    yield seen
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


def test_an_api_write_is_answered_with_the_signals_and_headers_of_django_s_handler(
    make_user, handler, signalled
):
    from kefu.accounts import services

    _token, raw = services.create_api_token(user=make_user(Role.AGENT), name="t")
    answer = _call(
        handler,
        "POST",
        "/api/v1/tickets",
        headers=[
            (b"authorization", f"Bearer {raw}".encode()),
            (b"content-type", b"application/json"),
        ],
        body=json.dumps({"type": "consultation", "subject": "一次往返"}).encode(),
    )
    assert answer["status"] == 201, answer["body"]
    assert json.loads(answer["body"])["subject"] == "一次往返"
    assert b"Content-Security-Policy".lower() in {k.lower() for k in answer["headers"]}
    assert signalled == ["started", "finished"]


def test_a_refused_api_call_and_a_page_are_answered_as_before(handler, signalled):
    assert _call(handler, "GET", "/api/v1/me")["status"] == 401
    assert signalled == ["started", "finished"]
    page = _call(handler, "GET", "/accounts/sign-in/")
    assert page["status"] == 200
    cookies = [v.decode() for k, v in page["headers"].items() if k.lower() == b"set-cookie"]
    assert any("csrftoken" in cookie for cookie in cookies)  # the page's middleware ran
    assert signalled == ["started", "finished", "started", "finished"]
    assert _call(handler, "GET", "/no-such-page/")["status"] == 404


@pytest.fixture
def opened_connections(monkeypatch):
    """The database connections opened while the test runs, with the embedded server's setting of
    keeping them (the tests' settings close them at request_finished); closed at the end."""
    from django.db import connections
    from django.db.backends.signals import connection_created

    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", None)
    opened: list = []

    def created(sender, connection, **_kwargs):
        opened.append(connection)

    connection_created.connect(created)
    yield opened
    connection_created.disconnect(created)
    for connection in opened:
        connection.inc_thread_sharing()  # opened by a worker thread of the handler
        connection.close()


def test_pages_and_api_calls_share_the_workers_and_their_kept_connections(
    make_user, handler, opened_connections
):
    """Django's handler gave every request a thread and a connection of its own (the embedded
    server's memory grew with the pages served); the workers keep one each."""
    from django.test import Client

    user = make_user(Role.SUPERVISOR)
    browser = Client()
    browser.force_login(user)
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    for path in ["/", "/tickets/", "/customers/", "/", "/tickets/", "/customers/"]:
        assert _call(handler, "GET", path, headers=[(b"cookie", cookie)])["status"] == 200
    assert _call(handler, "GET", "/api/v1/me")["status"] == 401
    assert 1 <= len(opened_connections) <= 2  # threads=2: at most one connection each
    assert all(c.connection is not None for c in opened_connections)  # kept for the next request


def test_an_async_view_goes_through_django_s_handler_and_closes_its_connections(
    handler, opened_connections
):
    answer = _call(handler, "GET", "/healthz")
    assert json.loads(answer["body"])["checks"]["database"]["state"] == "ok"
    assert opened_connections  # its database check ran in a thread of the request's own
    assert all(c.connection is None for c in opened_connections)  # closed when it ended
