"""The workbench's ticket figures: counted over indexes up to a cap, equal to the real counts below it
after tickets are created, assigned, closed and merged; "N+" beyond the cap."""

import re

import pytest
from django.test import Client
from django.utils import translation

from conftest import sign_in
from kefu.core import querysets
from kefu.tickets import selectors
from kefu.tickets.services.loop import answer_ticket, close_ticket, merge_into
from kefu.tickets.services.tickets import assign_ticket, create_ticket
from kefu.tickets.states import TicketState

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_chinese():
    with translation.override("zh-hans"):
        yield


def figures(user) -> dict[str, str]:
    """What the workbench shows the user: my open tickets, about to breach, unassigned."""
    page = sign_in(Client(), user).get("/").content.decode()
    found = {}
    for key, pattern in (
        ("mine", r'data-testid="my-ticket-count">([^<]+)<'),
        ("breach", r'data-testid="breach-count">([^<]+)<'),
        ("unassigned", r'data-testid="unassigned-link">([0-9+]+) 个未分配'),
    ):
        match = re.search(pattern, page)
        if match:
            found[key] = match.group(1)
    return found


def real(user, supervisor) -> dict[str, str]:
    """The same figures counted over the whole table, the slow way."""
    return {
        "mine": str(selectors.saved_view(user=user, view="mine").count()),
        "breach": str(selectors.saved_view(user=supervisor, view="about_to_breach").count()),
        "unassigned": str(selectors.saved_view(user=supervisor, view="unassigned").count()),
    }


def test_the_figures_equal_the_real_counts_after_create_assign_close_and_merge(cast, customer):
    def new(subject, **kwargs):
        return create_ticket(
            actor=cast.agent,
            type="consultation",
            subject=subject,
            customer_id=customer.pk,
            **kwargs,
        )

    def fresh(ticket):
        ticket.refresh_from_db()
        return ticket

    def check():
        shown_agent, shown_boss = figures(cast.agent), figures(cast.supervisor)
        truth = real(cast.agent, cast.supervisor)
        assert shown_agent["mine"] == truth["mine"]
        assert (shown_boss["breach"], shown_boss["unassigned"]) == (
            truth["breach"],
            truth["unassigned"],
        )
        return truth

    # created: three unassigned, one given to the agent at once (all due in working time: none
    # breaches unless the test runs in the last hour before a deadline, which both sides count alike)
    tickets = [new(f"问题{i}") for i in range(3)]
    mine = new("分给我的")
    mine = assign_ticket(
        actor=cast.supervisor,
        ticket_id=mine.pk,
        expected_version=mine.version,
        assignee_id=cast.agent.pk,
    )
    assert check() | {"breach": "-"} == {"mine": "1", "unassigned": "3", "breach": "-"}
    # reassigned: one of the unassigned goes to the agent, the agent's own to the other agent
    taken = assign_ticket(
        actor=cast.supervisor,
        ticket_id=tickets[0].pk,
        expected_version=tickets[0].version,
        assignee_id=cast.agent.pk,
    )
    assign_ticket(
        actor=cast.supervisor,
        ticket_id=mine.pk,
        expected_version=fresh(mine).version,
        assignee_id=cast.agent2.pk,
    )
    assert check() | {"breach": "-"} == {"mine": "1", "unassigned": "2", "breach": "-"}
    # closed: the agent's ticket is answered and closed
    taken = answer_ticket(
        actor=cast.agent, ticket_id=taken.pk, expected_version=fresh(taken).version, answer="已答复"
    )
    close_ticket(actor=cast.agent, ticket_id=taken.pk, expected_version=fresh(taken).version)
    assert check() | {"breach": "-"} == {"mine": "0", "unassigned": "2", "breach": "-"}
    # merged: an unassigned duplicate is closed into another
    merge_into(
        actor=cast.agent,
        ticket_id=tickets[1].pk,
        expected_version=fresh(tickets[1]).version,
        survivor=tickets[2].number,
    )
    assert fresh(tickets[1]).state == TicketState.CLOSED
    assert check() | {"breach": "-"} == {"mine": "0", "unassigned": "1", "breach": "-"}


def test_overdue_tickets_count_as_about_to_breach(cast, new_complaint):
    # given complaints created long ago (every deadline passed), one of them closed since
    overdue = [new_complaint() for _ in range(3)]
    from kefu.tickets.services.loop import confirm_restatement, judge_complaint_invalid

    first = confirm_restatement(
        actor=cast.agent,
        ticket_id=overdue[0].pk,
        expected_version=overdue[0].version,
        restatement="已复述",
    )
    judge_complaint_invalid(
        actor=cast.agent,
        ticket_id=first.pk,
        expected_version=first.version,
        reason="不属于我司责任",
        reply="感谢反馈",
    )
    # then the supervisor's figure counts the two still open
    assert figures(cast.supervisor)["breach"] == "2" == real(cast.agent, cast.supervisor)["breach"]


def test_beyond_the_cap_the_figure_says_n_plus(cast, customer, monkeypatch):
    monkeypatch.setattr(querysets, "COUNT_CAP", 3)
    for i in range(4):
        create_ticket(
            actor=cast.agent, type="consultation", subject=f"问题{i}", customer_id=customer.pk
        )
    assert figures(cast.supervisor)["unassigned"] == "3+"
    for i in range(2):
        create_ticket(actor=cast.agent, type="consultation", subject=f"再问{i}")
    monkeypatch.setattr(querysets, "COUNT_CAP", 10)
    assert figures(cast.supervisor)["unassigned"] == "6"
