"""emit(): delivered after commit, never on rollback; inline and Huey-task subscribers."""

from dataclasses import dataclass
from typing import ClassVar

import pytest
from django.db import transaction

from kefu.accounts.events import PresenceChanged
from kefu.accounts.models import Presence
from kefu.accounts.roles import Role
from kefu.core.events import Delivery, DomainEvent, emit, subscribe, subscriptions_for, unsubscribe

RECEIVED: list = []


@dataclass(frozen=True)
class SomethingHappened(DomainEvent):
    name: ClassVar[str] = "tests.something_happened"
    thing_id: int


def remember(event):
    RECEIVED.append(("inline", event))


def remember_in_task(event):
    RECEIVED.append(("task", event))


@pytest.fixture
def listeners():
    RECEIVED.clear()
    subscribe(SomethingHappened, remember, mode=Delivery.INLINE)
    subscribe(SomethingHappened, remember_in_task, mode=Delivery.TASK)
    yield RECEIVED
    unsubscribe(SomethingHappened, remember)
    unsubscribe(SomethingHappened, remember_in_task)


@pytest.mark.django_db(transaction=True)
def test_events_are_delivered_after_commit_to_both_kinds_of_subscriber(listeners):
    with transaction.atomic():
        emit(SomethingHappened(thing_id=7))
        assert listeners == []  # nothing before the commit
    assert listeners == [
        ("inline", SomethingHappened(thing_id=7)),
        ("task", SomethingHappened(thing_id=7)),
    ]


@pytest.mark.django_db(transaction=True)
def test_nothing_is_delivered_when_the_transaction_rolls_back(listeners):
    with pytest.raises(RuntimeError), transaction.atomic():
        emit(SomethingHappened(thing_id=8))
        raise RuntimeError("the service failed")
    assert listeners == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_inline_subscriber_does_not_stop_the_others(listeners):
    def explode(event):
        raise ValueError("boom")

    subscribe(SomethingHappened, explode, mode=Delivery.INLINE)
    try:
        emit(SomethingHappened(thing_id=9))
    finally:
        unsubscribe(SomethingHappened, explode)
    assert ("task", SomethingHappened(thing_id=9)) in listeners


def test_events_must_be_domain_events():
    with pytest.raises(TypeError):
        emit({"thing_id": 1})


def test_an_event_class_needs_a_unique_name():
    with pytest.raises(TypeError, match="used twice"):

        @dataclass(frozen=True)
        class Again(DomainEvent):
            name: ClassVar[str] = "tests.something_happened"


def test_the_realtime_app_subscribes_to_presence_changes():
    paths = [s.handler_path for s in subscriptions_for(PresenceChanged)]
    assert "kefu.realtime.subscribers.push_presence" in paths


@pytest.mark.django_db
def test_set_presence_emits_presence_changed(make_user, django_capture_on_commit_callbacks):
    from kefu.accounts import services

    agent = make_user(Role.AGENT)
    received = []

    def listen(event):
        received.append(event)

    subscribe(PresenceChanged, listen, mode=Delivery.INLINE)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.set_presence(user=agent, presence=Presence.ONLINE)
        with django_capture_on_commit_callbacks(execute=True):
            services.set_presence(user=agent, presence=Presence.ONLINE)  # no change, no event
    finally:
        unsubscribe(PresenceChanged, listen)
    assert received == [PresenceChanged(user_id=agent.pk, presence="online")]


@pytest.mark.django_db
def test_muted_events_are_dropped_not_delivered(listeners, django_capture_on_commit_callbacks):
    from kefu.core.events import muted

    with django_capture_on_commit_callbacks(execute=True):
        with muted():
            emit(SomethingHappened(thing_id=1))
        emit(SomethingHappened(thing_id=2))
    assert sorted({e.thing_id for _kind, e in listeners}) == [2]


@pytest.mark.django_db(transaction=True)
def test_a_subscription_with_a_condition_is_not_queued_for_events_it_does_not_want(monkeypatch):
    queued = []
    monkeypatch.setattr(
        "kefu.core.events._task_sender", lambda path, name, payload: queued.append(payload)
    )
    subscribe(
        SomethingHappened,
        remember_in_task,
        mode=Delivery.TASK,
        when=lambda event: event.thing_id > 10,
    )
    try:
        emit(SomethingHappened(thing_id=3))
        emit(SomethingHappened(thing_id=11))
    finally:
        unsubscribe(SomethingHappened, remember_in_task)
    assert queued == [{"thing_id": 11}]


def test_only_an_agent_reply_in_an_email_conversation_queues_the_smtp_task():
    from kefu.conversations.events import MessagePosted

    [subscription] = [
        s for s in subscriptions_for(MessagePosted) if s.handler_path.endswith(".send_agent_reply")
    ]
    assert subscription.mode is Delivery.TASK
    base = dict(
        conversation_id=1,
        message_id=1,
        seq=1,
        author_id=None,
        author_name="",
        body="x",
        created_at="2026-11-29T00:00:00+00:00",
    )
    wanted = [
        subscription.when(
            MessagePosted(channel=channel, sender=sender, is_internal=internal, **base)
        )
        for channel, sender, internal in [
            ("email", "agent", False),
            ("email", "agent", True),
            ("email", "visitor", False),
            ("web", "agent", False),
        ]
    ]
    assert wanted == [True, False, False, False]


@pytest.mark.django_db
def test_an_event_hands_its_emitters_cause_to_inline_subscribers_whenever_the_commit_comes(
    django_capture_on_commit_callbacks,
):
    from kefu.core.events import caused_by, current_cause

    seen = []

    def note_cause(event):
        seen.append((event.thing_id, current_cause()))

    subscribe(SomethingHappened, note_cause, mode=Delivery.INLINE)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            with caused_by((4, 2)):
                emit(SomethingHappened(thing_id=1))
            emit(SomethingHappened(thing_id=2))
            assert seen == []  # the cause outlives its block: the commit comes later
    finally:
        unsubscribe(SomethingHappened, note_cause)
    assert seen == [(1, (4, 2)), (2, ())]
    assert current_cause() == ()
