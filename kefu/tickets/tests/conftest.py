"""Fixtures of the ticket tests: the cast (agent, supervisor, manager, department staff), a category
routed to the technical department, a customer, and helpers that bring a complaint to any state."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from kefu.accounts.roles import Role
from kefu.core.events import EVENT_TYPES, Delivery, subscribe, unsubscribe
from kefu.customers.models import Customer
from kefu.tickets.models import RoutingRule, Satisfaction, Ticket, TicketCategory
from kefu.tickets.services import loop
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketState, TicketType
from tests.factories import DepartmentFactory

SH = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A moment in Shanghai time, as the tests write it."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=SH)


NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SH)  # a Monday, inside working hours


@pytest.fixture(autouse=True)
def in_english():
    """Refusals are asserted by their English msgid, whatever the translations say."""
    with translation.override("en"):
        yield


@pytest.fixture
def tech(db):
    return DepartmentFactory(code="tech", name="技术部")


@pytest.fixture
def warehouse(db):
    return DepartmentFactory(code="warehouse", name="仓库")


@pytest.fixture
def cast(make_user, tech, warehouse):
    """One user per role; department staff of tech (responsible) and of the warehouse (not)."""

    class Cast:
        agent = make_user(Role.AGENT)
        agent2 = make_user(Role.AGENT)
        supervisor = make_user(Role.SUPERVISOR)
        manager = make_user(Role.MANAGER)
        inspector = make_user(Role.INSPECTOR)
        staff = make_user(Role.DEPARTMENT_STAFF, department=tech)
        other_staff = make_user(Role.DEPARTMENT_STAFF, department=warehouse)

    return Cast


@pytest.fixture
def category(tech):
    root = TicketCategory.objects.create(name="产品质量")
    child = TicketCategory.objects.create(name="屏幕故障", parent=root)
    RoutingRule.objects.create(category=root, department=tech)
    return child


@pytest.fixture
def customer(db):
    return Customer.objects.create(name="张伟")


@pytest.fixture
def events():
    """Every ticket event delivered, in order (wrap the action in django_capture_on_commit_callbacks)."""
    received = []

    def listen(event):
        received.append(event)

    types = [t for name, t in EVENT_TYPES.items() if name.startswith("tickets.")]
    for t in types:
        subscribe(t, listen, mode=Delivery.INLINE)
    yield received
    for t in types:
        unsubscribe(t, listen)


# The path through the loop: (state reached, who acts, how).
def _steps(cast, now):
    return [
        (
            TicketState.CONFIRMED,
            lambda t: loop.confirm_restatement(
                actor=cast.agent,
                ticket_id=t.pk,
                expected_version=t.version,
                restatement="客户反映屏幕有亮点，已复述确认",
                now=now,
            ),
        ),
        (
            TicketState.ROUTED,
            lambda t: loop.judge_complaint_valid(
                actor=cast.agent, ticket_id=t.pk, expected_version=t.version, now=now
            ),
        ),
        (
            TicketState.INVESTIGATED,
            lambda t: loop.record_cause(
                actor=cast.staff,
                ticket_id=t.pk,
                expected_version=t.version,
                cause="出厂质检漏检",
                now=now,
            ),
        ),
        (
            TicketState.PLAN_PROPOSED,
            lambda t: loop.propose_resolution_plan(
                actor=cast.staff,
                ticket_id=t.pk,
                expected_version=t.version,
                plan="免费更换屏幕并补偿优惠券",
                now=now,
            ),
        ),
        (
            TicketState.PLAN_APPROVED,
            lambda t: loop.approve_resolution_plan(
                actor=cast.supervisor, ticket_id=t.pk, expected_version=t.version, now=now
            ),
        ),
        (
            TicketState.CARRIED_OUT,
            lambda t: loop.carry_out_resolution_plan(
                actor=cast.staff, ticket_id=t.pk, expected_version=t.version, note="已换屏", now=now
            ),
        ),
        (
            TicketState.RETURN_VISITED,
            lambda t: loop.record_return_visit(
                actor=cast.agent,
                ticket_id=t.pk,
                expected_version=t.version,
                outcome="客户确认已解决",
                satisfaction=Satisfaction.SATISFIED,
                now=now,
            ),
        ),
        (
            TicketState.CLOSED,
            lambda t: loop.close_ticket(
                actor=cast.agent,
                ticket_id=t.pk,
                expected_version=t.version,
                summary="漏检导致，已要求质检加强抽检",
                cost="120.00",
                now=now,
            ),
        ),
    ]


@pytest.fixture
def new_complaint(cast, category, customer):
    def make(**kwargs) -> Ticket:
        kwargs.setdefault("now", NOW)
        return create_ticket(
            actor=cast.agent,
            type=TicketType.COMPLAINT,
            subject="屏幕有亮点",
            content="新买的显示器屏幕有三个亮点",
            customer_id=customer.pk,
            category_id=category.pk,
            **kwargs,
        )

    return make


@pytest.fixture
def complaint_in(cast, new_complaint):
    """complaint_in(TicketState.PLAN_PROPOSED) → a fresh complaint moved there along the loop."""

    def make(state: str, now: dt.datetime = NOW) -> Ticket:
        ticket = new_complaint(now=now)
        for reached, step in _steps(cast, now):
            if ticket.state == state:
                break
            ticket = step(ticket)
            assert ticket.state == reached
        assert ticket.state == state, f"{state} is not on the main path"
        return ticket

    return make
