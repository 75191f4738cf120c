"""The chat over real sockets (WebsocketCommunicator): the widget's origin check, the visitor token
and its tampering and expiry, idempotency keys (also five at once), ordering, replay after a
reconnect, internal notes never reaching the visitor, routing seen from the agents' sockets, and the
HMAC identity."""

import asyncio

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from conftest import sign_in
from kefu.accounts.models import AgentProfile
from kefu.accounts.roles import Role
from kefu.asgi import application
from kefu.conversations import identity
from kefu.conversations.models import Conversation, Message
from kefu.conversations.tests.conftest import ORIGIN, make_agent
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 3


@pytest_asyncio.fixture(autouse=True)
async def close_thread_connections():
    """sync_to_async work runs in one shared thread whose connection nobody closes; an open one
    keeps PostgreSQL from dropping the test database at the end."""
    yield
    await sync_to_async(connections.close_all)()


def visitor_socket(inbox, origin: str = ORIGIN, key: str | None = None) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application,
        f"/ws/visitor/{key or inbox.public_key}/",
        headers=[(b"origin", origin.encode())],
    )


async def visitor(inbox, **hello) -> tuple[WebsocketCommunicator, dict]:
    socket = visitor_socket(inbox)
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "hello", **hello})
    welcome = await socket.receive_json_from(timeout=TIMEOUT)
    assert welcome["event"] == "welcome", welcome
    return socket, welcome


async def agent_socket(**kwargs):
    """A new agent (online by default), signed in, socket connected and greeted."""
    user = await sync_to_async(make_agent)(**kwargs)
    client = await sync_to_async(sign_in)(Client(), user)
    cookie = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())
    socket = WebsocketCommunicator(
        application,
        "/ws/agent/",
        headers=[
            (b"origin", b"http://localhost"),
            (b"host", b"localhost"),
            (b"cookie", cookie.encode()),
        ],
    )
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from(timeout=TIMEOUT))["event"] == "hello"
    return user, socket


async def receive_until(socket, predicate, timeout: float = TIMEOUT) -> tuple[dict, list[dict]]:
    """The first frame matching `predicate`, and the frames that came before it."""
    before: list[dict] = []
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        if predicate(frame):
            return frame, before
        before.append(frame)


def is_ack(key):
    return lambda f: f.get("event") == "ack" and f.get("key") == key


async def send(socket, key, body, **extra) -> dict:
    await socket.send_json_to({"type": "send", "key": key, "body": body, **extra})
    ack, _ = await receive_until(
        socket, lambda f: f.get("key") == key and f.get("event") in {"ack", "error"}
    )
    return ack


@sync_to_async
def stored(conversation_id) -> list[tuple]:
    return list(
        Message.objects.filter(conversation_id=conversation_id)
        .order_by("seq")
        .values_list("seq", "sender", "body", "is_internal")
    )


# --- connecting ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_widget_socket_is_refused_from_another_origin_or_for_an_unknown_inbox(inbox):
    connected, code = await visitor_socket(inbox, origin="http://evil.example").connect()
    assert (connected, code) == (False, 4403)
    connected, code = await visitor_socket(inbox, origin="").connect()
    assert (connected, code) == (False, 4403)
    connected, code = await visitor_socket(inbox, key="no-such-inbox").connect()
    assert (connected, code) == (False, 4404)


@pytest.mark.asyncio
async def test_the_agent_socket_still_checks_allowed_hosts(inbox):
    socket = WebsocketCommunicator(
        application, "/ws/agent/", headers=[(b"origin", ORIGIN.encode())]
    )
    connected, _ = await socket.connect()
    assert not connected


@pytest.mark.asyncio
async def test_frames_before_hello_are_refused(inbox):
    socket = visitor_socket(inbox)
    await socket.connect()
    await socket.send_json_to({"type": "send", "key": "k", "body": "hi"})
    assert (await socket.receive_json_from(timeout=TIMEOUT))["code"] == "no_hello"
    await socket.send_json_to({"type": "hello"})
    assert (await socket.receive_json_from(timeout=TIMEOUT))["event"] == "welcome"
    await socket.send_to(text_data="not json")
    assert (await socket.receive_json_from(timeout=TIMEOUT))["code"] == "bad_frame"
    assert await sync_to_async(Conversation.objects.count)() == 0
    await socket.disconnect()


# --- token, replay ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_token_brings_the_visitor_back_to_their_conversation_with_replay(inbox):
    socket, welcome = await visitor(inbox)
    assert (welcome["conversation_id"], welcome["messages"], welcome["verified"]) == (
        None,
        [],
        False,
    )
    first = await send(socket, "k1", "你好")
    second = await send(socket, "k2", "我想退货")
    assert (first["seq"], second["seq"]) == (1, 2)
    await socket.disconnect()

    again, welcome = await visitor(inbox, token=welcome["token"], last_seq=1)
    assert welcome["conversation_id"] == first["conversation_id"]
    assert [(m["seq"], m["body"], m["sender"]) for m in welcome["messages"]] == [
        (2, "我想退货", "visitor")
    ]
    assert set(welcome["messages"][0]) == {
        "id",
        "seq",
        "sender",
        "author_name",
        "body",
        "created_at",
    }
    await again.disconnect()


@pytest.mark.asyncio
async def test_a_tampered_token_starts_over_as_a_new_visitor(inbox):
    socket, welcome = await visitor(inbox)
    await send(socket, "k1", "我的地址是……")
    await socket.disconnect()
    token = welcome["token"]
    forged = token[:-3] + ("xyz" if not token.endswith("xyz") else "abc")
    other, other_welcome = await visitor(inbox, token=forged, last_seq=0)
    assert other_welcome["conversation_id"] is None and other_welcome["messages"] == []
    assert other_welcome["token"] != token
    await other.disconnect()


@pytest.mark.asyncio
async def test_an_expired_token_starts_over_as_a_new_visitor(inbox, settings):
    socket, welcome = await visitor(inbox)
    await send(socket, "k1", "你好")
    await socket.disconnect()
    settings.KEFU_VISITOR_TOKEN_MAX_AGE = -1
    other, other_welcome = await visitor(inbox, token=welcome["token"])
    assert other_welcome["conversation_id"] is None and other_welcome["messages"] == []
    await other.disconnect()


@pytest.mark.asyncio
async def test_asking_for_another_visitors_conversation_gives_nothing_of_it(inbox):
    theirs, _ = await visitor(inbox)
    ack = await send(theirs, "k1", "我的手机号 13800138000")
    mine, welcome = await visitor(inbox, conversation_id=ack["conversation_id"], last_seq=0)
    assert welcome["conversation_id"] is None and welcome["messages"] == []
    await theirs.disconnect()
    await mine.disconnect()


# --- idempotency, ordering ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_same_key_five_times_is_acknowledged_five_times_and_stored_once(inbox):
    socket, _ = await visitor(inbox)
    acks = [await send(socket, "same", "在吗") for _ in range(5)]
    assert {(a["seq"], a["message_id"]) for a in acks} == {(1, acks[0]["message_id"])}
    assert await stored(acks[0]["conversation_id"]) == [(1, "visitor", "在吗", False)]
    await socket.disconnect()


@pytest.mark.asyncio
async def test_the_same_key_from_five_sockets_at_once_is_stored_once(inbox):
    first, welcome = await visitor(inbox)
    sockets = [first] + [(await visitor(inbox, token=welcome["token"]))[0] for _ in range(4)]
    acks = await asyncio.gather(*(send(s, "dup", "重发的消息") for s in sockets))
    assert len({a["message_id"] for a in acks}) == 1 and {a["seq"] for a in acks} == {1}
    assert await stored(acks[0]["conversation_id"]) == [(1, "visitor", "重发的消息", False)]
    assert await sync_to_async(Conversation.objects.count)() == 1
    for socket in sockets:
        await socket.disconnect()


@pytest.mark.asyncio
async def test_the_same_key_from_five_sockets_in_a_live_chat_is_stored_once(inbox):
    first, welcome = await visitor(inbox)
    opened = await send(first, "open", "你好")
    sockets = [first] + [(await visitor(inbox, token=welcome["token"]))[0] for _ in range(4)]
    acks = await asyncio.gather(*(send(s, "dup", "重发的消息") for s in sockets))
    assert {(a["seq"], a["message_id"]) for a in acks} == {(2, acks[0]["message_id"])}
    assert await stored(opened["conversation_id"]) == [
        (1, "visitor", "你好", False),
        (2, "visitor", "重发的消息", False),
    ]
    for socket in sockets:
        await socket.disconnect()


@pytest.mark.asyncio
async def test_messages_arriving_together_from_many_chats_are_committed_together(
    inbox, monkeypatch
):
    from kefu.conversations.services import writer

    batches = []
    store = writer.store_messages
    monkeypatch.setattr(
        writer, "store_messages", lambda batch: batches.append(len(batch)) or store(batch)
    )
    chats = [await visitor(inbox) for _ in range(20)]
    openings = [await send(socket, "open", "你好") for socket, _ in chats]  # started one by one
    acks = await asyncio.gather(
        *(send(socket, "second", f"第二条 {n}") for n, (socket, _) in enumerate(chats))
    )
    assert [a["seq"] for a in acks] == [2] * 20
    assert [a["conversation_id"] for a in acks] == [o["conversation_id"] for o in openings]
    assert sum(batches) == 20 and len(batches) < 20, batches  # fewer commits than messages
    for n, opening in enumerate(openings):
        assert (await stored(opening["conversation_id"]))[1] == (2, "visitor", f"第二条 {n}", False)
    for socket, _ in chats:
        await socket.disconnect()


@pytest.mark.asyncio
async def test_a_message_to_a_chat_an_agent_closed_starts_the_next_one(inbox):
    socket, _ = await visitor(inbox)
    first = await send(socket, "k1", "你好")
    await sync_to_async(Conversation.objects.filter(pk=first["conversation_id"]).update)(
        state="closed"
    )
    again = await send(socket, "k2", "还在吗")
    assert (
        again["event"] == "ack"
        and again["conversation_id"] != first["conversation_id"]
        and again["seq"] == 1
    )
    assert await stored(again["conversation_id"]) == [(1, "visitor", "还在吗", False)]
    await socket.disconnect()


@pytest.mark.asyncio
async def test_messages_are_numbered_in_the_order_sent_and_replayed_in_that_order(inbox):
    socket, welcome = await visitor(inbox)
    acks = [await send(socket, f"k{n}", f"第{n}条") for n in range(10)]
    assert [a["seq"] for a in acks] == list(range(1, 11))
    await socket.disconnect()
    again, welcome = await visitor(inbox, token=welcome["token"], last_seq=0)
    assert [(m["seq"], m["body"]) for m in welcome["messages"]] == [
        (n + 1, f"第{n}条") for n in range(10)
    ]
    await again.disconnect()


@pytest.mark.asyncio
async def test_a_refused_message_is_answered_with_its_key_and_nothing_is_stored(inbox):
    socket, _ = await visitor(inbox)
    ok = await send(socket, "k1", "你好")
    refused = await send(socket, "k2", "x" * 5001)
    assert (
        refused["event"] == "error" and refused["key"] == "k2" and "消息过长" in refused["message"]
    )  # answered in the default language
    assert await stored(ok["conversation_id"]) == [(1, "visitor", "你好", False)]
    await socket.disconnect()


# --- agents, routing, internal notes ------------------------------------------------------------


def is_event(name):
    return lambda f: f.get("event") == name


@pytest.mark.asyncio
async def test_the_agent_is_assigned_and_chats_and_internal_notes_never_reach_the_visitor(inbox):
    agent, agent_ws = await agent_socket()
    visitor_ws, _ = await visitor(inbox)
    first = await send(visitor_ws, "v1", "你好，发票怎么开")
    conversation_id = first["conversation_id"]

    assigned, _ = await receive_until(agent_ws, is_event("conversations.assigned"))
    assert (assigned["conversation_id"], assigned["assignee_id"]) == (conversation_id, agent.pk)
    state, _ = await receive_until(visitor_ws, is_event("conversations.state"))
    assert (state["state"], state["agent_name"]) == ("open", str(agent))

    await agent_ws.send_json_to({"type": "join", "conversation_id": conversation_id, "last_seq": 0})
    joined, _ = await receive_until(agent_ws, is_event("joined"))
    assert [(m["seq"], m["body"]) for m in joined["messages"]] == [(1, "你好，发票怎么开")]

    await agent_ws.send_json_to(
        {
            "type": "send",
            "conversation_id": conversation_id,
            "key": "n1",
            "body": "内部备注：该客户上次投诉过",
            "internal": True,
        }
    )
    note_ack, _ = await receive_until(agent_ws, is_ack("n1"))
    await agent_ws.send_json_to(
        {
            "type": "send",
            "conversation_id": conversation_id,
            "key": "a1",
            "body": "您好，请提供订单号",
        }
    )
    reply_ack, _ = await receive_until(agent_ws, is_ack("a1"))
    assert (note_ack["seq"], reply_ack["seq"]) == (2, 3)

    # The visitor's own first message may come back first (its socket followed the new chat before that
    # push went out); the widget drops it by its seq. What matters: the reply arrives, the note never.
    reply, before = await receive_until(
        visitor_ws, lambda f: f.get("event") == "conversations.message" and f["message"]["seq"] > 1
    )
    assert reply["message"]["body"] == "您好，请提供订单号" and reply["message"]["seq"] == 3
    assert "is_internal" not in reply["message"] and "author_id" not in reply["message"]
    assert await visitor_ws.receive_nothing(timeout=0.3)
    assert all("备注" not in str(frame) for frame in before)

    # A visitor's message reaches the agent live; the replay of a reconnecting visitor has no note.
    await send(visitor_ws, "v2", "订单号 123")
    live, _ = await receive_until(
        agent_ws,
        lambda f: (
            f.get("event") == "conversations.message" and f["message"]["body"] == "订单号 123"
        ),
    )
    assert live["message"]["seq"] == 4
    await visitor_ws.disconnect()
    _again, welcome = await visitor(
        inbox, token=(await sync_to_async(_token_of)(conversation_id)), last_seq=0
    )
    assert [m["seq"] for m in welcome["messages"]] == [1, 3, 4]
    assert await stored(conversation_id) == [
        (1, "visitor", "你好，发票怎么开", False),
        (2, "agent", "内部备注：该客户上次投诉过", True),
        (3, "agent", "您好，请提供订单号", False),
        (4, "visitor", "订单号 123", False),
    ]
    await agent_ws.disconnect()
    await _again.disconnect()


def _token_of(conversation_id) -> str:
    conversation = Conversation.objects.select_related("visitor").get(pk=conversation_id)
    return identity.make_visitor_token(
        inbox_id=conversation.inbox_id, token_id=conversation.visitor.token_id
    )


@pytest.mark.asyncio
async def test_typing_goes_to_the_other_side_only(inbox):
    _agent, agent_ws = await agent_socket()
    visitor_ws, _ = await visitor(inbox)
    ack = await send(visitor_ws, "v1", "在吗")
    await receive_until(agent_ws, is_event("conversations.assigned"))
    await receive_until(visitor_ws, is_event("conversations.state"))
    await visitor_ws.send_json_to({"type": "typing"})
    typing, _ = await receive_until(agent_ws, is_event("conversations.typing"))
    assert (typing["conversation_id"], typing["sender"]) == (ack["conversation_id"], "visitor")
    await agent_ws.send_json_to({"type": "typing", "conversation_id": ack["conversation_id"]})
    typing, _ = await receive_until(visitor_ws, is_event("conversations.typing"))
    assert typing["sender"] == "agent"
    assert await agent_ws.receive_nothing(timeout=0.3)
    await agent_ws.disconnect()
    await visitor_ws.disconnect()


@pytest.mark.asyncio
async def test_an_agent_waiting_for_a_commit_still_receives_pushes_and_acks_come_in_order(
    inbox, monkeypatch
):
    import threading

    from kefu.conversations.services import writer

    _agent, agent_ws = await agent_socket()
    visitor_ws, _ = await visitor(inbox)
    ack = await send(visitor_ws, "v1", "在吗")
    await receive_until(agent_ws, is_event("conversations.assigned"))
    release, store = threading.Event(), writer.store_messages
    monkeypatch.setattr(writer, "store_messages", lambda batch: release.wait(5) and store(batch))
    for n in range(3):  # sent without waiting, as a fast typist's client does
        await agent_ws.send_json_to(
            {
                "type": "send",
                "conversation_id": ack["conversation_id"],
                "key": f"a{n}",
                "body": f"回复{n}",
            }
        )
    await visitor_ws.send_json_to({"type": "typing"})
    typing, before = await receive_until(
        agent_ws, is_event("conversations.typing")
    )  # while the replies wait
    assert typing["sender"] == "visitor" and not any(f.get("event") == "ack" for f in before)
    release.set()
    acks = [(await receive_until(agent_ws, is_ack(f"a{n}")))[0]["seq"] for n in range(3)]
    assert acks == [2, 3, 4]
    await agent_ws.disconnect()
    await visitor_ws.disconnect()


@sync_to_async
def give_open_conversations(agent, inbox, count: int) -> None:
    """Written directly: start_conversation would have routing assign them as they are made."""
    from kefu.conversations.models import ConversationState, Visitor

    for _ in range(count):
        Conversation.objects.create(
            inbox=inbox,
            visitor=Visitor.objects.create(inbox=inbox),
            assignee=agent,
            state=ConversationState.OPEN,
        )


@pytest.mark.asyncio
async def test_routing_gives_the_chat_to_the_agent_with_fewer_open_conversations(inbox):
    busy, busy_ws = await agent_socket()
    light, light_ws = await agent_socket()
    await give_open_conversations(busy, inbox, 2)
    await give_open_conversations(light, inbox, 1)
    v1, _ = await visitor(inbox)
    a1 = await send(v1, "k", "一")
    first, _ = await receive_until(light_ws, is_event("conversations.assigned"))
    assert (first["conversation_id"], first["assignee_id"]) == (a1["conversation_id"], light.pk)
    # Now 2 and 2: the tie goes to the agent not given a chat lately.
    v2, _ = await visitor(inbox)
    a2 = await send(v2, "k", "二")
    second, _ = await receive_until(busy_ws, is_event("conversations.assigned"))
    assert (second["conversation_id"], second["assignee_id"]) == (a2["conversation_id"], busy.pk)
    later = []  # the visitor's message may follow the assignment; no other chat may
    while not await busy_ws.receive_nothing(timeout=0.2):
        later.append(await busy_ws.receive_json_from())
    assert all(
        f["event"] == "conversations.message" and f["conversation_id"] == a2["conversation_id"]
        for f in later
    )
    for socket in (busy_ws, light_ws, v1, v2):
        await socket.disconnect()


@sync_to_async
def _assignee(ack) -> int | None:
    return Conversation.objects.get(pk=ack["conversation_id"]).assignee_id


@pytest.mark.asyncio
async def test_full_and_offline_agents_are_skipped_and_the_waiting_chat_is_assigned_when_capacity_frees(
    inbox,
):
    agent, agent_ws = await agent_socket(max_chats=1)
    await agent_socket(presence="offline")
    v1, _ = await visitor(inbox)
    a1 = await send(v1, "k", "第一位")
    await receive_until(agent_ws, is_event("conversations.assigned"))
    v2, _ = await visitor(inbox)
    a2 = await send(v2, "k", "第二位")
    assert await _assignee(a2) is None
    waiting, _ = await receive_until(v2, is_event("conversations.state"))
    assert (waiting["state"], waiting["agent_name"]) == ("waiting", "")

    await agent_ws.send_json_to({"type": "close", "conversation_id": a1["conversation_id"]})
    closed, _ = await receive_until(v1, is_event("conversations.closed"))
    assert closed["conversation_id"] == a1["conversation_id"]
    assigned, _ = await receive_until(
        agent_ws,
        lambda f: (
            f.get("event") == "conversations.assigned"
            and f["conversation_id"] == a2["conversation_id"]
        ),
    )
    assert assigned["assignee_id"] == agent.pk
    await receive_until(v2, is_event("conversations.agent_joined"))
    for socket in (agent_ws, v1, v2):
        await socket.disconnect()


@pytest.mark.asyncio
async def test_an_agent_of_another_team_cannot_open_a_chat_by_id(inbox):
    _serving, serving_ws = await agent_socket()
    v, _ = await visitor(inbox)
    ack = await send(v, "k", "你好")
    await receive_until(serving_ws, is_event("conversations.assigned"))
    _outsider, outsider_ws = await agent_socket(presence="offline")
    for frame in (
        {"type": "join", "conversation_id": ack["conversation_id"]},
        {"type": "send", "conversation_id": ack["conversation_id"], "key": "x", "body": "偷看"},
    ):
        await outsider_ws.send_json_to(frame)
        error = await outsider_ws.receive_json_from(timeout=TIMEOUT)
        assert (error["event"], error["code"]) == ("error", "not_found")
    assert await stored(ack["conversation_id"]) == [(1, "visitor", "你好", False)]
    for socket in (serving_ws, outsider_ws, v):
        await socket.disconnect()


@pytest.mark.asyncio
async def test_a_supervisor_watching_a_chat_sees_internal_notes_once(inbox):
    _agent, agent_ws = await agent_socket()
    _supervisor, supervisor_ws = await agent_socket(role=Role.SUPERVISOR, presence="offline")
    v, _ = await visitor(inbox)
    ack = await send(v, "k", "你好")
    cid = ack["conversation_id"]
    await receive_until(agent_ws, is_event("conversations.assigned"))
    await supervisor_ws.send_json_to({"type": "join", "conversation_id": cid, "last_seq": 0})
    await receive_until(supervisor_ws, is_event("joined"))
    await agent_ws.send_json_to(
        {"type": "send", "conversation_id": cid, "key": "n", "body": "请主管看看", "internal": True}
    )
    note, _ = await receive_until(supervisor_ws, is_event("conversations.message"))
    assert note["message"]["is_internal"] is True and note["message"]["body"] == "请主管看看"
    await agent_ws.send_json_to({"type": "close", "conversation_id": cid})
    closed, _ = await receive_until(supervisor_ws, is_event("conversations.closed"))
    assert closed["conversation_id"] == cid
    # The close reached the supervisor through two groups (the chat's and the supervisors'): once.
    rest = []
    while not await supervisor_ws.receive_nothing(timeout=0.3):
        rest.append(await supervisor_ws.receive_json_from())
    assert [f for f in rest if f.get("event") == "conversations.closed"] == []
    for socket in (agent_ws, supervisor_ws, v):
        await socket.disconnect()


@pytest.mark.asyncio
async def test_a_teammate_following_a_chat_may_note_but_not_answer_and_nor_may_the_agent_it_was_taken_from(
    inbox,
):
    from kefu.conversations.services.lifecycle import assign_conversation

    team = await sync_to_async(TeamFactory)()
    _first, first_ws = await agent_socket(teams=[team])
    v, _ = await visitor(inbox)
    ack = await send(v, "k", "你好")
    cid = ack["conversation_id"]
    await receive_until(first_ws, is_event("conversations.assigned"))
    await sync_to_async(Conversation.objects.filter(pk=cid).update)(team=team)
    mate, mate_ws = await agent_socket(teams=[team], presence="offline")
    await mate_ws.send_json_to({"type": "join", "conversation_id": cid, "last_seq": 0})
    await receive_until(mate_ws, is_event("joined"))

    await mate_ws.send_json_to(
        {"type": "send", "conversation_id": cid, "key": "m1", "body": "我来回答"}
    )
    refused, _ = await receive_until(mate_ws, lambda f: f.get("key") == "m1")
    assert refused["event"] == "error" and "接待" in refused["message"]
    note = await send(mate_ws, "m2", "备注：老客户", conversation_id=cid, internal=True)
    assert note["event"] == "ack"

    supervisor = await sync_to_async(make_agent)(role=Role.SUPERVISOR)
    conversation = await sync_to_async(Conversation.objects.get)(pk=cid)
    await sync_to_async(AgentProfile.objects.filter(user=mate).update)(
        presence="online"
    )  # a chat is given only to an agent who is online
    await sync_to_async(assign_conversation)(
        actor=supervisor, conversation=conversation, agent=mate
    )
    taken = await send(
        first_ws, "f1", "还在吗", conversation_id=cid
    )  # the old agent's socket, a moment late
    assert taken["event"] == "error"
    answer = await send(mate_ws, "m3", "您好，我来处理", conversation_id=cid)
    assert answer["event"] == "ack"
    assert [body for _seq, _sender, body, _internal in await stored(cid)] == [
        "你好",
        "备注：老客户",
        "您好，我来处理",
    ]
    for socket in (first_ws, mate_ws, v):
        await socket.disconnect()


# --- identity -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_signed_identity_is_accepted_and_a_wrong_one_refused(inbox):
    good = {
        "user_id": "shop-42",
        "hmac": identity.identity_hmac(secret=inbox.secret, user_id="shop-42"),
    }
    socket, welcome = await visitor(inbox, identity=good)
    assert welcome["verified"] is True and "identity_refused" not in welcome
    await socket.disconnect()
    bad = {
        "user_id": "shop-42",
        "hmac": identity.identity_hmac(secret="guessed", user_id="shop-42"),
    }
    socket, welcome = await visitor(inbox, identity=bad)
    assert welcome["verified"] is False and welcome["identity_refused"] is True
    await socket.disconnect()
    socket, welcome = await visitor(inbox, identity={"user_id": "shop-42"})
    assert welcome["verified"] is False
    await socket.disconnect()


@pytest.mark.asyncio
async def test_the_visitor_rates_and_closes_from_the_widget(inbox):
    _agent, agent_ws = await agent_socket()
    v, _ = await visitor(inbox)
    ack = await send(v, "k", "你好")
    await receive_until(agent_ws, is_event("conversations.assigned"))
    await v.send_json_to({"type": "rate", "rating": 5})
    await receive_until(v, is_event("rated"))
    rated, _ = await receive_until(agent_ws, is_event("conversations.rated"))
    assert rated["rating"] == 5
    await v.send_json_to({"type": "close"})
    await receive_until(v, is_event("conversations.closed"))
    conversation = await sync_to_async(Conversation.objects.get)(pk=ack["conversation_id"])
    assert (conversation.state, conversation.rating, conversation.close_reason) == (
        "closed",
        5,
        "visitor",
    )
    await agent_ws.disconnect()
    await v.disconnect()


@pytest.mark.asyncio
async def test_a_visitors_message_is_acked_to_its_socket_and_pushed_only_to_their_other_tabs(inbox):
    first, welcome = await visitor(inbox)
    opened = await send(first, "open", "你好")
    other, _ = await visitor(inbox, token=welcome["token"])  # a second tab of the same visitor
    ack = await send(first, "k2", "第二条")
    pushed, _ = await receive_until(other, is_event("conversations.message"))
    assert (pushed["conversation_id"], pushed["message"]["seq"], pushed["message"]["body"]) == (
        opened["conversation_id"],
        ack["seq"],
        "第二条",
    )
    # The sending socket had its ack: the same message is not sent to it a second time.
    assert await first.receive_nothing(timeout=0.5)
    for socket in (first, other):
        await socket.disconnect()
