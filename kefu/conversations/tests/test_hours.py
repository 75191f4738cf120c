"""Routing by working hours: until rosters land, a chat goes only to agents whose team is at work
now (the business calendar's working days, the team's hours: 售前组 08:30–22:00, 售后组
09:00–18:00). Outside them the widget says nobody is on duty and names the hours, so it offers the
message form; what waited is routed when the hours begin. Through the widget's socket and HTTP."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from kefu.conversations.models import Conversation, ConversationState
from kefu.conversations.tasks import route_waiting_conversations
from kefu.conversations.tests.conftest import ORIGIN, make_agent, make_inbox
from kefu.conversations.tests.test_sockets import close_thread_connections, send, visitor  # noqa: F401
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)
SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY = dt.date(2026, 12, 2)
SATURDAY = dt.date(2026, 12, 5)


def at(day: dt.date, hh_mm: str) -> dt.datetime:
    hours, minutes = (int(p) for p in hh_mm.split(":"))
    return dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=SHANGHAI)


def teams():
    presales = TeamFactory(name="售前组", work_start=dt.time(8, 30), work_end=dt.time(22, 0))
    aftersales = TeamFactory(name="售后组", work_start=dt.time(9, 0), work_end=dt.time(18, 0))
    return presales, aftersales


def config(inbox) -> dict:
    response = Client().get(f"/widget/{inbox.public_key}/config/", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    return response.json()


def test_the_widget_offers_the_message_form_outside_the_teams_hours(business_time):
    _presales, aftersales = teams()
    make_agent(teams=[aftersales])  # online
    inbox = make_inbox(team=aftersales)
    business_time(at(WEDNESDAY, "10:00"))
    assert (config(inbox)["online"], config(inbox)["hours"]) == (True, "09:00–18:00")
    business_time(at(WEDNESDAY, "18:30"))
    assert (config(inbox)["online"], config(inbox)["hours"]) == (False, "09:00–18:00")
    business_time(at(SATURDAY, "10:00"))  # not a working day on the business calendar
    assert config(inbox)["online"] is False


def test_an_inbox_without_a_team_is_on_duty_while_any_online_agents_team_works(business_time):
    presales, aftersales = teams()
    make_agent(teams=[aftersales])
    inbox = make_inbox()
    business_time(at(WEDNESDAY, "20:00"))
    assert config(inbox)["online"] is False  # the only one online is 售后组, off since 18:00
    make_agent(teams=[presales])
    assert config(inbox)["online"] is True  # 售前组 works until 22:00
    assert config(inbox)["hours"] == ""


@pytest.mark.asyncio
async def test_an_evening_chat_goes_to_the_team_at_work_and_one_outside_all_hours_waits(
    business_time,
):
    presales, aftersales = await sync_to_async(teams)()
    after_agent = await sync_to_async(make_agent)(teams=[aftersales], username="shouhou")
    pre_agent = await sync_to_async(make_agent)(teams=[presales], username="shouqian")
    inbox = await sync_to_async(make_inbox)()

    business_time(at(WEDNESDAY, "20:00"))
    socket, _ = await visitor(inbox)
    first = await send(socket, "k1", "晚上好，还在吗？")
    assert first["event"] == "ack"
    conversation = await sync_to_async(Conversation.objects.get)(pk=first["conversation_id"])
    assert (conversation.state, conversation.assignee_id) == (ConversationState.OPEN, pre_agent.pk)
    await socket.disconnect()

    business_time(at(WEDNESDAY, "22:30"))  # both teams off: the chat waits, nobody gets it
    late, _ = await visitor(inbox)
    second = await send(late, "k2", "请问明天几点上班？")
    waiting = await sync_to_async(Conversation.objects.get)(pk=second["conversation_id"])
    assert (waiting.state, waiting.assignee_id) == (ConversationState.WAITING, None)
    await late.disconnect()

    business_time(at(dt.date(2026, 12, 3), "09:05"))  # the next morning both teams are back
    await sync_to_async(route_waiting_conversations.call_local)()
    await sync_to_async(waiting.refresh_from_db)()
    assert waiting.state == ConversationState.OPEN
    assert waiting.assignee_id == after_agent.pk  # the one with fewer chats
