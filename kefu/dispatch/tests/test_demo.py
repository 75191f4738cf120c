"""The demo's work orders (issue 16.6): today's board and finished orders, some visited, some
waiting for their return visit, given to the demo's technicians (tech1 and more)."""

import pytest

from kefu.accounts import demo as accounts_demo
from kefu.customers.models import Customer
from kefu.dispatch import demo
from kefu.dispatch.models import WorkOrder, WorkOrderState

pytestmark = pytest.mark.django_db


def test_the_demo_has_work_orders_for_the_technicians():
    accounts_demo.build(password="Demo-2026-pass")
    for i in range(10):
        Customer.objects.create(name=f"客户{i}", mobile=f"+86138001380{i:02d}")
    demo.build(password="unused")
    orders = WorkOrder.objects.all()
    assert orders.count() == 16  # 8 finished on past working days, 8 on today's board
    technicians = set(orders.values_list("technician__username", flat=True))
    assert len(technicians) >= 2 and all(name.startswith("tech") for name in technicians)
    states = set(orders.values_list("state", flat=True))
    assert {WorkOrderState.VISITED, WorkOrderState.DONE} <= states  # visited and still to visit
    assert orders.filter(state=WorkOrderState.DONE, visit_due_at__isnull=False).exists()
    assert all(o.number.startswith("PG") for o in orders)
    demo.build(password="unused")  # a second build changes nothing
    assert WorkOrder.objects.count() == 16
