"""Agents' e-mail replies against a real SMTP server on loopback (aiosmtpd): a server that refuses and
then accepts gets the reply on a later attempt; one that keeps refusing, or refuses the login, ends in
a visible failure (the reply marked, an internal note, a notification) that the agent can resend."""

from __future__ import annotations

import datetime as dt
import email
import json
import smtplib
from email import policy

import pytest
from django.test import Client
from huey.contrib.djhuey import HUEY

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.conversations.email.services import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    describe_failure,
    poll_inbox,
)
from kefu.conversations.events import EmailReplyStateChanged
from kefu.conversations.models import (
    Conversation,
    ConversationState,
    MailDirection,
    MailRecord,
    MailSendState,
    MailSettings,
    Message,
    SenderKind,
)
from kefu.conversations.services.lifecycle import close_conversation
from kefu.conversations.services.messages import send_agent_message
from kefu.conversations.tests.conftest import PASSWORD, free_port, mail, make_agent
from kefu.core.events import Delivery, subscribe, unsubscribe
from kefu.notifications.models import Notification
from tests.factories import TeamFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]
BUSY = "451 4.3.0 Mailbox busy, try again later"
SPAM = "554 5.7.1 Rejected as spam"
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def empty_schedule():
    """Huey runs tasks at once in tests; what it schedules for later waits in memory until run here."""
    HUEY.flush()
    yield
    HUEY.flush()


@pytest.fixture
def states():
    received: list[EmailReplyStateChanged] = []
    subscribe(EmailReplyStateChanged, received.append, mode=Delivery.INLINE)
    yield received
    unsubscribe(EmailReplyStateChanged, received.append)


def scheduled() -> list:
    return list(HUEY.scheduled())


def run_next_attempt():
    """The next scheduled attempt, run as if its time had come."""
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1)
    [task] = HUEY.read_schedule(later)
    HUEY.execute(task, timestamp=later)


@pytest.fixture
def chat(mail_inbox, imap):
    """A customer's mail, served by an agent of the inbox's team."""
    box, _port = imap
    box.deliver(mail("plain"))
    poll_inbox(mail_inbox)
    team = TeamFactory()
    agent = make_agent(display_name="李娜", teams=[team])
    conversation = Conversation.objects.get(inbox=mail_inbox)
    Conversation.objects.filter(pk=conversation.pk).update(
        assignee=agent, state=ConversationState.OPEN, team=team
    )
    conversation.refresh_from_db()
    return conversation, agent


def reply(conversation, agent, capture, body="您好，已为您催促仓库，今天发出。") -> Message:
    with capture(execute=True):
        return send_agent_message(
            actor=agent, conversation=conversation, body=body, client_key=body[:20]
        )


def record_of(message) -> MailRecord:
    return MailRecord.objects.get(message=message, direction=MailDirection.OUT)


def notes(conversation) -> list[str]:
    return list(
        conversation.messages.filter(sender=SenderKind.SYSTEM, is_internal=True).values_list(
            "body", flat=True
        )
    )


def test_a_server_that_refuses_then_accepts_gets_the_reply_on_the_next_attempt(
    chat, smtp, django_capture_on_commit_callbacks, states
):
    conversation, agent = chat
    collector, _port = smtp
    collector.refusals = [BUSY]

    message = reply(conversation, agent, django_capture_on_commit_callbacks)
    record = record_of(message)
    assert (record.send_state, record.attempts) == (MailSendState.SENDING, 1)
    assert (
        record.last_error
        == "The server answered with an error. (451 4.3.0 Mailbox busy, try again later)"
    )
    assert collector.messages == []
    [retry] = scheduled()
    assert retry.args == (record.pk, 2)
    assert (
        abs(
            (retry.eta - dt.datetime.now(dt.UTC).replace(tzinfo=None)).total_seconds()
            - RETRY_DELAYS[0]
        )
        < 5
    )

    with django_capture_on_commit_callbacks(execute=True):
        run_next_attempt()
    record.refresh_from_db()
    assert (record.send_state, record.attempts, record.last_error) == (MailSendState.SENT, 2, "")
    [(_from, rcpt, raw)] = collector.messages
    sent = email.message_from_bytes(raw, policy=policy.default)
    assert (
        rcpt == ["Li.Lei@Example.cn"] and sent["Message-ID"] == record.mail_id
    )  # the mail of the first attempt
    assert sent.get_content().strip() == "您好，已为您催促仓库，今天发出。"
    assert scheduled() == [] and notes(conversation) == []
    assert not Notification.objects.exists()
    assert [(e.message_id, e.state) for e in states] == [(message.pk, MailSendState.SENT)]


def test_a_reply_the_server_keeps_refusing_is_given_up_with_a_note_and_a_notification(
    chat, smtp, django_capture_on_commit_callbacks, states
):
    conversation, agent = chat
    collector, _port = smtp
    collector.refusals = [BUSY] * MAX_ATTEMPTS

    message = reply(conversation, agent, django_capture_on_commit_callbacks)
    delays = []
    for _attempt in range(MAX_ATTEMPTS - 1):
        [task] = scheduled()
        delays.append(
            round((task.eta - dt.datetime.now(dt.UTC).replace(tzinfo=None)).total_seconds() / 60)
        )
        with django_capture_on_commit_callbacks(execute=True):
            run_next_attempt()
    assert delays == [round(d / 60) for d in RETRY_DELAYS]  # 1, 5, 30, 120 minutes
    record = record_of(message)
    assert (record.send_state, record.attempts) == (MailSendState.FAILED, MAX_ATTEMPTS)
    assert scheduled() == [] and collector.messages == []
    assert notes(conversation) == [
        "E-mail not sent: The server answered with an error. (451 4.3.0 Mailbox busy, try again later). The reply “您好，已为您催促仓库，"
        "今天发出。” did not reach the customer; resend it from the message once the problem is solved."
    ]
    [notice] = Notification.objects.all()
    assert (notice.recipient, notice.kind, notice.link) == (
        agent,
        "conversations.email_reply_state",
        f"/conversations/?c={conversation.pk}",
    )
    assert "451" in notice.title
    assert [(e.state, e.author_id) for e in states] == [(MailSendState.FAILED, agent.pk)]


def test_a_refused_login_is_not_retried_and_the_password_is_never_shown(
    chat, django_capture_on_commit_callbacks, caplog
):
    conversation, agent = chat
    config = MailSettings.objects.get(inbox=conversation.inbox)
    config.set_password("wrong-pw-123")
    config.save()

    message = reply(conversation, agent, django_capture_on_commit_callbacks)
    record = record_of(message)
    assert (record.send_state, record.attempts) == (MailSendState.FAILED, 1)
    assert scheduled() == []
    [note] = notes(conversation)
    assert note.startswith("E-mail not sent: The server refused the user name or password")
    for secret in ("wrong-pw-123", PASSWORD):
        assert secret not in note and secret not in caplog.text and secret not in record.last_error
    assert Notification.objects.filter(recipient=agent).count() == 1


def test_a_permanent_refusal_is_not_retried(chat, smtp, django_capture_on_commit_callbacks):
    conversation, agent = chat
    collector, _port = smtp
    collector.refusals = [SPAM]
    message = reply(conversation, agent, django_capture_on_commit_callbacks)
    assert record_of(message).send_state == MailSendState.FAILED
    assert (
        record_of(message).last_error
        == "The server answered with an error. (554 5.7.1 Rejected as spam)"
    )
    assert scheduled() == []


def test_a_server_that_cannot_be_reached_is_tried_again_later(
    chat, django_capture_on_commit_callbacks
):
    conversation, agent = chat
    MailSettings.objects.filter(inbox=conversation.inbox).update(
        smtp_port=free_port()
    )  # nobody listens
    message = reply(conversation, agent, django_capture_on_commit_callbacks)
    record = record_of(message)
    assert (record.send_state, record.attempts) == (MailSendState.SENDING, 1)
    assert record.last_error == "The server refused the connection: check the port."
    assert [t.args for t in scheduled()] == [(record.pk, 2)]
    assert notes(conversation) == []


def test_a_failure_after_the_chat_closed_still_marks_the_reply_and_notifies(
    chat, smtp, django_capture_on_commit_callbacks
):
    conversation, agent = chat
    collector, _port = smtp
    collector.refusals = [BUSY, SPAM]
    message = reply(conversation, agent, django_capture_on_commit_callbacks)
    close_conversation(conversation=conversation, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        run_next_attempt()
    assert record_of(message).send_state == MailSendState.FAILED
    assert notes(conversation) == []  # a closed chat takes no more messages
    assert (
        Notification.objects.filter(recipient=agent, kind="conversations.email_reply_state").count()
        == 1
    )


def test_the_serving_agent_resends_a_failed_reply_and_the_same_mail_goes_out(
    chat, smtp, django_capture_on_commit_callbacks, states
):
    conversation, agent = chat
    collector, _port = smtp
    collector.refusals = [SPAM]
    message = reply(conversation, agent, django_capture_on_commit_callbacks)
    record = record_of(message)
    assert record.send_state == MailSendState.FAILED

    client = sign_in(Client(), agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/conversations/{conversation.pk}/messages/{message.pk}/resend/", **HX
        )
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"])["kefu:toast"] == {
        "text": "正在重新发送邮件回复。",
        "level": "success",
    }
    record.refresh_from_db()
    assert (record.send_state, record.attempts, record.last_error) == (MailSendState.SENT, 1, "")
    [(_from, _rcpt, raw)] = collector.messages
    assert email.message_from_bytes(raw, policy=policy.default)["Message-ID"] == record.mail_id
    assert 'data-testid="mail-state"' in response.content.decode()
    assert [e.state for e in states] == [
        MailSendState.FAILED,
        MailSendState.SENDING,
        MailSendState.SENT,
    ]

    again = client.post(f"/conversations/{conversation.pk}/messages/{message.pk}/resend/", **HX)
    assert json.loads(again["HX-Trigger"])["kefu:toast"] == {
        "text": "只有发送失败的回复才能重新发送。",
        "level": "error",
    }
    assert len(collector.messages) == 1


def test_only_the_serving_agent_or_a_supervisor_may_resend(
    chat, smtp, django_capture_on_commit_callbacks
):
    conversation, agent = chat
    collector, _port = smtp
    collector.refusals = [SPAM]
    message = reply(conversation, agent, django_capture_on_commit_callbacks)
    url = f"/conversations/{conversation.pk}/messages/{message.pk}/resend/"
    teammate = make_agent(teams=[conversation.team])
    stranger = make_agent()
    inspector = make_agent(role=Role.INSPECTOR)

    refused = sign_in(Client(), teammate).post(url, **HX)
    assert json.loads(refused["HX-Trigger"])["kefu:toast"]["text"] == (
        "只有接待此会话的客服或主管可以重新发送回复。"
    )
    assert (
        sign_in(Client(), stranger).post(url, **HX).status_code == 404
    )  # another team's chat: as if missing
    assert (
        json.loads(sign_in(Client(), inspector).post(url, **HX)["HX-Trigger"])["kefu:toast"][
            "level"
        ]
        == "error"
    )
    assert (
        sign_in(Client(), agent)
        .post(
            f"/conversations/{conversation.pk}/messages/{conversation.messages.first().pk}/resend/",
            **HX,
        )
        .status_code
        == 404
    )
    assert record_of(message).send_state == MailSendState.FAILED  # nothing changed
    assert collector.messages == []

    supervisor = make_agent(role=Role.SUPERVISOR)
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(Client(), supervisor).post(url, **HX)
    assert record_of(message).send_state == MailSendState.SENT and len(collector.messages) == 1


def test_the_api_resends_a_failed_reply(chat, smtp, django_capture_on_commit_callbacks):
    from kefu.accounts.services import create_api_token

    conversation, agent = chat
    collector, _port = smtp
    collector.refusals = [SPAM]
    message = reply(conversation, agent, django_capture_on_commit_callbacks)
    _token, raw = create_api_token(user=agent, name="test")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    detail = client.get(f"/api/v1/conversations/{conversation.pk}").json()
    [sent] = [m for m in detail["messages"] if m["id"] == message.pk]
    assert (
        sent["email"]["send_state"] == "failed"
        and sent["email"]["error"]
        == "The server answered with an error. (554 5.7.1 Rejected as spam)"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/conversations/{conversation.pk}/messages/{message.pk}/resend"
        )
    assert response.status_code == 200 and response.json()["id"] == message.pk
    assert record_of(message).send_state == MailSendState.SENT and len(collector.messages) == 1


def test_a_replys_new_state_is_pushed_to_the_agents_following_the_chat_never_to_the_customer(
    chat, smtp, django_capture_on_commit_callbacks, monkeypatch
):
    from kefu.realtime import audiences

    pushes = []
    monkeypatch.setattr(
        audiences, "push_many", lambda groups, payload: pushes.append((groups, payload))
    )
    conversation, agent = chat
    message = reply(conversation, agent, django_capture_on_commit_callbacks)
    [(groups, payload)] = [p for p in pushes if p[1]["event"] == "conversations.email_reply_state"]
    assert groups == [f"conversation.{conversation.pk}.agents"]
    assert payload == {
        "event": "conversations.email_reply_state",
        "conversation_id": conversation.pk,
        "message_id": message.pk,
        "state": "sent",
    }


LOGIN = "The server refused the user name or password (some providers need an authorisation code instead of the password)."
ANSWERED = "The server answered with an error."
UNREACHABLE = "The server cannot be reached from kefu's machine."


@pytest.mark.parametrize(
    ("error", "retry", "reason"),
    [
        (
            smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"),
            False,
            f"{LOGIN} (535 5.7.8 bad credentials)",
        ),
        (
            smtplib.SMTPAuthenticationError(454, b"4.7.0 try later"),
            True,
            f"{LOGIN} (454 4.7.0 try later)",
        ),
        (
            smtplib.SMTPRecipientsRefused({"a@example.cn": (550, b"5.1.1 no such user")}),
            False,
            f"{ANSWERED} (550 5.1.1 no such user)",
        ),
        (
            smtplib.SMTPRecipientsRefused({"a@example.cn": (450, b"4.2.1 slow down")}),
            True,
            f"{ANSWERED} (450 4.2.1 slow down)",
        ),
        (
            smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
            True,
            f"{ANSWERED} (Connection unexpectedly closed)",
        ),
        (
            ConnectionRefusedError(111, "Connection refused"),
            True,
            "The server refused the connection: check the port.",
        ),
        (OSError(113, "No route to host"), True, f"{UNREACHABLE} (No route to host)"),
        (
            smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server."),
            False,
            f"{ANSWERED} (SMTP AUTH extension not supported by server.)",
        ),
        (ValueError("a bug"), False, "An unexpected error occurred. (ValueError)"),
    ],
)
def test_temporary_failures_are_retried_and_permanent_ones_are_not(error, retry, reason):
    assert describe_failure(error) == (retry, reason)


def test_a_reply_whose_worker_died_mid_round_is_given_up_and_the_agent_told(
    chat, smtp, django_capture_on_commit_callbacks, states
):
    from kefu.conversations.email.services import STALLED_AFTER, give_up_stalled_replies

    conversation, agent = chat
    collector, _port = smtp
    collector.refusals = [BUSY]
    message = reply(conversation, agent, django_capture_on_commit_callbacks)
    record = record_of(message)
    HUEY.flush()  # the worker died: the scheduled retry is gone with it
    began = record.attempted_at
    assert began is not None and record.send_state == MailSendState.SENDING

    assert (
        give_up_stalled_replies(now=began + STALLED_AFTER - dt.timedelta(minutes=1)) == 0
    )  # may still come
    with django_capture_on_commit_callbacks(execute=True):
        assert give_up_stalled_replies(now=began + STALLED_AFTER + dt.timedelta(minutes=1)) == 1
    record.refresh_from_db()
    assert record.send_state == MailSendState.FAILED and "interrupted" in record.last_error
    [note] = notes(conversation)
    assert note.startswith("E-mail not sent: the sending was interrupted")
    assert Notification.objects.filter(recipient=agent).exists()
    assert [e.state for e in states][-1] == MailSendState.FAILED
    assert give_up_stalled_replies(now=began + 2 * STALLED_AFTER) == 0  # told once
