"""会话统计: first response, every response, handling time, messages per chat and chats per agent
per day, from chats served through the real services on a controlled clock; the page, its
permission and its Excel export."""

import datetime as dt
import io

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.conversations.models import SenderKind, Visitor
from kefu.conversations.services.lifecycle import (
    assign_conversation,
    close_conversation,
    rate_conversation,
    start_conversation,
)
from kefu.conversations.services.messages import post_message, send_agent_message
from kefu.conversations.statistics import agent_days, agent_totals, totals_of
from kefu.conversations.tests.conftest import make_agent, make_inbox

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 23)


class Clock:
    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def at(self, day: dt.date, hh_mm_ss: str) -> None:
        """Set the clock to a Shanghai wall-clock time."""
        hours, minutes, seconds = (int(p) for p in hh_mm_ss.split(":"))
        self.now = timezone.make_aware(dt.datetime.combine(day, dt.time(hours, minutes, seconds)))


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def served(clock):
    """Two chats for 小王 on Monday (one answered twice, rated 5; one never answered), one for 小李 on
    Tuesday answered after 20 s."""
    inbox = make_inbox()
    supervisor = make_agent(role=Role.SUPERVISOR, username="组长")
    wang, li = make_agent(username="小王", max_chats=10), make_agent(username="小李", max_chats=10)

    def chat(day, at, agent):
        clock.at(day, at)
        visitor = Visitor.objects.create(inbox=inbox)
        conversation = start_conversation(visitor=visitor)
        post_message(conversation=conversation, sender=SenderKind.VISITOR, body="在吗")
        return visitor, conversation

    visitor, first = chat(MONDAY, "10:00:00", wang)
    clock.at(MONDAY, "10:00:30")
    assign_conversation(actor=supervisor, conversation=first, agent=wang)
    first.refresh_from_db()
    clock.at(MONDAY, "10:01:00")
    send_agent_message(actor=wang, conversation=first, body="您好，在的", client_key="a1")
    clock.at(MONDAY, "10:02:00")
    post_message(conversation=first, sender=SenderKind.VISITOR, body="发货了吗")
    clock.at(MONDAY, "10:02:30")
    send_agent_message(actor=wang, conversation=first, body="今天16点前发出", client_key="a2")
    send_agent_message(
        actor=wang, conversation=first, body="备注：加急", client_key="n1", is_internal=True
    )
    clock.at(MONDAY, "10:10:00")
    close_conversation(conversation=first, actor=wang)
    first.refresh_from_db()
    rate_conversation(visitor=visitor, conversation=first, rating=5)

    _, second = chat(MONDAY, "11:00:00", wang)
    assign_conversation(actor=supervisor, conversation=second, agent=wang)
    clock.at(MONDAY, "11:05:00")
    second.refresh_from_db()
    close_conversation(conversation=second, actor=supervisor)

    tuesday = MONDAY + dt.timedelta(days=1)
    _, third = chat(tuesday, "09:00:00", li)
    assign_conversation(actor=supervisor, conversation=third, agent=li)
    third.refresh_from_db()
    clock.at(tuesday, "09:00:20")
    send_agent_message(actor=li, conversation=third, body="您好", client_key="b1")
    return {"wang": wang, "li": li, "supervisor": supervisor}


def test_the_facts_per_agent_and_day(served):
    days = agent_days(since=MONDAY, until=MONDAY + dt.timedelta(days=1))
    assert [(d.day, d.agent_id) for d in days] == [
        (MONDAY + dt.timedelta(days=1), served["li"].pk),
        (MONDAY, served["wang"].pk),
    ]
    li, wang = days
    assert (wang.chats, wang.answered, wang.response_rate) == (2, 1, 0.5)
    assert wang.first_response_seconds == pytest.approx(60)  # 10:00:00 → 10:01:00
    assert (wang.responses, wang.response_seconds) == (
        2,
        pytest.approx(45),
    )  # 60 s and 30 s; the note is no answer
    assert wang.handling_seconds == pytest.approx((570 + 300) / 2)  # assigned → closed
    assert wang.messages_per_chat == pytest.approx(
        (6 + 2) / 2
    )  # notes and the end line are messages too
    assert wang.rating == 5
    assert (li.chats, li.answered, li.first_response_seconds, li.handling_seconds) == (
        1,
        1,
        pytest.approx(20),
        None,
    )


def test_a_day_is_a_shanghai_day_and_the_period_totals_add_up(served):
    assert (
        agent_days(since=MONDAY + dt.timedelta(days=2), until=MONDAY + dt.timedelta(days=9)) == []
    )
    [wang] = agent_totals(since=MONDAY, until=MONDAY)
    assert (wang.agent_id, wang.chats, wang.responses) == (served["wang"].pk, 2, 2)
    totals = {
        t.agent_id: t.chats
        for t in agent_totals(
            since=MONDAY - dt.timedelta(days=6), until=MONDAY + dt.timedelta(days=1)
        )
    }
    assert totals == {served["wang"].pk: 2, served["li"].pk: 1}


def test_the_period_row_folded_from_the_days_is_the_one_read_whole(served):
    """The page reads the days once and adds them up (totals_of): every figure, averages included,
    is what agent_totals reads over the whole period."""
    since, until = MONDAY - dt.timedelta(days=6), MONDAY + dt.timedelta(days=1)
    folded = totals_of(agent_days(since=since, until=until), since=since)
    read = agent_totals(since=since, until=until)
    assert folded == read and len(read) == 2
    wang = next(t for t in folded if t.agent_id == served["wang"].pk)
    assert (wang.handling_seconds, wang.response_seconds) == (
        pytest.approx((570 + 300) / 2),
        pytest.approx(45),
    )


def test_the_page_shows_the_facts_to_supervisors_only_and_exports_them(served):
    page = sign_in(Client(), served["supervisor"]).get(
        "/conversations/statistics/",
        {"since": MONDAY.isoformat(), "until": (MONDAY + dt.timedelta(days=1)).isoformat()},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "会话统计" in html and str(served["wang"]) in html and str(served["li"]) in html
    assert "50%" in html and "1分00秒" in html and "45秒" in html and "7分15秒" in html
    export = sign_in(Client(), served["supervisor"]).get(
        "/conversations/statistics/",
        {
            "since": MONDAY.isoformat(),
            "until": (MONDAY + dt.timedelta(days=1)).isoformat(),
            "format": "xlsx",
        },
    )
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:4] == ("2026-11-24", str(served["li"]), 1, 100.0)
    assert rows[2][:5] == ("2026-11-23", str(served["wang"]), 2, 50.0, 60.0)
    assert sign_in(Client(), served["wang"]).get("/conversations/statistics/").status_code == 403


def test_a_long_period_is_cut_with_a_word_and_nonsense_dates_fall_back(served):
    client = sign_in(Client(), served["supervisor"])
    long = client.get(
        "/conversations/statistics/", {"since": "2020-01-01", "until": MONDAY.isoformat()}
    )
    assert long.status_code == 200 and "最多" in long.content.decode()
    assert (
        client.get(
            "/conversations/statistics/", {"since": "<script>", "until": "2026-13-45"}
        ).status_code
        == 200
    )


def test_the_day_table_shows_a_week_at_a_time_newest_first():
    from kefu.conversations.statistics import AgentDay
    from kefu.conversations.statistics_views import days_page

    days = [
        AgentDay(day=MONDAY - dt.timedelta(days=n), agent_id=agent)
        for n in range(10)
        for agent in (1, 2)
    ]
    first = days_page(days, "1")
    assert (first.cursor, first.next_cursor) == (None, 2)
    assert {d.day for d in first.items} == {MONDAY - dt.timedelta(days=n) for n in range(7)}
    assert len(first.items) == 14
    older = days_page(days, "2")
    assert (older.cursor, older.next_cursor) == (2, None)
    assert {d.day for d in older.items} == {MONDAY - dt.timedelta(days=n) for n in (7, 8, 9)}
    # A page past the end shows the last; nonsense shows the first.
    assert days_page(days, "99").cursor == 2 and days_page(days, "<script>").cursor is None
    empty = days_page([], "3")
    assert (empty.items, empty.cursor, empty.next_cursor) == ([], None, None)


def test_a_page_of_days_past_the_end_shows_the_last_and_two_days_need_no_pager(served):
    client = sign_in(Client(), served["supervisor"])
    query = {"since": MONDAY.isoformat(), "until": (MONDAY + dt.timedelta(days=1)).isoformat()}
    html = client.get("/conversations/statistics/", {**query, "cursor": "9"}).content.decode()
    assert 'data-testid="next-page"' not in html and "2026-11-24" in html and "2026-11-23" in html
