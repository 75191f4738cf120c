"""派工回访: a finished work order gets its return visit in kefu/visits (through dispatch's event),
due when dispatch says (three working days), once; recording the visit closes the order's step."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.dispatch import services as dispatch
from kefu.dispatch.models import WorkOrder, WorkOrderState
from kefu.dispatch.tests.conftest import *  # noqa: F403  the work-order fixtures (cast, make_order, …)
from kefu.dispatch.tests.conftest import MONDAY, SH
from kefu.visits import services as visit_services
from kefu.visits.models import ReturnVisit, VisitSource

pytestmark = pytest.mark.django_db


def _finish(order, technician):
    for i, step in enumerate(("accept", "set_off", "arrive", "complete")):
        order = dispatch.report_progress(
            actor=technician,
            work_order_id=order.pk,
            step=step,
            note="更换电容" if step == "complete" else "",
            confirmed_by="黄伟" if step == "complete" else "",
            now=MONDAY + dt.timedelta(hours=2, minutes=10 * i),
        )
    return order


def test_a_finished_work_order_gets_its_visit_once(
    cast, make_order, customer, django_capture_on_commit_callbacks
):
    customer.owner = cast.agent
    customer.save()
    order = make_order()
    with django_capture_on_commit_callbacks(execute=True):
        order = _finish(order, cast.technician)
    visit = ReturnVisit.objects.get()
    assert (visit.source, visit.work_order, visit.customer, visit.assignee) == (
        VisitSource.DISPATCH,
        order,
        customer,
        cast.agent,
    )
    assert visit.due_at == dt.datetime(2026, 11, 26, 10, 30, tzinfo=SH)  # as dispatch says
    assert visit_services.create_dispatch_visit(work_order_id=order.pk) is None  # once
    assert ReturnVisit.objects.count() == 1


def test_an_order_not_done_gets_no_visit(cast, make_order, django_capture_on_commit_callbacks):
    order = make_order()
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.report_progress(
            actor=cast.technician, work_order_id=order.pk, step="accept", now=MONDAY
        )
    assert not ReturnVisit.objects.exists()
    assert visit_services.create_dispatch_visit(work_order_id=order.pk) is None


def test_recording_the_visit_closes_the_orders_visit_step(
    cast, make_order, customer, django_capture_on_commit_callbacks
):
    customer.owner = cast.agent
    customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        order = _finish(make_order(), cast.technician)
    visit = ReturnVisit.objects.get()
    visit_services.record_visit(
        actor=cast.agent,
        visit_id=visit.pk,
        reached=True,
        satisfaction="average",
        service_opinion="师傅来晚了",
        now=MONDAY + dt.timedelta(days=1),
    )
    order = WorkOrder.objects.get(pk=order.pk)
    assert order.state == WorkOrderState.VISITED
    assert (order.satisfaction, order.visit_outcome) == (3, "Average 师傅来晚了")
