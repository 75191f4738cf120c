"""The import's bulk path (services.orders.record_orders): the same result as record_order order by
order — customers matched by 旺旺 id then mobile, items, one timeline entry each for a matched
customer, stored orders updated forward only and a refusal leaving nothing written."""

import pytest
from django.db import transaction

from kefu.core.errors import Conflict
from kefu.core.models import TimelineEntry
from kefu.customers.services.profiles import ContactPoints, create_customer
from kefu.orders.models import Order, OrderItem
from kefu.orders.services.orders import clean_order, record_order, record_orders
from kefu.orders.tests.conftest import order_body

pytestmark = pytest.mark.django_db


def test_new_orders_in_bulk_are_matched_and_on_the_timeline(cast):
    by_handle = create_customer(
        actor=cast.supervisor, name="小王", contacts=ContactPoints({"wangwang": ["灯饰控小王"]})
    )
    by_mobile = create_customer(
        actor=cast.supervisor, name="王芳", contacts=ContactPoints({"mobile": ["13900139000"]})
    )
    stored, _ = record_order(
        actor=cast.supervisor,
        data=clean_order(order_body(number="A-1", buyer_id="", receiver_mobile="")),
    )
    record_orders(
        actor=cast.supervisor,
        orders=[
            clean_order(order_body(number="A-1", state="shipped", buyer_id="", receiver_mobile="")),
            clean_order(order_body(number="A-2", receiver_mobile="")),
            clean_order(order_body(number="A-3", buyer_id="", receiver_mobile="13900139000")),
            clean_order(order_body(number="A-4", buyer_id="无名", receiver_mobile="")),
        ],
    )
    orders = {o.number: o for o in Order.objects.all()}
    assert orders["A-1"].state == "shipped" and orders["A-1"].pk == stored.pk
    assert orders["A-2"].customer_id == by_handle.pk
    assert orders["A-3"].customer_id == by_mobile.pk
    assert orders["A-4"].customer_id is None
    assert OrderItem.objects.filter(order=orders["A-3"]).count() == 1
    created = TimelineEntry.objects.filter(kind="orders.created").order_by("customer_id")
    assert [(e.customer_id, e.data["order_id"]) for e in created] == [
        (by_handle.pk, orders["A-2"].pk),
        (by_mobile.pk, orders["A-3"].pk),
    ]


def test_a_refused_stored_order_leaves_nothing_written(cast):
    record_order(actor=cast.supervisor, data=clean_order(order_body(number="B-1", state="shipped")))
    with pytest.raises(Conflict), transaction.atomic():
        record_orders(
            actor=cast.supervisor,
            orders=[
                clean_order(order_body(number="B-2")),
                clean_order(order_body(number="B-1", state="paid")),  # back from shipped
            ],
        )
    assert list(Order.objects.values_list("number", "state")) == [("B-1", "shipped")]
