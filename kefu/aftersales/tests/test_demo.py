import pytest

from kefu.accounts.roles import Role
from kefu.aftersales import demo as aftersales_demo
from kefu.aftersales.models import (
    AfterSalesCase,
    CaseState,
    CourierClaim,
    InvoiceRequest,
    MoneyLine,
    Review,
)
from kefu.customers.services.profiles import ContactPoints, create_customer
from kefu.orders import demo as orders_demo
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_case_in_every_step_and_reviews(make_user):
    supervisor = make_user(Role.SUPERVISOR)
    make_user(Role.AGENT, username="agent1")
    make_user(Role.AGENT, username="agent2")
    make_user(
        Role.DEPARTMENT_STAFF, username="warehouse1", department=DepartmentFactory(code="warehouse")
    )
    make_user(
        Role.DEPARTMENT_STAFF, username="finance1", department=DepartmentFactory(code="finance")
    )
    for i in range(40):
        create_customer(
            actor=supervisor,
            name=f"顾客{i}",
            contacts=ContactPoints({"mobile": [f"1390000{i:04d}"]}),
        )
    orders_demo.build(password="x")
    aftersales_demo.build(password="x")
    assert set(AfterSalesCase.objects.values_list("state", flat=True)) == set(CaseState.values)
    assert AfterSalesCase.objects.filter(arbitration=True).count() == 1
    assert Review.objects.count() == 2
    assert set(MoneyLine.objects.values_list("state", flat=True)) == {"requested", "paid"}
    assert CourierClaim.objects.count() >= 1 and InvoiceRequest.objects.count() == 2
    aftersales_demo.build(password="x")
    assert AfterSalesCase.objects.count() == 7
