"""The chat statistics export (会话统计 as .xlsx) through its page: agents' display names from the
hostile corpus are written as inert text, never as formulas."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.conversations.models import SenderKind, Visitor
from kefu.conversations.services.lifecycle import assign_conversation, start_conversation
from kefu.conversations.services.messages import post_message, send_agent_message
from kefu.conversations.tests.conftest import make_agent, make_inbox
from tests.spreadsheets import HOSTILE_EXPORT_STRINGS, formula_cells, inert, xlsx_rows

pytestmark = pytest.mark.django_db


def serve_one_chat(*, inbox, supervisor, agent) -> None:
    conversation = start_conversation(visitor=Visitor.objects.create(inbox=inbox))
    post_message(conversation=conversation, sender=SenderKind.VISITOR, body="在吗")
    assign_conversation(actor=supervisor, conversation=conversation, agent=agent)
    conversation.refresh_from_db()
    send_agent_message(actor=agent, conversation=conversation, body="您好", client_key="k1")


def test_hostile_agent_names_are_inert_cells():
    inbox = make_inbox()
    supervisor = make_agent(role=Role.SUPERVISOR, username="组长")
    for i, hostile in enumerate(HOSTILE_EXPORT_STRINGS):
        agent = make_agent(username=f"agent{i}", display_name=hostile, max_chats=10)
        serve_one_chat(inbox=inbox, supervisor=supervisor, agent=agent)
    today = timezone.localdate()

    response = sign_in(Client(), supervisor).get(
        "/conversations/statistics/",
        {
            "since": (today - dt.timedelta(days=1)).isoformat(),
            "until": today.isoformat(),
            "format": "xlsx",
        },
    )

    assert response.status_code == 200
    assert formula_cells(response) == []
    names = [row[1] for row in xlsx_rows(response)[1:]]
    assert sorted(names) == sorted(inert(h) for h in HOSTILE_EXPORT_STRINGS)
