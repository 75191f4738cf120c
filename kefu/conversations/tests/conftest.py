"""Factories and fixtures of the conversations tests."""

import pytest
from django.utils import translation

from kefu.accounts.models import AgentProfile, Presence
from kefu.accounts.roles import Role
from kefu.conversations.models import Inbox, Visitor
from kefu.conversations.services.lifecycle import start_conversation
from tests.factories import UserFactory

ORIGIN = "http://shop.example:8080"


@pytest.fixture(autouse=True)
def in_english():
    """Refusals are asserted by their English msgid, whatever the translations say."""
    with translation.override("en"):
        yield


def make_inbox(**kwargs) -> Inbox:
    kwargs.setdefault("name", "官网在线客服")
    kwargs.setdefault("allowed_origins", [ORIGIN])
    return Inbox.objects.create(**kwargs)


def make_agent(*, presence: str = Presence.ONLINE, max_chats: int = 5, role: str = Role.AGENT, skills=(), teams=(), **kw):
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
