"""The survey after a chat, in the chat widget: when the chat ends and the survey sent after chats
is one for the widget, the visitor's socket is told its link at once and again on reconnecting,
until it is answered. Events asserted here: SurveyOffered (visits.survey_offered)."""

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from django.db import connections

from kefu.accounts.models import Presence
from kefu.accounts.roles import Role
from kefu.conversations.models import Conversation
from kefu.conversations.tests.conftest import make_agent, make_inbox
from kefu.conversations.tests.test_sockets import (
    agent_socket,
    is_event,
    receive_until,
    send,
    visitor,
)
from kefu.core.events import EVENT_TYPES, Delivery, subscribe, unsubscribe
from kefu.customers.models import Customer
from kefu.visits.models import SurveyChannel, SurveyInvitation, SurveyTrigger
from kefu.visits.services import surveys

pytestmark = pytest.mark.django_db(transaction=True)


@pytest_asyncio.fixture(autouse=True)
async def close_thread_connections():
    yield
    await sync_to_async(connections.close_all)()


@sync_to_async
def widget_survey(channel: str = SurveyChannel.WIDGET):
    supervisor = make_agent(role=Role.SUPERVISOR, presence=Presence.OFFLINE)
    return surveys.create_survey(
        actor=supervisor,
        title="聊天满意度",
        questions="score: 您对本次服务满意吗",
        trigger=SurveyTrigger.CONVERSATION,
        channel=channel,
    )


@sync_to_async
def link_customer(conversation_id: int) -> Customer:
    customer = Customer.objects.create(name="张三", mobile="+8613800138000")
    Conversation.objects.filter(pk=conversation_id).update(customer=customer)
    return customer


@pytest.mark.asyncio
async def test_the_widget_shows_the_survey_link_when_the_chat_ends_until_it_is_answered():
    inbox = await sync_to_async(make_inbox)()
    survey = await widget_survey()
    offered = []
    subscribe(EVENT_TYPES["visits.survey_offered"], offered.append, mode=Delivery.INLINE)
    try:
        agent, agent_ws = await agent_socket()
        v, welcome = await visitor(inbox)
        ack = await send(v, "k", "你好")
        await receive_until(agent_ws, is_event("conversations.assigned"))
        await link_customer(ack["conversation_id"])

        await v.send_json_to({"type": "close"})
        frame, _before = await receive_until(v, is_event("visits.survey"))
    finally:
        unsubscribe(EVENT_TYPES["visits.survey_offered"], offered.append)

    invitation = await sync_to_async(SurveyInvitation.objects.get)(survey=survey)
    assert (invitation.source, invitation.source_id, invitation.agent_id) == (
        SurveyTrigger.CONVERSATION,
        ack["conversation_id"],
        agent.pk,
    )
    url = await sync_to_async(surveys.answer_url)(invitation)
    assert frame == {
        "event": "visits.survey",
        "conversation_id": ack["conversation_id"],
        "url": url,
    }
    assert [(e.invitation_id, e.conversation_id) for e in offered] == [
        (invitation.pk, ack["conversation_id"])
    ]
    await v.disconnect()

    # Back later (the page reloaded): the welcome still offers it.
    again, back = await visitor(
        inbox, token=welcome["token"], conversation_id=ack["conversation_id"]
    )
    assert back["survey_url"] == url
    await again.disconnect()

    # The survey page the link opens, answered once: no longer offered.
    token = url.rsplit("/survey/", 1)[1].strip("/")
    await sync_to_async(surveys.answer_survey)(
        token=token, answers={str((await sync_to_async(survey.questions.get)()).pk): "5"}
    )
    third, answered = await visitor(
        inbox, token=welcome["token"], conversation_id=ack["conversation_id"]
    )
    assert answered["survey_url"] is None
    await third.disconnect()
    await agent_ws.disconnect()


@pytest.mark.asyncio
async def test_an_sms_survey_after_a_chat_is_not_shown_in_the_widget(settings):
    inbox = await sync_to_async(make_inbox)()
    await widget_survey(channel=SurveyChannel.SMS)
    _agent, agent_ws = await agent_socket()
    v, welcome = await visitor(inbox)
    ack = await send(v, "k", "你好")
    await receive_until(agent_ws, is_event("conversations.assigned"))
    await link_customer(ack["conversation_id"])
    await v.send_json_to({"type": "close"})
    await receive_until(v, is_event("conversations.closed"))
    await v.disconnect()
    assert await sync_to_async(SurveyInvitation.objects.count)() == 1
    again, back = await visitor(
        inbox, token=welcome["token"], conversation_id=ack["conversation_id"]
    )
    assert back["survey_url"] is None
    await again.disconnect()
    await agent_ws.disconnect()
