"""The about-to-breach list at 1,000,000 tickets (issue 11): its page is read in the order of the index
ticket_open_running_due, the running deadline of open tickets, instead of an OR of four deadline
indexes collecting every open ticket near its deadline and sorting them (480 ms, bench/README.md);
the workbench's figure and rows come from the same index; the rows are the right ones, soonest first,
and the next page follows on."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kefu.accounts.roles import Role
from kefu.tickets import selectors
from kefu.tickets.models import Ticket
from kefu.tickets.states import TicketState, TicketType
from tests.plans import query_plan

pytestmark = pytest.mark.django_db

INDEX = "ticket_open_running_due"


def _ticket(n: int, *, state=TicketState.RECEIVED, **deadlines) -> Ticket:
    return Ticket.objects.create(
        number=f"TS20261123-{n:04d}",
        type=TicketType.COMPLAINT,
        state=state,
        subject=f"工单{n}",
        created_at=timezone.now(),
        **deadlines,
    )


@pytest.fixture
def deadlines():
    """Open tickets whose running deadline is each of the four limits in turn, and ones that must
    not show: met or far limits, a closed ticket."""
    now = timezone.now()
    hour = dt.timedelta(hours=1)
    far = now + 1000 * hour
    shown = [
        _ticket(1, first_response_due_at=now - 3 * hour, stage_due_at=far, resolve_due_at=far),
        _ticket(2, stage_due_at=now - 2 * hour, resolve_due_at=far),
        _ticket(3, resolve_due_at=now - 1 * hour),
        _ticket(4, return_visit_due_at=now - dt.timedelta(minutes=30), resolve_due_at=far),
    ]
    hidden = [
        # the first response was given: its deadline no longer runs
        _ticket(
            5, first_response_due_at=now - 5 * hour, first_responded_at=now, resolve_due_at=far
        ),
        # the return visit was made
        _ticket(6, return_visit_due_at=now - 5 * hour, return_visited_at=now, stage_due_at=far),
        _ticket(7, state=TicketState.CLOSED, resolve_due_at=now - 5 * hour),
        _ticket(8, resolve_due_at=far),
        _ticket(9),  # no deadline at all
    ]
    return shown, hidden


def test_the_list_reads_the_running_deadline_index_soonest_first(client_for, deadlines):
    shown, _hidden = deadlines
    client, _supervisor = client_for(Role.SUPERVISOR)

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/tickets/?view=about_to_breach")

    assert response.status_code == 200
    numbers = re.findall(r">(TS20261123-\d{4})</a>", response.content.decode())
    assert numbers == [t.number for t in shown]
    listing = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT "tickets_ticket"."id"') and "LIMIT" in q["sql"]
    ]
    assert len(listing) == 1, [q["sql"] for q in captured.captured_queries]
    plan = query_plan(listing[0])
    assert INDEX in plan, plan
    if connection.vendor == "sqlite":
        assert "TEMP B-TREE" not in plan, plan  # read in the index's order, not sorted


def test_the_next_page_follows_on(deadlines):
    from kefu.core.pagination import keyset_page

    shown, _hidden = deadlines
    supervisor_view = selectors.soonest_due_first(
        Ticket.objects.filter(selectors.about_to_breach_q(now=None, horizon=timezone.now()))
    )
    first = keyset_page(supervisor_view, size=3)
    second = keyset_page(supervisor_view, cursor=first.next_cursor, size=3)
    assert [t.pk for t in first.items + second.items] == [t.pk for t in shown]
    assert second.next_cursor is None


@pytest.mark.usefixtures("deadlines")
def test_the_workbench_figure_and_rows_come_from_the_index(client_for):
    client, _supervisor = client_for(Role.SUPERVISOR)

    with CaptureQueriesContext(connection) as captured:
        page = client.get("/").content.decode()

    assert re.search(r'data-testid="breach-count">\s*4\s*<', page), page
    breach = [
        q["sql"]
        for q in captured.captured_queries
        if '"tickets_ticket"' in q["sql"] and '"return_visit_due_at" ELSE NULL END' in q["sql"]
    ]
    assert len(breach) >= 2, [q["sql"] for q in captured.captured_queries]
    for sql in breach:
        plan = query_plan(sql)
        if connection.vendor == "sqlite":
            assert INDEX in plan, (sql, plan)
        else:  # PostgreSQL picks among the open-deadline indexes for a handful of rows
            assert "Seq Scan on tickets_ticket" not in plan, (sql, plan)
