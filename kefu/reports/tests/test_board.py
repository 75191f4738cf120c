"""The live board's tickets about to breach (issue 13.1, Benchmark): the count stops at the cap ("N+"
beyond it, as on the workbench) so that it costs the same whatever the number of tickets, while the
list still shows the first ones by their resolution deadline; every part of the board reads an index."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kefu.accounts.roles import Role
from kefu.core import querysets
from kefu.reports import board
from kefu.tickets.models import Ticket
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketState, TicketType
from tests.plans import query_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def now() -> dt.datetime:
    """The instant the test's board is read at (read when the test runs, not at import)."""
    return timezone.now()


@pytest.fixture
def make_ticket(make_user, now):
    """A consultation whose only deadline is its resolution `due` minutes from `now`, open or closed."""
    agent = make_user(Role.AGENT)

    def make(due: int, *, closed: bool = False) -> Ticket:
        made = create_ticket(
            actor=agent, type=TicketType.CONSULTATION, subject=f"到期 {due}", now=now
        )
        Ticket.objects.filter(pk=made.pk).update(
            first_response_due_at=None,
            stage_due_at=None,
            return_visit_due_at=None,
            resolve_due_at=now + dt.timedelta(minutes=due),
            state=TicketState.CLOSED if closed else TicketState.RECEIVED,
            closed_at=now if closed else None,
        )
        made.refresh_from_db()
        return made

    return make


def test_the_count_is_exact_below_the_cap_and_says_n_plus_from_it(make_ticket, monkeypatch, now):
    monkeypatch.setattr(querysets, "COUNT_CAP", 3)
    make_ticket(-30, closed=True)  # closed: never about to breach
    make_ticket(180)  # three hours away: beyond the board's hour
    soonest = [make_ticket(-90), make_ticket(45)]  # passed an hour and a half ago; due in 45 min

    figures = board.board(now=now)
    assert (figures["breaching_count"], str(figures["breaching_count"])) == (2, "2")

    soonest.append(make_ticket(-10))  # at the cap
    figures = board.board(now=now)
    assert (figures["breaching_count"], str(figures["breaching_count"])) == (3, "3+")

    soonest += [make_ticket(m) for m in (-200, 10, 20, 30, 40, 50, 55, 58, 59)]  # above it
    figures = board.board(now=now)
    assert (figures["breaching_count"], str(figures["breaching_count"])) == (3, "3+")
    # the list is still the first ten by their resolution deadline, whatever the cap
    first_ten = sorted(soonest, key=lambda t: t.resolve_due_at)[:10]
    assert [t["number"] for t in figures["breaching"]] == [t.number for t in first_ten]


def test_todays_counts_are_exact_below_their_cap(make_ticket, monkeypatch, now):
    monkeypatch.setattr(board, "TODAY_CAP", 3)
    make_ticket(180)
    make_ticket(240)
    assert str(board.board(now=now)["today"]["tickets"]) == "2"
    make_ticket(300)
    make_ticket(360)
    today = board.board(now=now)["today"]
    assert (today["tickets"], str(today["tickets"]), str(today["complaints"])) == (3, "3+", "0")


def test_the_board_page_shows_the_capped_count(client_for, make_ticket, monkeypatch):
    monkeypatch.setattr(querysets, "COUNT_CAP", 3)
    for minutes in (-5, 5, 15, 25):
        make_ticket(minutes)
    client, _user = client_for(Role.SUPERVISOR)

    html = client.get("/reports/board/").content.decode()

    assert re.search(r'data-testid="board-breaching">\s*3\+\s*<', html), html


def test_every_query_of_the_board_reads_an_index_and_the_count_stops_at_the_cap(make_ticket, now):
    """bench/reports: a plain COUNT of the tickets about to breach walked every open ticket past its
    deadline; each query here must be served by an index (no scan of a whole table) and the count
    must carry its LIMIT."""
    make_ticket(-5)
    with CaptureQueriesContext(connection) as captured:
        board.board(now=now)
    sqls = [q["sql"] for q in captured.captured_queries]
    counted = [s for s in sqls if "tickets_ticket" in s and "COUNT(*)" in s and "due_at" in s]
    assert len(counted) == 1 and f"LIMIT {querysets.COUNT_CAP}" in counted[0], counted
    big = ("tickets_ticket", "conversations_conversation", "customers_customer")
    for sql in sqls:
        if not any(f'FROM "{table}"' in sql for table in big):
            continue  # the agents' profiles: one row per agent
        plan = query_plan(sql)
        assert "Seq Scan" not in plan, (sql, plan)
        assert not re.search(
            r"SCAN (tickets_ticket|conversations_conversation|customers_customer)(?! USING)", plan
        ), (
            sql,
            plan,
        )
