"""Work orders in the reports (issue 16 item 3's measures): the count by technician and the share of
arrivals on time, on /reports/ pages as a manager reads them."""

import datetime as dt

import pytest
from django.test import Client

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.dispatch import services
from kefu.dispatch.tests.conftest import MONDAY
from kefu.reports import registry, selectors

pytestmark = pytest.mark.django_db


def arrive(order, technician, *, at):
    for i, step in enumerate(("accept", "set_off", "arrive")):
        order = services.report_progress(
            actor=technician, work_order_id=order.pk, step=step, now=at + dt.timedelta(minutes=i)
        )
    return order


def test_work_orders_and_technicians_on_time(cast, make_order, templates, make_user):
    on_time = arrive(make_order(), cast.technician, at=MONDAY.replace(hour=10))
    late = arrive(make_order(), cast.technician, at=MONDAY.replace(hour=13))
    make_order()
    filters = selectors.parse_filters({"since": "2026-11-23", "until": "2026-11-23"})
    assert selectors.total(registry.get_figure("work_orders"), filters) == 3
    assert late.arrived_at > late.arrival_due_at >= on_time.arrived_at
    on_time_share = selectors.total(registry.get_figure("dispatch_on_time"), filters)
    assert float(on_time_share) == 50.0
    by, rows = selectors.breakdown(registry.get_figure("work_orders"), filters)
    assert by == "technician" and [r["value"] for r in rows] == [3]
    manager = sign_in(Client(), make_user(Role.MANAGER))
    page = manager.get("/reports/dispatch_on_time/?since=2026-11-23&until=2026-11-23")
    assert page.status_code == 200 and "技术员准时率" in page.content.decode()
