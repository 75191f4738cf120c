"""Chats for the quality tests: served by an agent, closed through the conversations services, so
the automatic check runs after commit as it does in production (Huey is immediate in tests)."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.accounts.roles import Role
from kefu.conversations.models import Message, SenderKind
from kefu.conversations.services.lifecycle import assign_conversation, close_conversation
from kefu.conversations.services.messages import post_message
from kefu.conversations.tests.conftest import make_agent, make_conversation, make_inbox
from kefu.quality.models import QualitySettings
from tests.factories import UserFactory

GOOD_CHAT = [
    ("visitor", "你好，我想问一下订单什么时候发货"),
    ("agent", "您好，很高兴为您服务，我帮您查一下"),
    ("visitor", "好的"),
    ("agent", "您的订单明天发货，感谢您的咨询，祝您生活愉快"),
]


@pytest.fixture
def no_random_sample(db):
    """Sampling by rule only (no random pick, agents older than a week): tests choose what is sampled."""
    QualitySettings.objects.update_or_create(pk=1, defaults={"random_percent": 0})


def old_agent(**kwargs):
    agent = make_agent(**kwargs)
    agent.date_joined = timezone.now() - dt.timedelta(days=60)
    agent.save(update_fields=["date_joined"])
    return agent


def served_chat(agent, lines, *, inbox=None, response_seconds=None, close=True):
    """A conversation served by `agent` with `lines` [(sender, body)], closed by the agent.
    `response_seconds`: {agent line index: seconds} set on the agent's replies."""
    supervisor = UserFactory(role=Role.SUPERVISOR)
    conversation = make_conversation(inbox or make_inbox())
    conversation.refresh_from_db()
    if conversation.assignee_id != agent.pk:  # routing may have given it already, after commit
        assign_conversation(actor=supervisor, conversation=conversation, agent=agent)
    made = []
    for sender, body in lines:
        made.append(
            post_message(
                conversation=conversation,
                sender=SenderKind.AGENT if sender == "agent" else SenderKind.VISITOR,
                body=body,
                author=agent if sender == "agent" else None,
            )
        )
    for index, seconds in (response_seconds or {}).items():
        Message.objects.filter(pk=made[index].pk).update(response_seconds=seconds)
    if close:
        close_conversation(conversation=conversation, actor=agent)
    conversation.refresh_from_db()
    return conversation, made
