"""The widget's HTTP endpoints (/widget/…) with Django's client: CORS limited to the inbox's
allowed origins, the visitor token, images (type, size, idempotency, who may fetch them), the
offline form becoming a ticket; and the queue position over the visitor socket."""

import io
import json

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from conftest import HOSTILE_STRINGS, sign_in
from kefu.accounts.models import Presence
from kefu.conversations import identity
from kefu.conversations.models import ChatImage, Conversation, ConversationState, Message, Visitor
from kefu.conversations.selectors import on_duty, queue_position, queue_positions
from kefu.conversations.services import widget as widget_service
from kefu.conversations.services.lifecycle import close_conversation
from kefu.conversations.services.routing import give_conversation
from kefu.conversations.tests.conftest import ORIGIN, make_agent, make_conversation, make_inbox
from kefu.conversations.tests.test_sockets import close_thread_connections  # noqa: F401  (autouse)
from kefu.tickets.models import Channel, Ticket

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def token_for(visitor: Visitor) -> str:
    return identity.make_visitor_token(inbox_id=visitor.inbox_id, token_id=visitor.token_id)


@pytest.fixture
def visitor(inbox):
    return Visitor.objects.create(inbox=inbox)


def widget_client(origin: str = ORIGIN) -> Client:
    return Client(headers={"origin": origin})


def png_file(name: str = "截图.png", content: bytes = PNG):
    upload = io.BytesIO(content)
    upload.name = name
    return upload


def upload(inbox, visitor, *, origin=ORIGIN, key="img-1", file=None, token=None):
    return widget_client(origin).post(
        f"/widget/{inbox.public_key}/upload/?lang=en",
        {"image": file or png_file(), "key": key},
        headers={"x-kefu-token": token if token is not None else token_for(visitor)},
    )


def offline(inbox, visitor, data, *, origin=ORIGIN, token=None):
    return widget_client(origin).post(
        f"/widget/{inbox.public_key}/offline/?lang=en",
        json.dumps(data),
        content_type="application/json",
        headers={"x-kefu-token": token if token is not None else token_for(visitor)},
    )


GOOD_FORM = {
    "name": "张女士",
    "contact": "138 0013 8000",
    "message": "你们几点上班？我想问发票的事。",
}


# --- CORS ---------------------------------------------------------------------------------------


def test_config_answers_the_allowed_origin_with_cors_headers(inbox):
    response = widget_client().get(f"/widget/{inbox.public_key}/config/")
    assert response.status_code == 200
    assert response.json() == {
        "inbox": "官网在线客服",
        "online": False,
        "hours": "",
        "greeting": "",
        "max_image_bytes": 10 * 1024 * 1024,
    }
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in response["Vary"]


def test_the_preflight_names_the_token_header_for_the_allowed_origin_only(inbox):
    response = widget_client().options(f"/widget/{inbox.public_key}/upload/")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Kefu-Token" in response["Access-Control-Allow-Headers"]
    refused = widget_client("http://evil.example").options(f"/widget/{inbox.public_key}/upload/")
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused


@pytest.mark.parametrize("origin", ["http://evil.example", "", "http://shop.example:8081", "null"])
def test_other_origins_are_refused_and_nothing_is_written(inbox, visitor, origin):
    assert widget_client(origin).get(f"/widget/{inbox.public_key}/config/").status_code == 403
    response = upload(inbox, visitor, origin=origin)
    assert response.status_code == 403
    assert response.json() == {"error": "This site may not use this chat."}
    assert "Access-Control-Allow-Origin" not in response
    assert offline(inbox, visitor, GOOD_FORM, origin=origin).status_code == 403
    assert (Message.objects.count(), ChatImage.objects.count(), Ticket.objects.count()) == (0, 0, 0)


def test_an_unknown_inbox_is_not_found(db):
    response = widget_client().get("/widget/no-such-key/config/")
    assert response.status_code == 404 and response.json() == {
        "error": "此在线客服不可用。"
    }  # Chinese by default


def test_errors_are_in_english_on_request(db):
    response = widget_client().get("/widget/no-such-key/config/?lang=en")
    assert response.json() == {"error": "This chat is not available."}


def test_a_get_on_a_post_endpoint_is_refused(inbox, visitor):
    response = widget_client().get(f"/widget/{inbox.public_key}/upload/")
    assert response.status_code == 405


# --- on duty, greeting ----------------------------------------------------------------------------


def test_on_duty_follows_the_routing_rules(inbox):
    from kefu.accounts.models import Skill
    from tests.factories import TeamFactory

    assert on_duty(inbox) is False
    offline_agent = make_agent(presence=Presence.OFFLINE)
    assert on_duty(inbox) is False
    main = make_agent()
    inbox.main_account = main
    inbox.save()
    assert on_duty(inbox) is False  # the routing-only main account serves nobody
    team = TeamFactory()
    skill = Skill.objects.create(code="en", name="英语")
    inbox.team, inbox.needed_skill = team, skill
    inbox.save()
    make_agent(teams=[TeamFactory()], skills=[skill])
    assert on_duty(inbox) is False
    team.skills.add(skill)
    make_agent(teams=[team])
    assert on_duty(inbox) is True
    assert offline_agent.agent_profile.presence == Presence.OFFLINE


def test_config_tells_the_widget_somebody_is_online_and_the_inbox_greeting(inbox):
    make_agent()
    inbox.greeting = "<b>欢迎光临</b> 小店"
    inbox.save()
    body = widget_client().get(f"/widget/{inbox.public_key}/config/").json()
    assert (body["online"], body["greeting"]) == (True, "<b>欢迎光临</b> 小店")


# --- the token ------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["", "forged", "x" * 400])
def test_a_missing_or_forged_token_is_refused_and_nothing_is_written(inbox, visitor, token):
    response = upload(inbox, visitor, token=token)
    assert response.status_code == 401
    assert response.json() == {"error": "Your chat session has expired; please reload the page."}
    assert response["Access-Control-Allow-Origin"] == ORIGIN  # so the widget can read the reason
    assert offline(inbox, visitor, GOOD_FORM, token=token).status_code == 401
    assert (Message.objects.count(), ChatImage.objects.count(), Ticket.objects.count()) == (0, 0, 0)


def test_a_token_of_another_inbox_is_refused(inbox, visitor):
    other = make_inbox(name="天猫店")
    response = upload(other, visitor)
    assert response.status_code == 401
    assert Message.objects.count() == 0


def test_an_expired_token_is_refused(inbox, visitor, settings):
    settings.KEFU_VISITOR_TOKEN_MAX_AGE = -1
    assert upload(inbox, visitor).status_code == 401


# --- images ---------------------------------------------------------------------------------------


def test_an_image_becomes_a_message_of_the_visitors_conversation(inbox, visitor):
    response = upload(inbox, visitor)
    assert response.status_code == 200, response.content
    ack = response.json()
    image = ChatImage.objects.get()
    conversation = Conversation.objects.get()
    assert (conversation.visitor_id, conversation.state) == (visitor.pk, ConversationState.WAITING)
    assert ack == {
        "event": "ack",
        "key": "img-1",
        "conversation_id": conversation.pk,
        "seq": 1,
        "message_id": Message.objects.get().pk,
        "body": f"[图片] /widget/images/{image.public_id}/",
    }
    assert (image.conversation_id, image.name, image.content_type, image.size) == (
        conversation.pk,
        "截图.png",
        "image/png",
        len(PNG),
    )
    assert image.file.name.startswith("chat-images/") and "截图" not in image.file.name


def test_the_same_image_key_again_stores_one_message_and_one_file(inbox, visitor):
    first = upload(inbox, visitor).json()
    again = upload(inbox, visitor).json()
    assert first == again
    assert (Message.objects.count(), ChatImage.objects.count()) == (1, 1)


def test_an_image_goes_into_the_open_conversation(inbox):
    conversation = make_conversation(inbox)
    ack = upload(inbox, conversation.visitor).json()
    assert (ack["conversation_id"], ack["seq"]) == (conversation.pk, 1)


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        (
            "合同.pdf",
            b"%PDF-1.4 hello",
            "Only images (PNG, JPEG, GIF, WebP) can be sent in the chat.",
        ),
        ("note.txt", b"just text", "Only images (PNG, JPEG, GIF, WebP) can be sent in the chat."),
        (
            "x.svg",
            b"<svg onload=alert(1)></svg>",
            "“x.svg” is not what its name says: its content is TXT. Rename it or save it again in the right format.",
        ),
        (
            "x.txt",
            b"<svg onload=alert(1)></svg>",
            "Only images (PNG, JPEG, GIF, WebP) can be sent in the chat.",
        ),
        (
            "photo.jpg",
            PNG,
            "“photo.jpg” is not what its name says: its content is PNG. Rename it or save it again in the right format.",
        ),
        ("empty.png", b"", "The file is empty."),
    ],
)
def test_wrong_kinds_of_file_are_refused_and_nothing_is_stored(
    inbox, visitor, name, content, error
):
    response = upload(inbox, visitor, file=png_file(name, content))
    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert (Message.objects.count(), ChatImage.objects.count(), Conversation.objects.count()) == (
        0,
        0,
        0,
    )


def test_a_too_big_image_is_refused(inbox, visitor, settings):
    settings.KEFU_ATTACHMENT_MAX_MB = 1
    response = upload(inbox, visitor, file=png_file("big.png", PNG + b"\x00" * (1024 * 1024)))
    assert (response.status_code, response.json()) == (
        400,
        {"error": "The file is larger than 1 MB."},
    )
    assert (Message.objects.count(), ChatImage.objects.count()) == (0, 0)


def test_an_upload_without_a_file_is_refused(inbox, visitor):
    response = widget_client().post(
        f"/widget/{inbox.public_key}/upload/?lang=en",
        {"key": "k"},
        headers={"x-kefu-token": token_for(visitor)},
    )
    assert (response.status_code, response.json()) == (400, {"error": "Choose an image to send."})


def test_the_visitor_fetches_their_image_by_token_and_nobody_else_does(inbox, visitor):
    body = upload(inbox, visitor).json()["body"]
    url = body.split(" ", 1)[1]
    response = widget_client().get(url, headers={"x-kefu-token": token_for(visitor)})
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert (response["Content-Type"], response["X-Content-Type-Options"]) == (
        "image/png",
        "nosniff",
    )
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    stranger = Visitor.objects.create(inbox=inbox)
    assert (
        widget_client().get(url, headers={"x-kefu-token": token_for(stranger)}).status_code == 404
    )
    assert widget_client().get(url, headers={"x-kefu-token": "forged"}).status_code == 404
    assert Client().get(url).status_code == 404  # no token, not signed in
    assert Client().get("/widget/images/nope/").status_code == 404


def test_agents_fetch_images_of_conversations_they_may_see(inbox, visitor):
    body = upload(inbox, visitor).json()["body"]
    url = body.split(" ", 1)[1]
    conversation = Conversation.objects.get()
    serving = make_agent()
    give_conversation(conversation=conversation, agent=serving, by=None)
    assert sign_in(Client(), serving).get(url).status_code == 200
    other = make_agent()
    assert sign_in(Client(), other).get(url).status_code == 404


# --- the offline form ------------------------------------------------------------------------------


def test_the_offline_form_creates_a_web_chat_ticket_by_the_widget_account(inbox, visitor):
    response = offline(inbox, visitor, GOOD_FORM)
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert response.json() == {"ticket_number": ticket.number}
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert (ticket.channel, ticket.type, ticket.state, ticket.complainant) == (
        Channel.WEB_CHAT,
        "consultation",
        "received",
        "张女士",
    )
    assert ticket.subject == "Message from 张女士 (web chat)"
    assert ticket.content == (  # the contact is the customer's identity, not ticket text
        "你们几点上班？我想问发票的事。\n\n"
        "Left through the chat widget of 官网在线客服 while nobody was on duty; "
        "the contact given is on the customer's record."
    )
    assert (ticket.customer.name, ticket.customer.mobile) == ("张女士", "+8613800138000")
    creator = ticket.created_by
    assert (creator.username, creator.display_name, creator.has_usable_password()) == (
        "kefu-widget",
        "网页留言",
        False,
    )
    assert not hasattr(creator, "agent_profile")  # routing never gives it a chat
    offline(inbox, visitor, {**GOOD_FORM, "contact": "ZHANG@Example.com"})
    assert (
        Ticket.objects.count() == 2 and Ticket.objects.values("created_by").distinct().count() == 1
    )
    emailed = Ticket.objects.order_by("-id").first()
    assert "zhang@example.com" not in emailed.content
    assert emailed.customer.identities.get().value == "zhang@example.com"


def test_a_verified_visitor_s_message_is_linked_to_their_customer(inbox, visitor):
    from kefu.customers.services import profiles
    from tests.factories import UserFactory

    customer = profiles.create_customer(
        actor=UserFactory(),
        name="黄伟",
        contacts=profiles.ContactPoints({"mobile": ["13800000001"]}),
    )
    visitor.customer = customer
    visitor.save()
    offline(inbox, visitor, GOOD_FORM)
    assert Ticket.objects.get().customer_id == customer.pk


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"name": "  "}, "Please tell us your name."),
        ({"name": "张" * 61}, "The name is too long: at most 60 characters."),
        ({"contact": ""}, "Please leave a phone number or an e-mail address so we can reply."),
        (
            {"contact": "明天打给我"},
            "“明天打给我” is neither a phone number nor an e-mail address.",
        ),
        ({"contact": "a@b"}, "“a@b” is neither a phone number nor an e-mail address."),
        ({"message": ""}, "Please write your message."),
        ({"message": "长" * 2001}, "The message is too long: at most 2000 characters."),
        ({"message": 42}, "Please write your message."),
    ],
)
def test_a_bad_offline_form_names_the_field_and_creates_nothing(inbox, visitor, change, error):
    response = offline(inbox, visitor, {**GOOD_FORM, **change})
    assert (response.status_code, response.json()) == (400, {"error": error})
    assert Ticket.objects.count() == 0


def test_a_malformed_offline_request_is_refused(inbox, visitor):
    client = widget_client()
    response = client.post(
        f"/widget/{inbox.public_key}/offline/",
        "not json",
        content_type="application/json",
        headers={"x-kefu-token": token_for(visitor)},
    )
    assert (response.status_code, response.json()) == (
        400,
        {"error": "未知的请求。"},
    )  # Chinese unless ?lang=en
    assert Ticket.objects.count() == 0


def test_hostile_strings_in_the_offline_form_are_stored_as_text(inbox, visitor):
    for text in HOSTILE_STRINGS[:5]:
        response = offline(inbox, visitor, {**GOOD_FORM, "name": text[:60], "message": text})
        assert response.status_code == 201, response.content
    stored = list(Ticket.objects.order_by("id").values_list("complainant", flat=True))
    assert stored[0] == "<script>alert('x')</script>"


def test_a_flood_of_offline_messages_from_one_visitor_is_throttled(inbox, visitor):
    for _ in range(widget_service.OFFLINE_PER_VISITOR_PER_HOUR):
        assert offline(inbox, visitor, GOOD_FORM).status_code == 201
    response = offline(inbox, visitor, GOOD_FORM)
    assert (response.status_code, response.json()) == (
        400,
        {"error": "You have already left several messages; we will contact you soon."},
    )
    assert Ticket.objects.count() == widget_service.OFFLINE_PER_VISITOR_PER_HOUR


# --- the queue -----------------------------------------------------------------------------------


def test_queue_position_counts_the_inbox_s_waiting_conversations_oldest_first(inbox):
    first, second, third = (make_conversation(inbox) for _ in range(3))
    other_inbox_chat = make_conversation(make_inbox(name="天猫店"))
    assert [queue_position(c) for c in (first, second, third, other_inbox_chat)] == [1, 2, 3, 1]
    give_conversation(conversation=first, agent=make_agent(), by=None)
    second.refresh_from_db()
    third.refresh_from_db()
    assert (queue_position(first), queue_position(second), queue_position(third)) == (None, 1, 2)
    close_conversation(conversation=second, visitor=second.visitor)
    assert queue_position(third) == 1
    assert queue_positions(inbox.pk) == [(third.pk, 1)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_waiting_visitors_learn_their_place_and_it_moves_when_the_queue_does(inbox):
    from kefu.conversations.tests.test_sockets import agent_socket, receive_until, send
    from kefu.conversations.tests.test_sockets import visitor as open_visitor

    first, _ = await open_visitor(inbox)
    ack1 = await send(first, "k", "第一位")
    state, _ = await receive_until(first, lambda f: f.get("event") == "conversations.state")
    assert (state["state"], state["queue_position"]) == ("waiting", 1)
    second, welcome = await open_visitor(inbox)
    ack2 = await send(second, "k", "第二位")
    state, _ = await receive_until(second, lambda f: f.get("event") == "conversations.state")
    assert state["queue_position"] == 2
    await second.send_json_to({"type": "queue"})
    asked, _ = await receive_until(second, lambda f: f.get("event") == "conversations.queue")
    assert asked == {
        "event": "conversations.queue",
        "conversation_id": ack2["conversation_id"],
        "position": 2,
    }
    again, rewelcome = await open_visitor(inbox, token=welcome["token"])
    assert rewelcome["queue_position"] == 2
    await again.disconnect()

    # An agent comes online and takes the first: the second visitor moves to the front.
    agent, agent_ws = await agent_socket(max_chats=1, presence="offline")
    await sync_to_async(_go_online)(agent)
    moved, _ = await receive_until(second, lambda f: f.get("event") == "conversations.queue")
    assert moved == {
        "event": "conversations.queue",
        "conversation_id": ack2["conversation_id"],
        "position": 1,
    }
    joined, _ = await receive_until(first, lambda f: f.get("event") == "conversations.agent_joined")
    assert joined["conversation_id"] == ack1["conversation_id"]
    for socket in (first, second, agent_ws):
        await socket.disconnect()


def _go_online(agent):
    from kefu.accounts.services import set_presence

    set_presence(user=agent, presence=Presence.ONLINE)
