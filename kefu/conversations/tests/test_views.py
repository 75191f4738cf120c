"""The workspace 会话 pages: who may open which chat, the actions through the services, internal notes
kept from the visitor, tickets and customers from the chat."""

import json

import pytest
from django.test import Client

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.conversations.models import ConversationState, Message, SenderKind
from kefu.conversations.services.messages import send_agent_message
from kefu.conversations.services.routing import give_conversation
from kefu.conversations.services.widget import send_visitor_message
from kefu.conversations.tests.conftest import make_agent, make_conversation, make_inbox
from kefu.customers.models import Customer
from kefu.customers.services.profiles import create_customer
from kefu.tickets.models import Ticket
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def served_by(agent, inbox=None, **visitor):
    conversation = make_conversation(inbox, **visitor)
    give_conversation(conversation=conversation, agent=agent, by=None)
    send_visitor_message(
        visitor=conversation.visitor,
        conversation=conversation,
        body="你好，在吗？",
        client_key="v1",
    )
    return conversation


def client_of(user) -> Client:
    return sign_in(Client(), user)


def test_the_workspace_shows_my_chat_with_its_messages_and_the_canned_replies(inbox):
    agent = make_agent(display_name="李娜")
    conversation = served_by(agent, inbox, name="王先生")
    send_agent_message(
        actor=agent, conversation=conversation, body="客户很着急", client_key="n1", is_internal=True
    )
    response = client_of(agent).get(f"/conversations/?c={conversation.pk}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "你好，在吗？" in html and "客户很着急" in html
    assert "kefu-msg-note" in html
    assert f'data-testid="conversation-{conversation.pk}"' in html
    assert 'id="canned-replies"' in html and "kefu/workspace.js" in html


def test_an_agent_cannot_open_another_agents_chat_by_id(inbox):
    owner, other = make_agent(), make_agent()
    conversation = served_by(owner, inbox)
    client = client_of(other)
    assert client.get(f"/conversations/?c={conversation.pk}").status_code == 404
    assert client.get(f"/conversations/{conversation.pk}/", **HX).status_code == 404
    assert client.post(f"/conversations/{conversation.pk}/close/", **HX).status_code == 404
    assert (
        client.post(
            f"/conversations/{conversation.pk}/transfer/", {"target": f"agent:{other.pk}"}, **HX
        ).status_code
        == 404
    )
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.OPEN and conversation.assignee == owner


def test_a_supervisor_opens_any_chat_and_takes_it_over(inbox):
    agent = make_agent()
    boss = make_agent(role=Role.SUPERVISOR)
    conversation = served_by(agent, inbox)
    client = client_of(boss)
    assert client.get(f"/conversations/{conversation.pk}/", **HX).status_code == 200
    response = client.post(f"/conversations/{conversation.pk}/assign/", {"agent": "me"}, **HX)
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"])["kefu:toast"]["level"] == "success"
    conversation.refresh_from_db()
    assert conversation.assignee == boss


def test_an_agent_cannot_reassign(inbox):
    agent, other = make_agent(), make_agent()
    conversation = served_by(agent, inbox)
    assert (
        client_of(agent)
        .post(f"/conversations/{conversation.pk}/assign/", {"agent": other.pk}, **HX)
        .status_code
        == 403
    )
    conversation.refresh_from_db()
    assert conversation.assignee == agent


def test_transfer_to_an_agent_with_a_note_then_the_new_agent_closes(inbox):
    first, second = make_agent(), make_agent(display_name="张伟")
    conversation = served_by(first, inbox)
    response = client_of(first).post(
        f"/conversations/{conversation.pk}/transfer/",
        {"target": f"agent:{second.pk}", "note": "要开发票"},
        **HX,
    )
    assert response.status_code == 200
    assert "张伟" in json.loads(response["HX-Trigger"])["kefu:toast"]["text"]
    conversation.refresh_from_db()
    assert conversation.assignee == second
    note = Message.objects.filter(conversation=conversation, is_internal=True).get()
    assert note.body.endswith("要开发票")
    client_of(second).post(f"/conversations/{conversation.pk}/close/", **HX)
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.CLOSED


def test_transfer_to_a_team_puts_it_back_in_the_queue(inbox):
    agent = make_agent()
    team = TeamFactory()
    conversation = served_by(agent, inbox)
    client_of(agent).post(
        f"/conversations/{conversation.pk}/transfer/", {"target": f"team:{team.pk}"}, **HX
    )
    conversation.refresh_from_db()
    assert (conversation.state, conversation.team_id, conversation.assignee_id) == (
        ConversationState.WAITING,
        team.pk,
        None,
    )


def test_a_refused_transfer_says_why_and_changes_nothing(inbox):
    agent = make_agent()
    conversation = served_by(agent, inbox)
    response = client_of(agent).post(
        f"/conversations/{conversation.pk}/transfer/", {"target": ""}, **HX
    )
    assert json.loads(response["HX-Trigger"])["kefu:toast"]["level"] == "error"
    conversation.refresh_from_db()
    assert conversation.assignee == agent
    assert not Message.objects.filter(conversation=conversation, is_internal=True).exists()


def test_lists_show_waiting_mine_team_and_closed(inbox):
    team = TeamFactory()
    agent = make_agent(teams=[team])
    colleague = make_agent(teams=[team])
    team_inbox = make_inbox(name="售前", team=team)
    mine = served_by(agent, team_inbox)
    theirs = served_by(colleague, team_inbox)
    waiting = make_conversation(team_inbox)
    client = client_of(agent)

    def ids(name):
        html = client.get(f"/conversations/lists/?list={name}").content.decode()
        return {
            c.pk for c in (mine, theirs, waiting) if f'data-testid="conversation-{c.pk}"' in html
        }

    assert ids("mine") == {mine.pk}
    assert ids("team") == {theirs.pk}
    assert ids("waiting") == {waiting.pk}
    assert ids("closed") == set()


def test_a_pre_sales_inbox_shows_the_service_flow_checklist():
    agent = make_agent()
    plain = served_by(agent, make_inbox(name="售后"))
    presales = served_by(agent, make_inbox(name="售前", is_presales=True))
    client = client_of(agent)
    html = client.get(f"/conversations/{presales.pk}/", **HX).content.decode()
    assert 'data-testid="presales-checklist"' in html
    for label in ("欢迎语", "活动告知", "宝贝介绍", "订单确认", "收藏店铺"):
        assert label in html
    assert (
        'data-testid="presales-checklist"'
        not in client.get(f"/conversations/{plain.pk}/", **HX).content.decode()
    )


def test_a_complaint_from_the_chat_keeps_the_transcript_without_internal_notes(inbox):
    agent = make_agent()
    conversation = served_by(agent, inbox, name="黄伟")
    customer = Customer.objects.create(name="黄伟", owner=agent)
    client = client_of(agent)
    client.post(f"/conversations/{conversation.pk}/customer/link/", {"customer": customer.pk}, **HX)
    send_agent_message(
        actor=agent, conversation=conversation, body="您好！请不要着急！", client_key="a1"
    )
    send_agent_message(
        actor=agent, conversation=conversation, body="只给同事看", client_key="n1", is_internal=True
    )
    response = client.post(
        f"/conversations/{conversation.pk}/ticket/",
        {
            "type": "complaint",
            "subject": "屏幕有亮点",
            "content": "客户要求换货",
            "priority": "high",
        },
        **HX,
    )
    assert json.loads(response["HX-Trigger"])["kefu:toast"]["level"] == "success"
    ticket = Ticket.objects.get()
    assert (ticket.type, ticket.customer_id, ticket.channel, ticket.priority) == (
        "complaint",
        customer.pk,
        "web_chat",
        "high",
    )
    assert ticket.content.startswith("客户要求换货")
    assert "黄伟: 你好，在吗？" in ticket.content and "您好！请不要着急！" in ticket.content
    assert "只给同事看" not in ticket.content
    assert Message.objects.filter(
        conversation=conversation, is_internal=True, body__contains=ticket.number
    ).exists()


def test_create_a_customer_from_the_chat_or_link_the_one_who_owns_the_mobile(inbox):
    agent = make_agent()
    conversation = served_by(agent, inbox)
    client = client_of(agent)
    client.post(
        f"/conversations/{conversation.pk}/customer/new/",
        {"name": "刘洋", "mobile": "13800138000"},
        **HX,
    )
    conversation.refresh_from_db()
    created = conversation.customer
    assert created.name == "刘洋" and conversation.visitor.customer == created
    html = client.get(f"/conversations/{conversation.pk}/", **HX).content.decode()
    assert "138****8000" in html and "13800138000" not in html

    second = served_by(agent, inbox)
    response = client.post(
        f"/conversations/{second.pk}/customer/new/",
        {"name": "别人", "mobile": "138 0013 8000"},
        **HX,
    )
    second.refresh_from_db()
    assert second.customer == created
    assert "刘洋" in json.loads(response["HX-Trigger"])["kefu:toast"]["text"]
    assert Customer.objects.count() == 1


def test_customer_search_finds_only_customers_the_agent_may_see(inbox):
    agent = make_agent()
    conversation = served_by(agent, inbox)
    create_customer(actor=agent, name="陈静")  # theirs: they created it
    create_customer(actor=make_agent(role=Role.SUPERVISOR), name="陈明")  # not seen by the agent
    html = (
        client_of(agent).get(f"/conversations/{conversation.pk}/customers/?q=陈").content.decode()
    )
    assert "陈静" in html and "陈明" not in html


def test_an_inspector_reads_but_cannot_reply_or_close(inbox):
    agent = make_agent()
    inspector = make_agent(role=Role.INSPECTOR)
    conversation = served_by(agent, inbox)
    client = client_of(inspector)
    html = client.get(f"/conversations/{conversation.pk}/", **HX).content.decode()
    assert "你好，在吗？" in html and 'id="reply-box"' not in html
    response = client.post(f"/conversations/{conversation.pk}/close/", **HX)
    assert json.loads(response["HX-Trigger"])["kefu:toast"]["level"] == "error"
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.OPEN


def test_department_staff_have_no_workspace(make_user):
    client = client_of(make_user(Role.DEPARTMENT_STAFF))
    assert client.get("/conversations/").status_code == 403


def test_hostile_visitor_text_is_shown_as_text(inbox):
    agent = make_agent()
    conversation = served_by(agent, inbox, name="<script>alert(1)</script>")
    send_visitor_message(
        visitor=conversation.visitor,
        conversation=conversation,
        body='"><img src=x onerror=alert(1)>',
        client_key="v2",
    )
    html = client_of(agent).get(f"/conversations/?c={conversation.pk}").content.decode()
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert Message.objects.filter(sender=SenderKind.VISITOR).count() == 2
