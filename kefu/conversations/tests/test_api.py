"""The conversations API (agent side) and the canned replies API, with a bearer token."""

import pytest
from django.test import Client

from kefu.accounts.roles import Role
from kefu.accounts.services import create_api_token
from kefu.conversations.models import ConversationState, Message
from kefu.conversations.selectors import messages_after
from kefu.conversations.services.routing import give_conversation
from kefu.conversations.services.widget import send_visitor_message
from kefu.conversations.tests.conftest import make_agent, make_conversation
from kefu.replies.services import create_reply

pytestmark = pytest.mark.django_db


def api(user) -> Client:
    _token, raw = create_api_token(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def served_by(agent, inbox):
    conversation = make_conversation(inbox, name="王先生")
    give_conversation(conversation=conversation, agent=agent, by=None)
    send_visitor_message(
        visitor=conversation.visitor, conversation=conversation, body="发货了吗", client_key="v1"
    )
    return conversation


def test_list_get_post_with_a_key_transfer_and_close(inbox):
    agent, second = make_agent(), make_agent()
    conversation = served_by(agent, inbox)
    client = api(agent)
    listed = client.get("/api/v1/conversations?view=mine").json()["items"]
    assert [c["id"] for c in listed] == [conversation.pk] and listed[0]["name"] == "王先生"

    first = client.post(
        f"/api/v1/conversations/{conversation.pk}/messages",
        {"key": "k-1", "body": "您好！您稍等下，我马上帮您查询"},
        content_type="application/json",
    )
    again = client.post(
        f"/api/v1/conversations/{conversation.pk}/messages",
        {"key": "k-1", "body": "您好！您稍等下，我马上帮您查询"},
        content_type="application/json",
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and first.json()["seq"] == 2
    note = client.post(
        f"/api/v1/conversations/{conversation.pk}/messages",
        {"key": "k-2", "body": "查过了，明天到", "internal": True},
        content_type="application/json",
    )
    assert note.json()["is_internal"] is True

    detail = client.get(f"/api/v1/conversations/{conversation.pk}?after=1").json()
    assert [m["seq"] for m in detail["messages"]] == [2, 3]
    assert [m.body for m in messages_after(conversation, 0)] == [
        "发货了吗",
        "您好！您稍等下，我马上帮您查询",
    ]  # the visitor's view

    moved = client.post(
        f"/api/v1/conversations/{conversation.pk}/transfer",
        {"agent_id": second.pk, "note": "请跟进"},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["assignee_id"] == second.pk
    assert (
        client.post(f"/api/v1/conversations/{conversation.pk}/close").status_code == 404
    )  # no longer theirs to see
    closed = api(second).post(f"/api/v1/conversations/{conversation.pk}/close")
    assert closed.status_code == 200 and closed.json()["state"] == ConversationState.CLOSED


def test_another_agents_conversation_is_not_found(inbox):
    owner, other = make_agent(), make_agent()
    conversation = served_by(owner, inbox)
    client = api(other)
    assert client.get(f"/api/v1/conversations/{conversation.pk}").status_code == 404
    response = client.post(
        f"/api/v1/conversations/{conversation.pk}/messages",
        {"key": "x", "body": "hi"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_only_supervisors_reassign(inbox):
    agent, other = make_agent(), make_agent()
    boss = make_agent(role=Role.SUPERVISOR)
    conversation = served_by(agent, inbox)
    conversation.refresh_from_db()
    refused = api(agent).post(
        f"/api/v1/conversations/{conversation.pk}/assign",
        {"agent_id": other.pk, "version": conversation.version},
        content_type="application/json",
    )
    assert refused.status_code == 403
    done = api(boss).post(
        f"/api/v1/conversations/{conversation.pk}/assign",
        {"agent_id": boss.pk, "version": conversation.version},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["assignee_id"] == boss.pk


def test_department_staff_are_refused(inbox, make_user):
    client = api(make_user(Role.DEPARTMENT_STAFF))
    assert client.get("/api/v1/conversations").status_code == 403


def test_canned_replies_are_filled_for_a_conversation(inbox):
    agent = make_agent(display_name="李娜")
    conversation = served_by(agent, inbox)
    create_reply(
        actor=agent,
        shortcut="hy",
        title="欢迎语",
        body="{customer_name}您好！我是客服{agent_name}",
    )
    replies = api(agent).get(f"/api/v1/canned-replies?conversation={conversation.pk}&q=/h").json()
    assert [r["body"] for r in replies] == ["王先生您好！我是客服李娜"]


def test_the_schema_lists_the_conversation_endpoints():
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/conversations",
        "/api/v1/conversations/{conversation_id}",
        "/api/v1/conversations/{conversation_id}/messages",
        "/api/v1/conversations/{conversation_id}/transfer",
        "/api/v1/conversations/{conversation_id}/close",
        "/api/v1/canned-replies",
    ):
        assert path in paths


def test_an_id_beyond_the_database_range_is_not_found(inbox):
    client = api(make_agent())
    assert client.get(f"/api/v1/conversations/{2**70}").status_code == 404
    assert client.get(f"/api/v1/canned-replies?conversation={2**70}").status_code == 404
