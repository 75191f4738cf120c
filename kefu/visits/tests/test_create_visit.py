"""One return visit task 回访任务 added by a supervisor or a rule (services.create_visit): to the
customer's owner (or the least busy agent), from now to three working days later, once while the
customer has an open visit; refused for a role that does not assign work."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kefu.accounts.roles import Role
from kefu.core.errors import DomainError, PermissionRefused
from kefu.customers.models import Customer
from kefu.visits.models import ReturnVisit, VisitSource, VisitState
from kefu.visits.services import create_visit

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SH)


def test_a_visit_goes_to_the_owner_due_in_three_working_days_and_only_once(make_user):
    supervisor, owner = make_user(Role.SUPERVISOR), make_user(Role.AGENT)
    customer = Customer.objects.create(name="张三", owner=owner)

    visit, created = create_visit(actor=supervisor, customer_id=customer.pk, now=MONDAY_10)
    again, created_again = create_visit(actor=supervisor, customer_id=customer.pk, now=MONDAY_10)

    assert created and not created_again and again == visit
    # 8 h on Monday (10:00–18:00), 9 h Tuesday, 9 h Wednesday, 1 h Thursday: 3 × 9 working hours.
    assert (visit.assignee, visit.source, visit.state, visit.scheduled_at, visit.due_at) == (
        owner,
        VisitSource.MANUAL,
        VisitState.OPEN,
        MONDAY_10,
        dt.datetime(2026, 11, 26, 10, 0, tzinfo=SH),
    )
    assert ReturnVisit.objects.count() == 1


def test_without_an_owner_the_least_busy_agent_visits(make_user):
    supervisor, busy, free = (
        make_user(Role.SUPERVISOR),
        make_user(Role.AGENT),
        make_user(Role.AGENT),
    )
    create_visit(
        actor=supervisor,
        customer_id=Customer.objects.create(name="甲", owner=busy).pk,
        now=MONDAY_10,
    )

    visit, _ = create_visit(
        actor=supervisor, customer_id=Customer.objects.create(name="乙").pk, now=MONDAY_10
    )

    assert visit.assignee == free


def test_an_agent_may_not_add_visits_and_a_named_visitor_must_be_an_active_agent(make_user):
    agent, supervisor = make_user(Role.AGENT), make_user(Role.SUPERVISOR)
    customer = Customer.objects.create(name="张三")

    with pytest.raises(PermissionRefused):
        create_visit(actor=agent, customer_id=customer.pk)
    with pytest.raises(DomainError):
        create_visit(actor=supervisor, customer_id=customer.pk, assignee_id=supervisor.pk)
    with pytest.raises(DomainError):
        create_visit(actor=supervisor, customer_id=customer.pk + 100)

    assert not ReturnVisit.objects.exists()
