"""The demo chats: built through the real services on a made-up past, so the workspace and 会话统计
show true facts; nothing in the future; a few left open and waiting; built once."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.accounts.roles import Role
from kefu.conversations import demo
from kefu.conversations.models import Conversation, ConversationState, Message, SenderKind
from kefu.conversations.statistics import agent_totals
from kefu.conversations.tests.conftest import make_agent

pytestmark = pytest.mark.django_db


def test_the_demo_chats_are_true_to_the_services_and_to_the_clock():
    agents = [make_agent(max_chats=50) for _ in range(3)]
    make_agent(role=Role.SUPERVISOR)
    now = timezone.now()
    demo.build(password="x", count=40, now=now)

    conversations = list(Conversation.objects.all())
    states = [c.state for c in conversations]
    assert len(conversations) == 40
    assert states.count(ConversationState.WAITING) == demo.LEFT_WAITING
    assert states.count(ConversationState.OPEN) == demo.LEFT_OPEN
    assert states.count(ConversationState.CLOSED) == 40 - demo.LEFT_OPEN - demo.LEFT_WAITING
    assert all(c.created_at <= now and (c.closed_at or c.created_at) <= now for c in conversations)
    # Most in the last month (quality, KPIs), some over the year before it (the reports' year).
    oldest = min(c.created_at for c in conversations)
    assert now - dt.timedelta(days=366) <= oldest < now - dt.timedelta(days=demo.HISTORY_DAYS)
    recent = [
        c for c in conversations if c.created_at >= now - dt.timedelta(days=demo.HISTORY_DAYS)
    ]
    assert len(recent) > len(conversations) / 2
    assert not Message.objects.filter(created_at__gt=now).exists()
    answered = [c for c in conversations if c.first_response_at]
    assert answered and all(
        dt.timedelta(seconds=5) <= c.first_response_at - c.created_at <= dt.timedelta(minutes=3)
        for c in answered
    )
    assert Message.objects.filter(sender=SenderKind.AGENT, response_seconds__gt=0).exists()

    totals = agent_totals(
        since=timezone.localdate(now) - dt.timedelta(days=366), until=timezone.localdate(now)
    )
    assert {t.agent_id for t in totals} <= {a.pk for a in agents}
    assert sum(t.chats for t in totals) == 40 - demo.LEFT_WAITING
    assert all(t.first_response_seconds and t.response_seconds for t in totals)

    demo.build(password="x", count=40, now=now)  # a second start changes nothing
    assert Conversation.objects.count() == 40
