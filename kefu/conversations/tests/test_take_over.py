"""Giving a chat to someone: a transfer or a supervisor's reassignment goes only to an agent online
with room for one more chat (and says why not); the emergency right 紧急事件处理权 (seed 001) lets a
supervisor take any chat or ticket themselves beyond their limit and the queue, audited, and
nobody else; of two supervisors taking the same chat at once one wins and the other gets 409 with
who holds it, both on record. What the sending agent sees after a transfer; the chat's header."""

import json
import threading
import urllib.error
import urllib.request

import pytest
from django.test import Client

from conftest import sign_in
from kefu.accounts.models import AuditAction, AuditEntry, Presence
from kefu.accounts.roles import Role
from kefu.accounts.services import create_api_token
from kefu.conversations.models import Conversation, ConversationState, Message
from kefu.conversations.services.routing import give_conversation
from kefu.conversations.tests.conftest import make_agent, make_conversation, make_inbox
from kefu.tickets.models import Ticket
from kefu.tickets.services.tickets import create_ticket

HX = {"HTTP_HX_REQUEST": "true"}


def served_by(agent, inbox=None):
    conversation = make_conversation(inbox or make_inbox())
    give_conversation(conversation=conversation, agent=agent, by=None)
    conversation.refresh_from_db()
    return conversation


def toast(response) -> dict:
    return json.loads(response["HX-Trigger"])["kefu:toast"]


def state(conversation) -> tuple:
    c = Conversation.objects.get(pk=conversation.pk)
    return (c.state, c.assignee_id, c.version)


# --- transfer: only to someone who can take it now ----------------------------------------------


@pytest.mark.django_db
def test_a_chat_is_not_transferred_to_an_offline_or_full_agent_and_the_page_offers_neither():
    li = make_agent(display_name="李娜")
    zhang = make_agent(display_name="张伟", presence=Presence.OFFLINE)
    full = make_agent(display_name="王芳", max_chats=1)
    served_by(full)
    free = make_agent(display_name="赵敏")
    conversation = served_by(li)
    client = sign_in(Client(), li)

    page = client.get(f"/conversations/{conversation.pk}/", **HX).content.decode()
    offered = page.split('data-testid="transfer-agents"', 1)[1].split("</optgroup>", 1)[0]
    assert f'value="agent:{free.pk}"' in offered
    assert f'value="agent:{zhang.pk}"' not in offered and f'value="agent:{full.pk}"' not in offered

    before = state(conversation)
    refused = client.post(
        f"/conversations/{conversation.pk}/transfer/", {"target": f"agent:{zhang.pk}"}, **HX
    )
    assert toast(refused) == {
        "text": f"会话 #{conversation.pk} 不能交给 张伟：张伟 当前状态为“离线”，不接新会话。",
        "level": "error",
    }
    refused = client.post(
        f"/conversations/{conversation.pk}/transfer/", {"target": f"agent:{full.pk}"}, **HX
    )
    assert "王芳 正在接待 1 个会话，已达接待上限" in toast(refused)["text"]
    assert state(conversation) == before
    assert not Message.objects.filter(conversation=conversation, is_internal=True).exists()


@pytest.mark.django_db
def test_after_a_transfer_the_sending_agent_sees_where_the_chat_went():
    li, zhang = make_agent(display_name="李娜"), make_agent(display_name="张伟")
    conversation = served_by(li)
    response = sign_in(Client(), li).post(
        f"/conversations/{conversation.pk}/transfer/", {"target": f"agent:{zhang.pk}"}, **HX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="handed-over-line"' in html
    assert f"会话 #{conversation.pk} 已转接给 张伟。" in html


@pytest.mark.django_db
def test_the_chat_header_names_the_visitor_and_the_chat_number_once():
    agent = make_agent()
    conversation = served_by(agent)
    html = sign_in(Client(), agent).get(f"/conversations/{conversation.pk}/", **HX).content.decode()
    title = html.split('data-testid="chat-title">', 1)[1].split("</h2>", 1)[0]
    text = " ".join(
        title.replace('<span class="text-secondary small">', "").replace("</span>", "").split()
    )
    assert text == f"访客 会话 #{conversation.pk}"


# --- the emergency right, role by role -----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "may"),
    [
        (Role.SUPERVISOR, True),
        (Role.MANAGER, True),
        (Role.ADMINISTRATOR, True),
        (Role.AGENT, False),
        (Role.INSPECTOR, False),
    ],
)
def test_an_emergency_take_over_goes_beyond_the_limit_and_the_queue_for_those_who_hold_the_right(
    role, may
):
    agent = make_agent()
    inbox = make_inbox()
    make_conversation(inbox)  # older: first in the queue
    second = make_conversation(inbox)  # the one taken over, out of turn
    user = make_agent(role=role, presence=Presence.OFFLINE, max_chats=1)  # not online
    if role != Role.INSPECTOR:
        served_by(user, make_inbox())  # and no room left
    client = sign_in(Client(), user)
    version = Conversation.objects.get(pk=second.pk).version
    answer = client.post(
        f"/conversations/{second.pk}/assign/", {"agent": "me", "version": version}, **HX
    )
    entries = AuditEntry.objects.filter(action=AuditAction.TAKE_OVER, actor=user)
    if may:
        assert answer.status_code == 200 and toast(answer)["level"] == "success"
        assert state(second)[:2] == (ConversationState.OPEN, user.pk)
        assert [e.details["outcome"] for e in entries] == ["done"]
        assert entries.get().object_id == str(second.pk)
    else:
        assert answer.status_code == 403
        assert state(second)[:2] == (ConversationState.WAITING, None)
        api = client.post(
            f"/api/v1/conversations/{second.pk}/assign",
            {"agent_id": user.pk, "version": version},
            content_type="application/json",
        )
        # an agent outside the chat's team does not even see it; the inspector reads every chat
        assert api.status_code == (404 if role == Role.AGENT else 403)
        assert state(second)[:2] == (ConversationState.WAITING, None)
        assert not entries.exists()
    assert agent  # an ordinary agent online all along: routing is not what moved the chat


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "may"), [(Role.SUPERVISOR, True), (Role.AGENT, False)])
def test_an_emergency_take_over_of_a_ticket_needs_the_right_and_a_reason_and_is_audited(role, may):
    holder = make_agent()
    ticket = create_ticket(
        actor=holder, type="consultation", subject="发票开错了", content="抬头错误"
    )
    from kefu.tickets.services.tickets import assign_ticket

    ticket = assign_ticket(
        actor=make_agent(role=Role.SUPERVISOR),
        ticket_id=ticket.pk,
        expected_version=ticket.version,
        assignee_id=holder.pk,
    )
    user = make_agent(role=role)
    client = sign_in(Client(), user)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert ('data-testid="take-over"' in page) is may
    url = f"/tickets/{ticket.pk}/take-over/"
    no_reason = client.post(url, {"version": ticket.version, "reason": " "}, follow=True)
    ticket.refresh_from_db()
    assert ticket.assignee_id == holder.pk
    answer = client.post(
        url, {"version": ticket.version, "reason": "客户投诉升级，主管亲自处理"}, follow=True
    )
    ticket.refresh_from_db()
    if may:
        assert "请说明接管此工单的原因。" in no_reason.content.decode()
        assert ticket.assignee_id == user.pk
        entry = AuditEntry.objects.get(action=AuditAction.TAKE_OVER)
        assert (entry.object_id, entry.details["reason"], entry.details["outcome"]) == (
            str(ticket.pk),
            "客户投诉升级，主管亲自处理",
            "done",
        )
    else:
        assert "只有拥有紧急事件处理权的人可以接管工单。" in answer.content.decode()
        assert ticket.assignee_id == holder.pk
        assert not AuditEntry.objects.filter(action=AuditAction.TAKE_OVER).exists()
    assert Ticket.objects.count() == 1


# --- two supervisors at once ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_supervisors_taking_the_same_chat_at_once_one_wins_and_the_other_gets_409(
    live_server,
):
    agent = make_agent()
    conversation = served_by(agent)
    first, second = (
        make_agent(role=Role.SUPERVISOR, display_name="主管甲"),
        make_agent(role=Role.SUPERVISOR, display_name="主管乙"),
    )
    tokens = {u.pk: create_api_token(user=u, name="test")[1] for u in (first, second)}
    version = Conversation.objects.get(pk=conversation.pk).version
    start = threading.Barrier(2)
    answers = {}

    def take(user):
        request = urllib.request.Request(  # noqa: S310  (the test's own live server)
            f"{live_server.url}/api/v1/conversations/{conversation.pk}/assign",
            data=json.dumps({"agent_id": user.pk, "version": version}).encode(),
            headers={
                "Authorization": f"Bearer {tokens[user.pk]}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                answers[user.pk] = (response.status, json.load(response))
        except urllib.error.HTTPError as error:
            answers[user.pk] = (error.code, json.load(error))

    threads = [threading.Thread(target=take, args=(u,)) for u in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(status for status, _body in answers.values()) == [200, 409]
    winner = next(pk for pk, (status, _b) in answers.items() if status == 200)
    loser = next(pk for pk, (status, _b) in answers.items() if status == 409)
    body = answers[loser][1]
    winner_name = "主管甲" if winner == first.pk else "主管乙"
    assert body["current"] == {
        "id": conversation.pk,
        "state": "open",
        "state_label": "接待中",
        "assignee_id": winner,
        "assignee_name": winner_name,
        "version": version + 1,
    }
    assert winner_name in body["detail"] and "未做任何更改" in body["detail"]
    assert state(conversation) == (ConversationState.OPEN, winner, version + 1)
    outcomes = dict(
        AuditEntry.objects.filter(action=AuditAction.TAKE_OVER).values_list("actor_id", "details")
    )
    assert outcomes[winner]["outcome"] == "done" and outcomes[loser]["outcome"] == "conflict"
    assert outcomes[loser]["current"]["assignee_id"] == winner


@pytest.mark.django_db
def test_on_the_page_the_later_take_over_gets_409_and_the_chat_as_it_now_is():
    agent = make_agent()
    conversation = served_by(agent)
    first = make_agent(role=Role.SUPERVISOR, display_name="主管甲")
    second = make_agent(role=Role.SUPERVISOR, display_name="主管乙")
    version = conversation.version  # both pages were opened before either clicked
    url = f"/conversations/{conversation.pk}/assign/"
    won = sign_in(Client(), first).post(url, {"agent": "me", "version": version}, **HX)
    lost = sign_in(Client(), second).post(url, {"agent": "me", "version": version}, **HX)
    assert won.status_code == 200
    assert lost.status_code == 409
    assert toast(lost) == {
        "text": f"已被他人抢先：会话 #{conversation.pk} 现为“接待中”，由 主管甲 接待。本次操作未做任何更改。",
        "level": "error",
    }
    assert "接待客服：主管甲" in lost.content.decode()  # the pane re-rendered with who holds it
    assert state(conversation)[:2] == (ConversationState.OPEN, first.pk)
    entries = AuditEntry.objects.filter(action=AuditAction.TAKE_OVER).order_by("id")
    assert [(e.actor_id, e.details["outcome"]) for e in entries] == [
        (first.pk, "done"),
        (second.pk, "conflict"),
    ]
