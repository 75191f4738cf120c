"""Transfer, take-over and reassignment, close and auto-close, rating: each allowed and refused
move, the customer's timeline and the events emitted after commit."""

import datetime as dt

import pytest

from kefu.accounts.roles import Role
from kefu.conversations.events import (
    ConversationAssigned,
    ConversationClosed,
    ConversationRated,
    ConversationRequeued,
    ConversationStarted,
    MessagePosted,
)
from kefu.conversations.models import CloseReason, Conversation, ConversationState, Message, Visitor
from kefu.conversations.services.lifecycle import (
    assign_conversation,
    close_conversation,
    close_idle,
    rate_conversation,
    start_conversation,
    transfer_conversation,
)
from kefu.conversations.services.messages import post_message
from kefu.conversations.tests.conftest import make_agent, make_conversation, make_inbox
from kefu.core.errors import DomainError, NotFound, PermissionRefused
from kefu.core.events import Delivery, subscribe, unsubscribe
from kefu.core.models import TimelineEntry
from kefu.core.statemachine import TransitionRefused
from kefu.customers.models import Customer
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

EVENT_TYPES = (
    ConversationStarted,
    ConversationAssigned,
    ConversationRequeued,
    ConversationClosed,
    ConversationRated,
    MessagePosted,
)


@pytest.fixture
def events():
    received = []
    for event_type in EVENT_TYPES:
        subscribe(event_type, received.append, mode=Delivery.INLINE)
    yield received
    for event_type in EVENT_TYPES:
        unsubscribe(event_type, received.append)


def served_by(agent, inbox=None, *, customer=None) -> Conversation:
    conversation = start_conversation(
        visitor=Visitor.objects.create(inbox=inbox or make_inbox(), customer=customer)
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        assignee=agent, state=ConversationState.OPEN
    )
    conversation.refresh_from_db()
    return conversation


def snapshot(conversation) -> tuple:
    c = Conversation.objects.get(pk=conversation.pk)
    return (c.state, c.assignee_id, c.team_id, c.closed_at, c.last_seq, c.rating)


def test_starting_twice_returns_the_live_conversation_and_records_it_on_the_customer(
    events, django_capture_on_commit_callbacks
):
    customer = Customer.objects.create(name="张伟")
    visitor = Visitor.objects.create(inbox=make_inbox(), customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        first = start_conversation(visitor=visitor)
    assert start_conversation(visitor=visitor).pk == first.pk
    assert first.customer_id == customer.pk and first.state == ConversationState.WAITING
    assert list(
        TimelineEntry.objects.filter(customer_id=customer.pk).values_list("kind", flat=True)
    ) == [
        "conversations.started",
    ]
    assert events == [
        ConversationStarted(
            conversation_id=first.pk,
            inbox_id=visitor.inbox_id,
            visitor_id=visitor.pk,
            customer_id=customer.pk,
        )
    ]


def test_transfer_to_an_agent_with_a_note(events, django_capture_on_commit_callbacks):
    customer = Customer.objects.create(name="李娜")
    agent, colleague = make_agent(), make_agent()
    conversation = served_by(agent, customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        transfer_conversation(
            actor=agent, conversation=conversation, to_agent=colleague, note="客户要开发票"
        )
    assert snapshot(conversation)[:2] == ("open", colleague.pk)
    note = Message.objects.get(conversation=conversation)
    assert (note.is_internal, note.author_id, note.body) == (
        True,
        agent.pk,
        f"Transferred to {colleague}: 客户要开发票",
    )
    assert [type(e) for e in events] == [ConversationAssigned, MessagePosted]
    assert events[0] == ConversationAssigned(
        conversation_id=conversation.pk,
        assignee_id=colleague.pk,
        assignee_name=str(colleague),
        previous_assignee_id=agent.pk,
        assigned_by_id=agent.pk,
    )
    assert list(
        TimelineEntry.objects.filter(customer_id=customer.pk)
        .order_by("id")
        .values_list("kind", flat=True)
    ) == [
        "conversations.started",
        "conversations.assigned",
        "conversations.transferred",
    ]


def test_transfer_to_a_team_puts_it_back_in_the_queue_and_routing_finds_a_member(
    events, django_capture_on_commit_callbacks
):
    team = TeamFactory()
    agent, member = make_agent(), make_agent(teams=[team])
    make_agent()  # online, but not in the team
    conversation = served_by(agent)
    with django_capture_on_commit_callbacks(execute=True):
        transfer_conversation(actor=agent, conversation=conversation, to_team=team)
    assert snapshot(conversation)[:3] == ("open", member.pk, team.pk)
    assert [type(e) for e in events] == [ConversationRequeued, MessagePosted, ConversationAssigned]


def test_only_the_serving_agent_or_a_supervisor_may_transfer():
    agent, other = make_agent(), make_agent()
    conversation = served_by(agent)
    before = snapshot(conversation)
    with pytest.raises(
        PermissionRefused, match="only the agent serving this conversation or a supervisor"
    ):
        transfer_conversation(actor=other, conversation=conversation, to_agent=other)
    assert snapshot(conversation) == before
    assert not Message.objects.filter(conversation=conversation).exists()


@pytest.mark.parametrize("target", ["self", "inspector", "main_account"])
def test_transfer_to_someone_who_cannot_take_it_is_refused(target):
    agent = make_agent()
    inspector = make_agent(role=Role.INSPECTOR)
    main = make_agent()
    conversation = served_by(agent, make_inbox(main_account=main))
    to = {"self": agent, "inspector": inspector, "main_account": main}[target]
    before = snapshot(conversation)
    with pytest.raises(DomainError):
        transfer_conversation(actor=agent, conversation=conversation, to_agent=to)
    assert snapshot(conversation) == before


def test_transfer_needs_exactly_one_target():
    agent = make_agent()
    conversation = served_by(agent)
    with pytest.raises(DomainError, match="Choose either an agent or a team"):
        transfer_conversation(actor=agent, conversation=conversation)


def test_a_supervisor_takes_over_and_reassigns_but_an_agent_may_not():
    agent, other = make_agent(), make_agent()
    supervisor = make_agent(role=Role.SUPERVISOR)
    conversation = served_by(agent)
    with pytest.raises(PermissionRefused):
        assign_conversation(actor=other, conversation=conversation, agent=other)
    assert snapshot(conversation)[1] == agent.pk
    assign_conversation(actor=supervisor, conversation=conversation, agent=supervisor)
    assert snapshot(conversation)[:2] == ("open", supervisor.pk)
    assign_conversation(actor=supervisor, conversation=conversation, agent=other)
    assert snapshot(conversation)[:2] == ("open", other.pk)


def test_a_supervisor_may_assign_a_waiting_conversation_by_hand():
    supervisor, agent = make_agent(role=Role.SUPERVISOR), make_agent()
    conversation = make_conversation()
    assign_conversation(actor=supervisor, conversation=conversation, agent=agent)
    assert snapshot(conversation)[:2] == ("open", agent.pk)
    assert Conversation.objects.get(pk=conversation.pk).assigned_at is not None


def test_close_by_the_agent_posts_an_end_line_and_records_the_handling_facts(
    events, django_capture_on_commit_callbacks
):
    customer = Customer.objects.create(name="王芳")
    agent = make_agent()
    conversation = served_by(agent, customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        close_conversation(conversation=conversation, actor=agent)
    conversation.refresh_from_db()
    assert (conversation.state, conversation.close_reason, conversation.closed_by_id) == (
        "closed",
        "agent",
        agent.pk,
    )
    assert conversation.closed_at is not None
    assert list(
        Message.objects.filter(conversation=conversation).values_list(
            "sender", "body", "is_internal"
        )
    ) == [
        ("system", "This conversation has ended.", False),
    ]
    assert events[-1] == ConversationClosed(
        conversation_id=conversation.pk, assignee_id=agent.pk, closed_by_id=agent.pk, reason="agent"
    )
    assert (
        TimelineEntry.objects.filter(customer_id=customer.pk, kind="conversations.closed").count()
        == 1
    )


def test_closing_twice_or_by_someone_else_is_refused_and_changes_nothing():
    agent, other = make_agent(), make_agent()
    conversation = served_by(agent)
    with pytest.raises(PermissionRefused):
        close_conversation(conversation=conversation, actor=other)
    assert snapshot(conversation)[0] == "open"
    close_conversation(conversation=conversation, actor=agent)
    before = snapshot(conversation)
    with pytest.raises(TransitionRefused):
        close_conversation(conversation=conversation, actor=agent)
    assert snapshot(conversation) == before


def test_the_visitor_closes_their_own_conversation_only():
    agent = make_agent()
    conversation, other = served_by(agent), served_by(agent)
    with pytest.raises(NotFound):
        close_conversation(conversation=other, visitor=conversation.visitor)
    assert snapshot(other)[0] == "open"
    close_conversation(conversation=conversation, visitor=conversation.visitor)
    conversation.refresh_from_db()
    assert (conversation.state, conversation.close_reason) == ("closed", CloseReason.VISITOR)


def test_idle_conversations_are_closed_after_their_inboxs_time(monkeypatch):
    from django.utils import timezone

    agent = make_agent()
    t0 = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: t0)
    default_inbox, quick, never = (
        make_inbox(),
        make_inbox(auto_close_minutes=5),
        make_inbox(auto_close_minutes=0),
    )
    idle, quick_idle, kept = (
        served_by(agent, default_inbox),
        served_by(agent, quick),
        served_by(agent, never),
    )
    active = served_by(agent, default_inbox)
    monkeypatch.setattr(timezone, "now", lambda: t0 + dt.timedelta(minutes=20))
    post_message(conversation=active, sender="visitor", body="还在吗")
    now = t0 + dt.timedelta(minutes=31)
    monkeypatch.setattr(timezone, "now", lambda: now)
    assert close_idle(now=now) == 2
    assert [snapshot(c)[0] for c in (idle, quick_idle, kept, active)] == [
        "closed",
        "closed",
        "open",
        "open",
    ]
    assert Conversation.objects.get(pk=idle.pk).close_reason == CloseReason.IDLE
    assert close_idle(now=now) == 0


def test_an_internal_note_does_not_keep_a_conversation_alive(monkeypatch):
    from django.utils import timezone

    agent = make_agent()
    t0 = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: t0)
    conversation = served_by(agent)
    monkeypatch.setattr(timezone, "now", lambda: t0 + dt.timedelta(minutes=25))
    post_message(
        conversation=conversation, sender="agent", author=agent, body="备注", is_internal=True
    )
    assert close_idle(now=t0 + dt.timedelta(minutes=31)) == 1


def test_the_idle_task_runs_close_idle():
    from kefu.conversations.tasks import close_idle_conversations

    agent = make_agent()
    conversation = served_by(agent)
    Conversation.objects.filter(pk=conversation.pk).update(
        last_activity_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    close_idle_conversations.call_local()
    assert snapshot(conversation)[0] == "closed"


def test_the_visitor_rates_a_served_conversation(events, django_capture_on_commit_callbacks):
    agent = make_agent()
    conversation = served_by(agent)
    with django_capture_on_commit_callbacks(execute=True):
        rate_conversation(visitor=conversation.visitor, conversation=conversation, rating=5)
    assert snapshot(conversation)[5] == 5
    assert events == [
        ConversationRated(conversation_id=conversation.pk, assignee_id=agent.pk, rating=5)
    ]


@pytest.mark.parametrize("rating", [0, 6, "5", None, True, 4.5])
def test_a_rating_outside_one_to_five_is_refused(rating):
    conversation = served_by(make_agent())
    with pytest.raises(DomainError, match="A rating is a whole number from 1 to 5"):
        rate_conversation(visitor=conversation.visitor, conversation=conversation, rating=rating)
    assert snapshot(conversation)[5] is None


def test_nobody_rates_an_unserved_or_someone_elses_conversation():
    waiting = make_conversation()
    with pytest.raises(DomainError, match="Only a conversation an agent has served"):
        rate_conversation(visitor=waiting.visitor, conversation=waiting, rating=3)
    served = served_by(make_agent())
    with pytest.raises(NotFound):
        rate_conversation(visitor=waiting.visitor, conversation=served, rating=3)
    assert snapshot(served)[5] is None
