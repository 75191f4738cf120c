import pytest

from kefu.accounts.roles import Role
from kefu.customers.services.profiles import ContactPoints, create_customer
from kefu.orders import demo
from kefu.orders.models import ChangeRequest, FulfilmentState, Order, OrderRemark

pytestmark = pytest.mark.django_db


def test_the_demo_shop_has_orders_in_every_state_and_builds_once(cast, make_user):
    make_user(Role.AGENT, username="agent1")
    for i in range(12):
        create_customer(
            actor=cast.supervisor,
            name=f"顾客{i}",
            contacts=ContactPoints({"mobile": [f"1390000{i:04d}"]}),
        )
    demo.build(password="x")
    assert set(Order.objects.values_list("state", flat=True)) == set(FulfilmentState.values)
    assert not Order.objects.filter(customer__isnull=True).exists()
    assert OrderRemark.objects.count() == 3 and ChangeRequest.objects.count() == 1
    demo.build(password="x")
    assert Order.objects.count() == 12 and OrderRemark.objects.count() == 3
