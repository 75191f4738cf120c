"""The API over ASGI in one trip to the sync thread (kefu/core/asgi_handler.py): the same answers,
middleware and signals as Django's own handler; other paths still go through Django's."""

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

    return OneHopASGIHandler(sync_prefixes=("/api/",))


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
    page = _call(handler, "GET", "/accounts/sign-in/")  # not the API: Django's own handler
    assert page["status"] == 200
    assert signalled == ["started", "finished", "started", "finished"]


def test_a_page_s_thread_closes_its_database_connections(make_user, handler, monkeypatch):
    """A page runs in a thread that ends with it: its database connection is closed there, not
    left open (with its file handles and cache) for the garbage collector."""
    from django.db import connections
    from django.db.backends.signals import connection_created
    from django.test import Client

    # As the embedded server keeps connections (the tests' settings close them at request_finished).
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", None)
    user = make_user(Role.SUPERVISOR)
    browser = Client()
    browser.force_login(user)
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    opened: list = []

    def created(sender, connection, **_kwargs):
        opened.append(connection)

    connection_created.connect(created)
    try:
        page = _call(handler, "GET", "/", headers=[(b"cookie", cookie)])
        assert page["status"] == 200
        assert opened and all(c.connection is None for c in opened)  # closed in the page's thread
    finally:
        connection_created.disconnect(created)
