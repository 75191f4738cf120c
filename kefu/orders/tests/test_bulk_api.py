"""POST /api/v1/orders/bulk (issue 15's posting aim): up to 100 orders a call, each by the rules of
POST /orders — idempotent by platform + number, forward only —, one transaction, a result per item."""

import pytest
from django.test import Client

from kefu.accounts.services import create_api_token
from kefu.api.tests.test_rate_limits import new_address
from kefu.core.events import Delivery, subscribe, unsubscribe
from kefu.core.models import TimelineEntry
from kefu.orders.events import OrderRecorded
from kefu.orders.models import Order, OrderItem
from kefu.orders.tests.conftest import api, order_body

pytestmark = pytest.mark.django_db


def bulk(client, items):
    return api(client, "post", "/orders/bulk", {"items": items})


@pytest.fixture
def recorded():
    seen: list[OrderRecorded] = []

    def listen(event: OrderRecorded) -> None:
        seen.append(event)

    subscribe(OrderRecorded, listen, mode=Delivery.INLINE)
    yield seen
    unsubscribe(OrderRecorded, listen)


def test_a_bulk_call_records_each_order_idempotently(
    cast, customer, signed_in, recorded, django_capture_on_commit_callbacks
):
    client = signed_in(cast.supervisor)
    assert api(client, "post", "/orders", order_body(number="OLD1")).status_code == 201
    items = [
        order_body(number="N1"),
        order_body(number="OLD1"),  # already there, unchanged
        order_body(number="N2", buyer_id="", receiver_mobile="13900139000"),
        order_body(number="N1", state="shipped", logistics_company="顺丰"),  # again in the call
    ]
    with django_capture_on_commit_callbacks(execute=True):
        answer = bulk(client, items)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert [r["status"] for r in body["results"]] == [201, 200, 201, 200]
    assert (body["created"], body["updated_or_unchanged"]) == (2, 2)
    n1 = Order.objects.get(number="N1")
    assert body["results"][0]["id"] == body["results"][3]["id"] == n1.pk
    assert (n1.state, n1.logistics_company, n1.customer_id) == ("shipped", "顺丰", customer.pk)
    assert Order.objects.get(number="N2").customer_id is None  # no customer has that mobile
    assert OrderItem.objects.filter(order=n1).count() == 1
    assert list(
        TimelineEntry.objects.filter(subject_id=str(n1.pk), kind__startswith="orders.")
        .order_by("id")
        .values_list("kind", flat=True)
    ) == ["orders.created", "orders.state"]
    assert [(e.order_id, e.created) for e in recorded if e.order_id == n1.pk] == [
        (n1.pk, True),
        (n1.pk, False),
    ]
    # The same call again: nothing new, nothing changed; N1 as "paid" after "shipped" goes back
    # (refused, as the one-by-one call refuses it), N1 as "shipped" is unchanged.
    count, entries = Order.objects.count(), TimelineEntry.objects.count()
    again = bulk(client, items).json()
    assert [r["status"] for r in again["results"]] == [409, 200, 200, 200]
    assert Order.objects.get(number="N1").state == "shipped"
    assert (Order.objects.count(), TimelineEntry.objects.count()) == (count, entries)


def test_each_order_is_refused_alone_and_changes_nothing(cast, signed_in):
    client = signed_in(cast.supervisor)
    assert (
        api(client, "post", "/orders", order_body(number="S1", state="shipped")).status_code == 201
    )
    answer = bulk(
        client,
        [
            order_body(number="G1"),
            order_body(number="B1", amount="12.345"),
            order_body(number="B2", platform="ebay"),
            order_body(number="S1", state="paid"),  # back from shipped: refused
            {"platform": "taobao"},
            order_body(number="B3", paid="300.00"),
            order_body(number="G2"),
        ],
    )
    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    assert [r["status"] for r in results] == [201, 400, 400, 409, 422, 400, 201]
    assert "S1" in results[3]["detail"]
    assert results[5]["detail"] == "实付金额大于订单金额。"
    assert set(Order.objects.values_list("number", flat=True)) == {"S1", "G1", "G2"}
    assert Order.objects.get(number="S1").state == "shipped"


def test_only_order_intake_may_post_and_at_most_100(cast, signed_in):
    assert bulk(signed_in(cast.agent), [order_body()]).status_code == 403
    client = signed_in(cast.supervisor)
    assert bulk(client, [order_body(number=f"M{i}") for i in range(101)]).status_code == 422
    assert not Order.objects.exists()
    answer = bulk(client, [order_body(number=f"M{i}") for i in range(100)])
    assert answer.json()["created"] == 100 and Order.objects.count() == 100


def test_the_rate_limit_counts_the_orders_of_a_bulk_call(cast, settings):
    settings.KEFU_API_RATE_PER_TOKEN = ""
    settings.KEFU_API_RATE_PER_ADDRESS = "120/day"
    _token, raw = create_api_token(user=cast.supervisor, name="shop")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR=new_address())
    assert bulk(client, [order_body(number=f"R{i}") for i in range(100)]).status_code == 200
    refused = bulk(client, [order_body(number=f"Q{i}") for i in range(30)])
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert not Order.objects.filter(number__startswith="Q").exists()


def test_the_bulk_endpoint_is_in_the_openapi_schema(cast, signed_in):
    paths = signed_in(cast.agent).get("/api/v1/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/orders/bulk"]
