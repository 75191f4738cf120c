"""三个必保: a visit within three working days after a complaint closes, created automatically, the
deadline on the business calendar (across a weekend and 调休), starting outside quiet hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kefu.accounts.roles import Role
from kefu.core.events import emit
from kefu.customers.models import Customer
from kefu.tickets.events import TicketTransitioned
from kefu.tickets.models import Ticket
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketState, TicketType
from kefu.visits import services
from kefu.visits.models import ReturnVisit, VisitSource

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args).replace(tzinfo=SH)  # type: ignore[arg-type]


@pytest.fixture
def closed(make_user):
    agent = make_user(Role.AGENT)
    customer = Customer.objects.create(name="赵六")

    def close(moment: dt.datetime, type: str = TicketType.COMPLAINT) -> Ticket:
        ticket = create_ticket(
            actor=agent, type=type, subject="停车费多扣", customer_id=customer.pk
        )
        Ticket.objects.filter(pk=ticket.pk).update(
            state=TicketState.CLOSED, closed_at=moment, assignee=agent
        )
        return ticket

    close.agent = agent
    return close


@pytest.mark.parametrize(
    ("closed_at", "due"),
    [
        (at(2026, 12, 2, 10, 0), at(2026, 12, 7, 10, 0)),  # Wednesday → Monday, over a weekend
        (at(2026, 12, 4, 15, 0), at(2026, 12, 9, 15, 0)),  # Friday afternoon → Wednesday
        (at(2026, 12, 4, 18, 0), at(2026, 12, 9, 18, 0)),  # Friday at closing time
        (at(2026, 12, 5, 11, 0), at(2026, 12, 9, 18, 0)),  # Saturday counts from Monday
        (at(2026, 10, 9, 15, 0), at(2026, 10, 13, 15, 0)),  # the working Saturday 10-10 (调休)
    ],
)
def test_the_deadline_is_three_working_days(closed, closed_at, due):
    ticket = closed(closed_at)
    visit = services.create_complaint_visit(ticket_id=ticket.pk)
    assert visit is not None
    assert visit.due_at.astimezone(SH) == due
    assert (visit.source, visit.ticket_id, visit.assignee_id) == (
        VisitSource.COMPLAINT,
        ticket.pk,
        closed.agent.pk,
    )


def test_a_complaint_closed_at_night_is_visited_in_the_morning(closed):
    ticket = closed(at(2026, 12, 7, 22, 30))
    visit = services.create_complaint_visit(ticket_id=ticket.pk, now=at(2026, 12, 7, 22, 30))
    assert visit.scheduled_at.astimezone(SH) == at(2026, 12, 8, 9, 0)


def test_once_per_complaint_and_never_for_other_tickets(closed):
    ticket = closed(at(2026, 12, 7, 10))
    services.create_complaint_visit(ticket_id=ticket.pk)
    assert services.create_complaint_visit(ticket_id=ticket.pk) is None
    other = closed(at(2026, 12, 7, 10), type=TicketType.CONSULTATION)
    assert services.create_complaint_visit(ticket_id=other.pk) is None
    assert ReturnVisit.objects.count() == 1


def test_closing_a_complaint_makes_its_visit(closed, django_capture_on_commit_callbacks):
    ticket = closed(at(2026, 12, 7, 10))
    with django_capture_on_commit_callbacks(execute=True):
        emit(
            TicketTransitioned(
                ticket_id=ticket.pk,
                transition="close",
                from_state=TicketState.RESOLVED if hasattr(TicketState, "RESOLVED") else "x",
                to_state=TicketState.CLOSED,
                actor_id=closed.agent.pk,
                version=2,
            )
        )
    assert ReturnVisit.objects.get().ticket_id == ticket.pk
