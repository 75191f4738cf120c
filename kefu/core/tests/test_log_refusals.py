"""What the server's log shows for a refused request: one line, no traceback (issue 10.15)."""

import io
import logging
from contextlib import contextmanager

import pytest

from kefu.accounts.roles import Role
from kefu.core.log_filters import OneLineRefusals

pytestmark = pytest.mark.django_db


@contextmanager
def server_log():
    """The text kefu's console handler (settings.LOGGING) writes while the block runs."""
    [console] = [h for h in logging.getLogger().handlers if h.name == "console"]
    written = io.StringIO()
    previous = console.setStream(written)
    try:
        yield written
    finally:
        console.setStream(previous)


def test_a_refused_page_and_a_refused_api_call_are_one_line_each_in_the_log(client_for):
    inspector_client, _inspector = client_for(Role.INSPECTOR)
    staff_client, _staff = client_for(Role.DEPARTMENT_STAFF)
    with server_log() as log:
        page = inspector_client.get("/replies/")  # canned replies are for those who serve
        api = staff_client.get("/api/v1/conversations")  # chats are not department staff's work
    assert (page.status_code, api.status_code) == (403, 403)
    lines = log.getvalue().splitlines()
    assert "Traceback" not in log.getvalue()
    assert [line.split(" django.request ")[1] for line in lines] == [
        "Forbidden (Permission denied): /replies/",
        "Forbidden: /api/v1/conversations",
    ]


def test_a_server_error_keeps_its_traceback():
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "boom", (), None)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    record.status_code = 500
    assert OneLineRefusals().filter(record) and record.exc_info is not None
