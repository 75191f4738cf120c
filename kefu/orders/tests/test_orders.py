"""Orders recorded idempotently, matched to customers, refused cleanly (issue 15 items 1, 2, 3)."""

import pytest
from django.db import transaction

from kefu.core.errors import Conflict, DomainError, InvalidState, PermissionRefused
from kefu.core.events import Delivery, subscribe, unsubscribe
from kefu.core.models import TimelineEntry
from kefu.orders import selectors
from kefu.orders.events import (
    OrderChangeFinished,
    OrderChangeRequested,
    OrderRecorded,
    OrderRemarked,
)
from kefu.orders.models import ChangeRequest, ChangeStatus, Order, OrderItem, OrderRemark
from kefu.orders.services import changes, remarks
from kefu.orders.services.money import parse_fen
from kefu.orders.services.orders import clean_order, record_order
from kefu.orders.tests.conftest import order_body

pytestmark = pytest.mark.django_db


class Recorder:
    def __init__(self, name):
        self.name = name
        self.events = []

    def __call__(self, event):
        self.events.append(event)


EVENTS = {
    "orders.recorded": OrderRecorded,
    "orders.remarked": OrderRemarked,
    "orders.change_requested": OrderChangeRequested,
    "orders.change_finished": OrderChangeFinished,
}


@pytest.fixture
def recorded():
    recorders = {name: Recorder(name) for name in EVENTS}
    for name, event_type in EVENTS.items():
        subscribe(event_type, recorders[name], mode=Delivery.INLINE)
    yield recorders
    for name, event_type in EVENTS.items():
        unsubscribe(event_type, recorders[name])


def test_amounts_are_fen_and_three_decimals_are_refused():
    assert parse_fen("1,280.00", label="x") == 128000
    assert parse_fen("￥12.5", label="x") == 1250
    assert parse_fen("0.1", label="x") == 10
    assert parse_fen(19.99, label="x") == 1999
    for bad in ("12.345", "-1", "abc", "NaN", "1e400"):
        with pytest.raises(DomainError):
            parse_fen(bad, label="金额")


def test_an_order_is_matched_by_wangwang_id_and_posted_twice_is_one(
    cast, customer, recorded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first, created = record_order(actor=cast.supervisor, data=clean_order(order_body()))
    assert created and first.customer_id == customer.pk
    assert first.amount_fen == 25600 and first.paid_fen == 25600
    assert [(i.sku, i.quantity, i.price_fen) for i in first.items.all()] == [("LD-101", 2, 12800)]
    with django_capture_on_commit_callbacks(execute=True):
        again, created_again = record_order(actor=cast.supervisor, data=clean_order(order_body()))
    assert again.pk == first.pk and not created_again
    assert Order.objects.count() == 1 and OrderItem.objects.count() == 1
    assert TimelineEntry.objects.filter(customer_id=customer.pk, kind="orders.created").count() == 1
    events = recorded["orders.recorded"].events
    assert len(events) == 1 and events[0].order_id == first.pk and events[0].created
    assert events[0].customer_id == customer.pk


def test_matched_by_mobile_when_no_wangwang(cast, customer):
    order, _ = record_order(
        actor=cast.supervisor,
        data=clean_order(order_body(buyer_id="别人", receiver_mobile="+86 138-0013-8000")),
    )
    assert order.customer_id == customer.pk and order.receiver_mobile == "+8613800138000"


def test_a_later_posting_moves_forward_and_never_back(cast, customer, make_order):
    order = make_order()
    order, _ = record_order(
        actor=cast.supervisor,
        data=clean_order(
            order_body(state="shipped", logistics_company="顺丰", tracking_number="SF1234567890")
        ),
    )
    assert order.state == "shipped" and order.tracking_number == "SF1234567890"
    assert TimelineEntry.objects.filter(kind="orders.state", customer_id=customer.pk).count() == 1
    with pytest.raises(Conflict):
        record_order(actor=cast.supervisor, data=clean_order(order_body(state="paid")))
    order.refresh_from_db()
    assert order.state == "shipped" and order.version == 2


def test_only_supervisors_take_orders_in(cast):
    with pytest.raises(PermissionRefused):
        record_order(actor=cast.agent, data=clean_order(order_body()))
    assert not Order.objects.exists()


def test_bad_order_input_names_the_field():
    with pytest.raises(DomainError, match=r"平台|Platform"):
        clean_order(order_body(platform="ebay"))
    with pytest.raises(DomainError):
        clean_order(order_body(amount="12.345"))
    with pytest.raises(DomainError):
        clean_order(order_body(number=""))
    with pytest.raises(DomainError):
        clean_order(order_body(receiver_mobile="12345"))
    with pytest.raises(DomainError):
        clean_order(order_body(paid="300.00"))


def test_a_remark_is_signed_flags_the_desk_and_is_confirmed(
    cast, customer, make_order, recorded, django_capture_on_commit_callbacks
):
    order = make_order()
    with django_capture_on_commit_callbacks(execute=True):
        remark = remarks.add_remark(actor=cast.agent, order=order, text="客户要求发顺丰")
    assert remark.text.startswith("客户要求发顺丰---") and remark.text.endswith(str(cast.agent))
    assert list(selectors.desk_queue(cast.agent)) == [order]
    assert recorded["orders.remarked"].events[0].remark_id == remark.pk
    assert remarks.confirm_remarks(actor=cast.agent, order=order) == 1
    assert list(selectors.desk_queue(cast.agent)) == []
    remark.refresh_from_db()
    assert remark.confirmed_by == cast.agent
    with pytest.raises(InvalidState):
        remarks.confirm_remarks(actor=cast.agent, order=order)


def test_remarks_refused_for_those_who_do_not_serve(cast, make_order):
    order = make_order()
    with pytest.raises(PermissionRefused):
        remarks.add_remark(actor=cast.inspector, order=order, text="x")
    with pytest.raises(DomainError):
        remarks.add_remark(actor=cast.agent, order=order, text="  \x00 ")
    assert not OrderRemark.objects.exists()


def _walk(change, actor):
    while (step := changes.next_step(change)) is not None:
        change = changes.record_change_step(actor=actor, change=change, step=step)
    return change


def test_an_address_change_before_printing(
    cast, make_order, recorded, django_capture_on_commit_callbacks
):
    order = make_order()
    with django_capture_on_commit_callbacks(execute=True):
        change = changes.request_change(
            actor=cast.agent, order=order, kind="address", new_address="广西桂林市七星区1号"
        )
    assert change.path == "not_printed"
    assert recorded["orders.change_requested"].events[0].path == "not_printed"
    with django_capture_on_commit_callbacks(execute=True):
        change = _walk(change, cast.agent)
    order.refresh_from_db()
    assert change.status == ChangeStatus.DONE
    assert [s["step"] for s in change.steps_done] == [
        "apply",
        "remark",
        "confirm_customer",
        "tell_desk",
    ]
    assert order.address == "广西桂林市七星区1号" and order.remarks_pending
    text = order.remarks.get().text
    assert "广西桂林市七星区1号" in text and "---" in text
    assert recorded["orders.change_finished"].events[0].status == "done"


def test_an_attribute_change_on_a_printed_order_takes_the_slips_back(cast, make_order):
    order = make_order(state="printed")
    item = order.items.get()
    change = changes.request_change(
        actor=cast.agent,
        order=order,
        kind="attributes",
        item_id=item.pk,
        new_attributes="颜色分类:冷白",
    )
    assert change.path == "printed"
    with pytest.raises(Conflict):  # steps in order only
        changes.record_change_step(actor=cast.agent, change=change, step="apply_on_slips")
    change = _walk(change, cast.agent)
    item.refresh_from_db()
    assert item.attributes == "颜色分类:冷白"
    assert change.steps_done[0]["step"] == "retrieve_slips"
    assert "冷白" in order.remarks.get().text


def test_a_packed_order_is_reprinted_and_a_cancellation_voids(cast, make_order):
    packed = make_order(number="P1", state="packed")
    change = _walk(
        changes.request_change(
            actor=cast.agent, order=packed, kind="address", new_address="新地址"
        ),
        cast.agent,
    )
    assert change.steps_done[-1]["step"] == "reprint"
    paid = make_order(number="P2", state="paid")
    _walk(changes.request_change(actor=cast.agent, order=paid, kind="cancel"), cast.agent)
    paid.refresh_from_db()
    assert paid.state == "closed"


def test_changes_refused_where_the_state_forbids(cast, make_order):
    shipped = make_order(number="S1", state="shipped")
    closed = make_order(number="C1", state="closed")
    unpaid = make_order(number="U1", state="unpaid", paid="0")
    with pytest.raises(InvalidState, match=r"售后|after-sales"):
        changes.request_change(actor=cast.agent, order=shipped, kind="address", new_address="x")
    with pytest.raises(InvalidState):
        changes.request_change(actor=cast.agent, order=closed, kind="address", new_address="x")
    with pytest.raises(InvalidState):
        changes.request_change(actor=cast.agent, order=unpaid, kind="cancel")
    assert not ChangeRequest.objects.exists()


def test_the_order_moved_meanwhile_refuses_the_apply_step(cast, customer, make_order):
    order = make_order()
    change = changes.request_change(
        actor=cast.agent, order=order, kind="address", new_address="新地址"
    )
    record_order(actor=cast.supervisor, data=clean_order(order_body(state="shipped")))
    with pytest.raises(InvalidState):
        changes.record_change_step(actor=cast.agent, change=change, step="apply")
    order.refresh_from_db()
    change.refresh_from_db()
    assert order.address == "广西南宁市青秀区民族大道100号" and change.steps_done == []
    change = changes.withdraw_change(actor=cast.agent, change=change, reason="已发货，转售后")
    assert change.status == ChangeStatus.WITHDRAWN


def test_one_open_change_per_order(cast, make_order):
    order = make_order()
    changes.request_change(actor=cast.agent, order=order, kind="address", new_address="a")
    with pytest.raises(Conflict), transaction.atomic():
        changes.request_change(actor=cast.agent, order=order, kind="address", new_address="b")
    assert ChangeRequest.objects.count() == 1


def test_figures_for_reports(cast, make_order):
    import datetime as dt

    from django.utils import timezone

    make_order(number="F1")
    make_order(number="F2", state="shipped", amount="100.00", paid="100.00")
    order = make_order(number="F3")
    remarks.add_remark(actor=cast.agent, order=order, text="客户要求开发票")
    now = timezone.now()
    figures = selectors.order_figures(
        start=now - dt.timedelta(days=1), end=now + dt.timedelta(days=1)
    )
    assert figures["orders"] == 3
    assert figures["amount_fen"] == 25600 * 2 + 10000
    assert figures["by_state"]["paid"] == 2 and figures["by_state"]["shipped"] == 1
    assert figures["remarks"] == 1 and figures["remarks_confirmed"] == 0
    empty = selectors.order_figures(
        start=now + dt.timedelta(days=1), end=now + dt.timedelta(days=2)
    )
    assert empty["orders"] == 0 and empty["amount_fen"] == 0


def test_orders_before_the_archive_are_linked_when_the_customer_comes(
    cast, django_capture_on_commit_callbacks
):
    from kefu.customers.services.merging import merge_customers
    from kefu.customers.services.profiles import ContactPoints, create_customer

    order, _ = record_order(actor=cast.supervisor, data=clean_order(order_body()))
    assert order.customer_id is None
    with django_capture_on_commit_callbacks(execute=True):
        customer = create_customer(
            actor=cast.supervisor, name="王芳", contacts=ContactPoints({"mobile": ["13800138000"]})
        )
    order.refresh_from_db()
    assert order.customer_id == customer.pk
    assert TimelineEntry.objects.filter(customer_id=customer.pk, kind="orders.created").count() == 1
    other = create_customer(
        actor=cast.supervisor,
        name="王芳（旺旺）",
        contacts=ContactPoints({"wangwang": ["另一个号"]}),
    )
    second, _ = record_order(
        actor=cast.supervisor,
        data=clean_order(order_body(number="N2", buyer_id="另一个号", receiver_mobile="")),
    )
    assert second.customer_id == other.pk
    with django_capture_on_commit_callbacks(execute=True):
        merge_customers(actor=cast.supervisor, survivor=customer, duplicate=other)
    second.refresh_from_db()
    assert second.customer_id == customer.pk
    assert [o.number for o in selectors.customer_orders(customer.pk)] == ["N2", order.number]
