"""post_message: sequence numbers, idempotency keys (also concurrent), internal notes, replay, and
the facts reports need (first response, each response)."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.accounts.roles import Role
from kefu.conversations.models import Conversation, ConversationState, Message, SenderKind
from kefu.conversations.selectors import messages_after, search_conversations
from kefu.conversations.services.lifecycle import close_conversation
from kefu.conversations.services.messages import (
    MAX_BODY_CHARS,
    ConversationClosedError,
    NewMessage,
    post_message,
    send_agent_message,
    store_messages,
)
from kefu.conversations.services.widget import send_visitor_message
from kefu.conversations.tests.conftest import make_agent, make_conversation, make_inbox
from kefu.core.errors import DomainError, NotFound, PermissionRefused
from kefu.customers.models import Customer

pytestmark = pytest.mark.django_db


def rows(conversation) -> list[tuple]:
    return list(
        Message.objects.filter(conversation=conversation)
        .order_by("seq")
        .values_list("seq", "sender", "body")
    )


def batch_statements(batch: list[NewMessage]) -> list[str]:
    """The statements one batch of the socket writer sends (savepoints of the test's own
    transaction left out); on PostgreSQL the key lookup rides in the lock's round trip and the
    documents' upsert in the write's (psycopg pipelines): neither is seen here."""
    with CaptureQueriesContext(connection) as queries:
        results = store_messages(batch)
    assert not [r for r in results if isinstance(r, Exception)]
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_a_batch_costs_the_same_statements_however_many_chats_and_reads_names_with_the_lock(
    inbox,
):
    """Issue 11.4: the batch reads its chats' names (for their search documents) in the lock's
    statement, not in one more read: lock (+ key lookup), insert, clocks, the documents' read and
    write; the same for one message as for six in three chats. On PostgreSQL two round trips before
    the commit: the lock with the key lookup, the write (insert and clocks in one statement) with
    the documents' upsert."""
    customer = Customer.objects.create(name="赵敏")
    chats = [make_conversation(inbox, name=name) for name in ("王先生", "周先生", "李女士")]
    Conversation.objects.filter(pk=chats[0].pk).update(customer=customer)
    visitor = SenderKind.VISITOR
    one = batch_statements([NewMessage(chats[0].pk, visitor, "在吗", key="a")])
    six = batch_statements(
        [NewMessage(c.pk, visitor, f"第{i}条 发货", key=f"b{i}") for i in range(2) for c in chats]
    )
    expected = 2 if connection.vendor == "postgresql" else 6
    assert (len(one), len(six)) == (expected, expected), six
    names = [sql for sql in six if "customers_customer" in sql or "conversations_visitor" in sql]
    assert len(names) == 1 and "conversations_inbox" in names[0]  # the lock's own statement
    assert "FOR UPDATE" in names[0] or connection.vendor == "sqlite"
    boss = make_agent(role=Role.SUPERVISOR)
    assert list(search_conversations(boss, "赵敏 发货")) == [chats[0]]  # the names were indexed
    assert list(search_conversations(boss, "李女士 发货")) == [chats[2]]


def test_messages_are_numbered_one_by_one_in_each_conversation(inbox):
    first, second = make_conversation(inbox), make_conversation(inbox)
    post_message(conversation=first, sender=SenderKind.VISITOR, body="你好", client_key="a")
    post_message(conversation=second, sender=SenderKind.VISITOR, body="在吗", client_key="a")
    post_message(conversation=first, sender=SenderKind.VISITOR, body="我要退款", client_key="b")
    assert rows(first) == [(1, "visitor", "你好"), (2, "visitor", "我要退款")]
    assert rows(second) == [(1, "visitor", "在吗")]
    assert Conversation.objects.get(pk=first.pk).last_seq == 2


def test_the_same_key_five_times_stores_one_message(inbox):
    conversation = make_conversation(inbox)
    messages = [
        post_message(
            conversation=conversation, sender=SenderKind.VISITOR, body="退款", client_key="k1"
        )
        for _ in range(5)
    ]
    assert {m.pk for m in messages} == {messages[0].pk}
    assert rows(conversation) == [(1, "visitor", "退款")]


def test_a_repeated_key_returns_the_first_message_even_with_another_body(inbox):
    conversation = make_conversation(inbox)
    first = post_message(
        conversation=conversation, sender=SenderKind.VISITOR, body="one", client_key="k"
    )
    again = post_message(
        conversation=conversation, sender=SenderKind.VISITOR, body="two", client_key="k"
    )
    assert again.pk == first.pk and again.body == "one"


def test_a_batch_is_numbered_per_conversation_and_refuses_only_what_it_must(
    inbox, django_capture_on_commit_callbacks
):
    first, second, closed = (
        make_conversation(inbox),
        make_conversation(inbox),
        make_conversation(inbox),
    )
    post_message(conversation=first, sender=SenderKind.VISITOR, body="早先的", client_key="old")
    close_conversation(conversation=closed, actor=make_agent(role=Role.SUPERVISOR))
    visitor = SenderKind.VISITOR
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        results = store_messages(
            [
                NewMessage(conversation_id=first.pk, sender=visitor, body="一", key="a"),
                NewMessage(conversation_id=second.pk, sender=visitor, body="甲", key="a"),
                NewMessage(conversation_id=closed.pk, sender=visitor, body="迟到的", key="c"),
                NewMessage(
                    conversation_id=first.pk, sender=visitor, body="一 again", key="a"
                ),  # same key, same batch
                NewMessage(
                    conversation_id=first.pk, sender=visitor, body="又是早先的", key="old"
                ),  # stored before
                NewMessage(conversation_id=first.pk, sender=visitor, body="二", key="b"),
                NewMessage(conversation_id=10**12, sender=visitor, body="?", key="z"),
            ]
        )
    assert [r.seq if isinstance(r, Message) else type(r) for r in results] == [
        2,
        1,
        ConversationClosedError,
        2,
        1,
        3,
        NotFound,
    ]
    assert results[3].pk == results[0].pk and results[4].body == "早先的"
    assert rows(first) == [(1, "visitor", "早先的"), (2, "visitor", "一"), (3, "visitor", "二")]
    assert rows(second) == [(1, "visitor", "甲")]
    assert Conversation.objects.get(pk=first.pk).last_seq == 3
    assert len(callbacks) == 3  # one MessagePosted per new message, none for repeats or refusals


def test_server_messages_without_a_key_are_all_stored(inbox):
    conversation = make_conversation(inbox)
    for _ in range(3):
        post_message(conversation=conversation, sender=SenderKind.SYSTEM, body="系统消息")
    assert [r[0] for r in rows(conversation)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "The message is empty."),
        ("   ", "The message is empty."),
        (
            "x" * (MAX_BODY_CHARS + 1),
            f"The message is too long: at most {MAX_BODY_CHARS} characters.",
        ),
        (None, "A message must be text."),
    ],
)
def test_bad_bodies_are_refused_and_nothing_is_stored(inbox, body, message):
    conversation = make_conversation(inbox)
    with pytest.raises(DomainError, match=message.replace(".", r"\.")):
        post_message(
            conversation=conversation, sender=SenderKind.VISITOR, body=body, client_key="k"
        )
    assert rows(conversation) == []
    assert Conversation.objects.get(pk=conversation.pk).last_seq == 0


def test_a_visitor_cannot_write_an_internal_note(inbox):
    conversation = make_conversation(inbox)
    with pytest.raises(DomainError, match="Only agents write internal notes"):
        post_message(
            conversation=conversation, sender=SenderKind.VISITOR, body="x", is_internal=True
        )
    assert rows(conversation) == []


def test_replay_gives_what_came_after_a_sequence_number_without_internal_notes(inbox):
    agent = make_agent()
    conversation = make_conversation(inbox)
    conversation.assignee, conversation.state = agent, ConversationState.OPEN
    conversation.save()
    post_message(conversation=conversation, sender=SenderKind.VISITOR, body="1")
    send_agent_message(
        actor=agent, conversation=conversation, body="note", client_key=None, is_internal=True
    )
    send_agent_message(actor=agent, conversation=conversation, body="3", client_key=None)
    assert [(m.seq, m.body) for m in messages_after(conversation, 1)] == [(3, "3")]
    assert [(m.seq, m.body) for m in messages_after(conversation, 1, include_internal=True)] == [
        (2, "note"),
        (3, "3"),
    ]
    assert messages_after(conversation, 3) == []


def test_a_closed_conversation_takes_no_message(inbox):
    agent = make_agent()
    conversation = make_conversation(inbox)
    conversation.assignee, conversation.state = agent, ConversationState.OPEN
    conversation.save()
    close_conversation(conversation=conversation, actor=agent)
    before = rows(conversation)
    with pytest.raises(DomainError, match="This conversation is closed"):
        post_message(conversation=conversation, sender=SenderKind.AGENT, body="x", author=agent)
    assert rows(conversation) == before


def test_a_visitor_message_after_closing_starts_a_new_conversation_but_a_resent_key_does_not(inbox):
    agent = make_agent()
    conversation = make_conversation(inbox)
    visitor = conversation.visitor
    send_visitor_message(visitor=visitor, conversation=conversation, body="在吗", client_key="k1")
    conversation.assignee, conversation.state = agent, ConversationState.OPEN
    conversation.save()
    close_conversation(conversation=conversation, actor=agent)
    resent = send_visitor_message(
        visitor=visitor, conversation=conversation, body="在吗", client_key="k1"
    )
    assert resent.conversation_id == conversation.pk and resent.seq == 1
    fresh = send_visitor_message(
        visitor=visitor, conversation=conversation, body="还有问题", client_key="k2"
    )
    assert fresh.conversation_id != conversation.pk and fresh.seq == 1
    assert fresh.conversation.state == ConversationState.WAITING


def test_a_visitor_cannot_write_into_another_visitors_conversation(inbox):
    mine, theirs = make_conversation(inbox), make_conversation(inbox)
    with pytest.raises(NotFound):
        send_visitor_message(visitor=mine.visitor, conversation=theirs, body="x", client_key="k")
    assert rows(theirs) == []


def test_only_the_serving_agent_or_a_supervisor_replies_but_any_team_agent_may_note(inbox):
    serving, other, supervisor = make_agent(), make_agent(), make_agent(role=Role.SUPERVISOR)
    conversation = make_conversation(inbox)
    conversation.assignee, conversation.state = serving, ConversationState.OPEN
    conversation.save()
    with pytest.raises(PermissionRefused, match="Only the agent serving this conversation"):
        send_agent_message(actor=other, conversation=conversation, body="hi", client_key="k")
    assert rows(conversation) == []
    send_agent_message(
        actor=other, conversation=conversation, body="note", client_key="n", is_internal=True
    )
    send_agent_message(actor=supervisor, conversation=conversation, body="主管回复", client_key="s")
    send_agent_message(actor=serving, conversation=conversation, body="您好", client_key="a")
    assert rows(conversation) == [
        (1, "agent", "note"),
        (2, "agent", "主管回复"),
        (3, "agent", "您好"),
    ]


def test_first_response_and_each_response_time_are_recorded(inbox, monkeypatch):
    from django.utils import timezone

    agent = make_agent()
    conversation = make_conversation(inbox)
    conversation.assignee, conversation.state = agent, ConversationState.OPEN
    conversation.save()
    t0 = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)
    clock = {"now": t0}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])

    def at(seconds, **kwargs):
        clock["now"] = t0 + dt.timedelta(seconds=seconds)
        return post_message(conversation=conversation, **kwargs)

    at(0, sender=SenderKind.VISITOR, body="在吗")
    at(20, sender=SenderKind.VISITOR, body="我要改地址")
    note = at(30, sender=SenderKind.AGENT, author=agent, body="查一下订单", is_internal=True)
    first = at(45, sender=SenderKind.AGENT, author=agent, body="您好")
    follow = at(50, sender=SenderKind.AGENT, author=agent, body="请稍等")
    at(100, sender=SenderKind.VISITOR, body="好的")
    second = at(130, sender=SenderKind.AGENT, author=agent, body="已改好")
    conversation.refresh_from_db()
    assert conversation.first_response_at == t0 + dt.timedelta(seconds=45)
    assert [
        note.response_seconds,
        first.response_seconds,
        follow.response_seconds,
        second.response_seconds,
    ] == [
        None,
        45,
        None,
        30,
    ]
    assert conversation.last_activity_at == t0 + dt.timedelta(seconds=130)
    assert conversation.awaiting_reply_since is None


def skip_on_shared_memory_sqlite():
    """The suite's SQLite test database lives in shared-cache memory, whose table locks fail at once
    instead of waiting; the file database kefu runs on serialises writers (IMMEDIATE transactions,
    busy_timeout). These run for real on PostgreSQL; test_sockets covers the same key through five
    sockets at once on both."""
    if connection.vendor == "sqlite" and "mode=memory" in str(
        connection.settings_dict["TEST"].get("NAME") or "mode=memory"
    ):
        pytest.skip("threads cannot write at once to a shared-cache in-memory SQLite database")


@pytest.mark.django_db(transaction=True)
def test_the_same_key_sent_five_times_at_once_stores_one_message():
    skip_on_shared_memory_sqlite()
    conversation = make_conversation(make_inbox())
    barrier = threading.Barrier(5)
    results, errors = [], []

    def send():
        try:
            barrier.wait(timeout=5)
            results.append(
                post_message(
                    conversation=conversation,
                    sender=SenderKind.VISITOR,
                    body="同时",
                    client_key="dup",
                )
            )
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len({m.pk for m in results}) == 1 and len(results) == 5
    assert rows(conversation) == [(1, "visitor", "同时")]
    assert Conversation.objects.get(pk=conversation.pk).last_seq == 1


@pytest.mark.django_db(transaction=True)
def test_different_keys_sent_at_once_get_distinct_gapless_numbers():
    skip_on_shared_memory_sqlite()
    conversation = make_conversation(make_inbox())
    barrier = threading.Barrier(5)
    errors = []

    def send(n):
        try:
            barrier.wait(timeout=5)
            post_message(
                conversation=conversation,
                sender=SenderKind.VISITOR,
                body=f"m{n}",
                client_key=f"k{n}",
            )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert [r[0] for r in rows(conversation)] == [1, 2, 3, 4, 5]
    assert sorted(r[2] for r in rows(conversation)) == [f"m{n}" for n in range(5)]


def test_a_flood_of_new_chats_from_one_address_is_throttled_and_open_chats_go_on(inbox):
    from django.conf import settings
    from django.core.cache import cache

    from kefu.conversations.models import Visitor
    from kefu.conversations.services.widget import send_visitor_message

    NEW_CHATS_PER_ADDRESS_PER_MINUTE = settings.KEFU_NEW_CHATS_PER_ADDRESS_PER_MINUTE
    cache.clear()
    visitors = [
        Visitor.objects.create(inbox=inbox) for _ in range(NEW_CHATS_PER_ADDRESS_PER_MINUTE + 1)
    ]
    started = [
        send_visitor_message(
            visitor=v, conversation=None, body="你好", client_key=f"k{n}", address="203.0.113.9"
        )
        for n, v in enumerate(visitors[:-1])
    ]
    with pytest.raises(DomainError, match="Too many new chats"):
        send_visitor_message(
            visitor=visitors[-1],
            conversation=None,
            body="你好",
            client_key="flood",
            address="203.0.113.9",
        )
    assert Conversation.objects.count() == NEW_CHATS_PER_ADDRESS_PER_MINUTE
    # A chat already open from that address goes on; another address is not affected.
    send_visitor_message(
        visitor=visitors[0],
        conversation=started[0].conversation,
        body="还在吗",
        client_key="more",
        address="203.0.113.9",
    )
    send_visitor_message(
        visitor=visitors[-1],
        conversation=None,
        body="你好",
        client_key="other",
        address="198.51.100.7",
    )
    assert Conversation.objects.count() == NEW_CHATS_PER_ADDRESS_PER_MINUTE + 1
    cache.clear()
