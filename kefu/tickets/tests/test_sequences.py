"""Random sequences of actions by random people at random times, against the invariants:
one assignee who serves customers; a closed valid complaint has its return visit and an invalid one its
reason and reply; every deadline lies in working time and after the moment it was computed; the
version counts the changes; a refused action changes nothing."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kefu.accounts.roles import Perm
from kefu.core.business_calendar import BusinessCalendar
from kefu.core.errors import DomainError
from kefu.tickets.models import Satisfaction, Ticket
from kefu.tickets.services import loop
from kefu.tickets.services.tickets import assign_ticket, create_ticket
from kefu.tickets.states import TicketState, TicketType, Validity

from .conftest import SH

pytestmark = pytest.mark.django_db

# Around 国庆 2026 and its adjusted working Saturday, nights and weekends included.
STARTS = [
    dt.datetime(2026, 9, 30, 17, 30, tzinfo=SH),
    dt.datetime(2026, 10, 3, 11, 0, tzinfo=SH),
    dt.datetime(2026, 10, 9, 23, 0, tzinfo=SH),
    dt.datetime(2026, 10, 10, 8, 0, tzinfo=SH),
    dt.datetime(2026, 11, 21, 12, 0, tzinfo=SH),
    dt.datetime(2026, 12, 31, 17, 0, tzinfo=SH),
]
ROLES = ("agent", "agent2", "supervisor", "manager", "inspector", "staff", "other_staff")


def act(name: str, actor, ticket: Ticket, *, version: int, now: dt.datetime, filled: bool, cast):
    text = "内容" if filled else " "
    common = {"actor": actor, "ticket_id": ticket.pk, "expected_version": version, "now": now}
    if name == "confirm":
        return loop.confirm_restatement(**common, restatement=text)
    if name == "invalid":
        return loop.judge_complaint_invalid(**common, reason=text, reply=text)
    if name == "valid":
        return loop.judge_complaint_valid(**common)
    if name == "cause":
        return loop.record_cause(**common, cause=text)
    if name == "plan":
        return loop.propose_resolution_plan(**common, plan=text)
    if name == "approve":
        return loop.approve_resolution_plan(**common)
    if name == "send_back":
        return loop.return_resolution_plan(**common, reason=text)
    if name == "carry_out":
        return loop.carry_out_resolution_plan(**common)
    if name == "visit":
        return loop.record_return_visit(
            **common, outcome=text, satisfaction=Satisfaction.NEUTRAL if filled else ""
        )
    if name == "answer":
        return loop.answer_ticket(**common, answer=text)
    if name == "close":
        return loop.close_ticket(**common, summary=text, cost="50" if filled else None)
    if name == "reopen":
        return loop.reopen_ticket(**common, reason=text)
    if name == "assign":
        del common["now"]
        return assign_ticket(**common, assignee_id=(cast.agent2 if filled else cast.agent).pk)
    raise AssertionError(name)


# The main path's next move by the right person, so that sequences get deep into the loop.
NEXT = {
    TicketState.RECEIVED: ("confirm", "agent"),
    TicketState.CONFIRMED: ("valid", "agent"),
    TicketState.ROUTED: ("cause", "staff"),
    TicketState.INVESTIGATED: ("plan", "staff"),
    TicketState.PLAN_PROPOSED: ("approve", "supervisor"),
    TicketState.PLAN_APPROVED: ("carry_out", "staff"),
    TicketState.CARRIED_OUT: ("visit", "agent"),
    TicketState.RETURN_VISITED: ("close", "agent"),
    TicketState.ANSWERED: ("close", "agent"),
    TicketState.CLOSED: ("reopen", "agent2"),
}
ACTIONS = (
    "advance",
    "advance",
    "advance",
    "advance",
    "advance",
    "advance",
    "confirm",
    "invalid",
    "valid",
    "cause",
    "plan",
    "approve",
    "send_back",
    "carry_out",
    "visit",
    "answer",
    "close",
    "reopen",
    "assign",
)


def in_working_time(calendar: BusinessCalendar, moment: dt.datetime) -> bool:
    """Inside a working window; its closing instant (18:00) counts, as add_working_time may end there."""
    return calendar.is_working_time(moment) or calendar.is_working_time(
        moment - dt.timedelta(microseconds=1)
    )


def check_invariants(ticket: Ticket, calendar: BusinessCalendar) -> None:
    assert ticket.assignee is None or ticket.assignee.has_perm(Perm.SERVE_CUSTOMERS)
    if ticket.state == TicketState.CLOSED:
        assert ticket.closed_at is not None
        if ticket.type == TicketType.COMPLAINT:
            assert ticket.validity in {Validity.VALID, Validity.INVALID}
            if ticket.validity == Validity.VALID:
                assert (
                    ticket.return_visited_at
                    and ticket.return_visit_outcome.strip()
                    and ticket.satisfaction
                )
            else:
                assert ticket.invalid_reason.strip() and ticket.reply_to_customer.strip()
        assert ticket.stage_due_at is None
    else:
        assert ticket.closed_at is None
        assert ticket.stage_due_at is not None and ticket.stage_started_at is not None
        assert ticket.stage_due_at > ticket.stage_started_at
    for due in (ticket.first_response_due_at, ticket.stage_due_at, ticket.resolve_due_at):
        if due is not None:
            assert in_working_time(calendar, due), due
            assert due > ticket.created_at


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ticket_type=st.sampled_from(
        [TicketType.COMPLAINT, TicketType.COMPLAINT, TicketType.CONSULTATION, TicketType.SUGGESTION]
    ),
    start=st.sampled_from(STARTS),
    steps=st.lists(
        st.tuples(
            st.sampled_from(ACTIONS),
            st.sampled_from(ROLES),
            st.integers(0, 3 * 24 * 60),
            st.booleans(),
            st.integers(0, 9),
        ),
        max_size=30,
    ),
)
def test_random_sequences_keep_the_invariants(cast, category, customer, ticket_type, start, steps):
    calendar = BusinessCalendar()
    ticket = create_ticket(
        actor=cast.agent,
        type=ticket_type,
        subject="随机",
        content="内容",
        customer_id=customer.pk,
        category_id=category.pk,
        now=start,
    )
    check_invariants(ticket, calendar)
    now = start
    for name, role, minutes, filled, stale in steps:
        now += dt.timedelta(minutes=minutes)
        before = Ticket.objects.get(pk=ticket.pk)
        version = before.version - 1 if stale == 0 else before.version  # now and then a stale page
        if name == "advance":
            name, role = NEXT[before.state]
            if before.type != TicketType.COMPLAINT and name == "confirm":
                name = "answer"
            if name in {"valid", "approve"} and not filled:  # the other branch, with its input
                name, filled = {"valid": "invalid", "approve": "send_back"}[name], True
            filled = filled or stale > 1
        try:
            act(
                name,
                getattr(cast, role),
                before,
                version=version,
                now=now,
                filled=filled,
                cast=cast,
            )
        except DomainError:
            after = Ticket.objects.get(pk=ticket.pk)
            assert (after.state, after.version, after.assignee_id) == (
                before.state,
                before.version,
                before.assignee_id,
            )
        else:
            after = Ticket.objects.get(pk=ticket.pk)
            assert after.version in {
                before.version,
                before.version + 1,
            }  # the same assignee again changes nothing
        check_invariants(after, calendar)
    event(f"{ticket_type} ended {Ticket.objects.get(pk=ticket.pk).state} after {len(steps)} steps")
