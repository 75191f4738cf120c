"""Factories and fixtures of the conversations tests; for e-mail, real servers on loopback: the test
IMAP4rev1 server (imap_server.py) and aiosmtpd, and recorded mails in mails/."""

import contextlib
import datetime as dt
import socket
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from django.utils import translation

from kefu.accounts.models import AgentProfile, Presence
from kefu.accounts.roles import Role
from kefu.conversations.models import ChannelKind, Inbox, MailSettings, Visitor
from kefu.conversations.services.lifecycle import start_conversation
from kefu.conversations.tests.imap_server import IMAPServer, Mailbox
from tests.factories import UserFactory

ORIGIN = "http://shop.example:8080"


# A Wednesday morning in Shanghai, a working day: every team's hours hold (tests of routing by
# working hours set their own moment with `business_time`).
WORKING_MORNING = dt.datetime(2026, 12, 2, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def business_time(monkeypatch):
    """Working hours are judged at WORKING_MORNING unless a test moves the clock:
    `business_time(moment)`. Message times and deadlines keep the real clock."""
    moment = {"now": WORKING_MORNING}
    monkeypatch.setattr("kefu.conversations.selectors.business_now", lambda: moment["now"])

    def move(to: dt.datetime) -> None:
        moment["now"] = to

    return move


@pytest.fixture(autouse=True)
def in_english():
    """Refusals are asserted by their English msgid, whatever the translations say."""
    with translation.override("en"):
        yield


def make_inbox(**kwargs) -> Inbox:
    kwargs.setdefault("name", "官网在线客服")
    kwargs.setdefault("allowed_origins", [ORIGIN])
    return Inbox.objects.create(**kwargs)


def make_agent(
    *,
    presence: str = Presence.ONLINE,
    max_chats: int = 5,
    role: str = Role.AGENT,
    skills=(),
    teams=(),
    **kw,
):
    user = UserFactory(role=role, **kw)
    profile, _ = AgentProfile.objects.get_or_create(user=user)
    profile.presence = presence
    profile.max_concurrent_chats = max_chats
    profile.save()
    profile.skills.set(skills)
    profile.teams.set(teams)
    return user


def make_conversation(inbox: Inbox | None = None, **kwargs):
    """A new waiting conversation of a new visitor (routing is not run: no commit happens)."""
    visitor = Visitor.objects.create(inbox=inbox or make_inbox(), **kwargs)
    return start_conversation(visitor=visitor)


@pytest.fixture
def inbox(db):
    return make_inbox()


MAILS = Path(__file__).parent / "mails"
USER, PASSWORD = "kefu@shop.example", "s3cret-pw"


def mail(name: str) -> bytes:
    return (MAILS / f"{name}.eml").read_bytes()


class Collector:
    """The SMTP server's handler: keeps what it accepts. `refusals` are answered to the next mails,
    one each, before it accepts again (a server that refuses, then accepts)."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refusals: list[str] = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.refusals:
            return self.refusals.pop(0)
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        self.received.set()
        return "250 OK"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)  # handled=False: a wrong password is answered 535


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_smtp():
    """An SMTP server on loopback that wants USER/PASSWORD: yields (collector, port)."""
    collector = Collector()
    controller = Controller(
        collector,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=_authenticate,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        yield collector, controller.port
    finally:
        controller.stop()


@pytest.fixture
def smtp():
    with running_smtp() as server:
        yield server


@pytest.fixture
def imap():
    box = Mailbox(USER, PASSWORD)
    with IMAPServer(box) as server:
        yield box, server.port


@pytest.fixture
def mail_inbox(db, imap, smtp, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _box, imap_port = imap
    _collector, smtp_port = smtp
    inbox = make_inbox(name="售后邮箱", kind=ChannelKind.EMAIL, allowed_origins=[])
    config = MailSettings(
        inbox=inbox,
        address="kefu@shop.example",
        imap_host="127.0.0.1",
        imap_port=imap_port,
        imap_ssl=False,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_ssl=False,
        username=USER,
    )
    config.set_password(PASSWORD)
    config.save()
    return inbox
