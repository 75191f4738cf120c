"""Pages and API of the orders app: who gets what (200/403/404), masking, hostile strings."""

import pytest
from django.test import Client

from conftest import HOSTILE_STRINGS
from kefu.customers.models import Customer
from kefu.orders.models import Order, OrderRemark
from kefu.orders.tests.conftest import api, order_body

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "expected"),
    [("supervisor", 200), ("agent", 200), ("inspector", 403), ("staff", 403)],
)
def test_the_order_list_and_page_by_role(cast, make_order, signed_in, role, expected):
    order = make_order()
    client = signed_in(getattr(cast, role))
    assert client.get("/orders/").status_code == expected
    assert client.get(f"/orders/{order.pk}/").status_code == expected
    assert client.get("/orders/?pending=on").status_code == expected


def test_a_customer_the_viewer_may_not_open_is_named_not_linked(
    cast, customer, make_order, signed_in
):
    """The order list showed every order's customer as a link, which answered 404 for an agent
    who does not serve that customer."""
    order = make_order()
    assert order.customer_id == customer.pk
    link = f'href="/customers/{customer.pk}/"'
    for url in ("/orders/", f"/orders/{order.pk}/"):
        page = signed_in(cast.agent).get(url).content.decode()
        assert "王芳" in page and link not in page
        assert link in signed_in(cast.supervisor).get(url).content.decode()
    Customer.objects.filter(pk=customer.pk).update(owner=cast.agent)
    for url in ("/orders/", f"/orders/{order.pk}/"):
        assert link in signed_in(cast.agent).get(url).content.decode()


def test_the_import_page_is_for_supervisors(cast, signed_in):
    assert signed_in(cast.supervisor).get("/orders/import/").status_code == 200
    assert signed_in(cast.agent).get("/orders/import/").status_code == 403


def test_a_missing_order_is_404(cast, signed_in):
    assert signed_in(cast.agent).get("/orders/999999/").status_code == 404


def test_the_order_page_masks_the_mobile_and_shows_chinese(cast, make_order, signed_in):
    order = make_order()
    page = signed_in(cast.agent).get(f"/orders/{order.pk}/").content.decode()
    assert "138****8000" in page and "13800138000" not in page
    assert "北欧吊灯" in page and "¥256.00" in page and "已付款" in page


def test_the_customer_page_and_chat_pane_show_orders(cast, customer, make_order, signed_in):
    order = make_order()
    client = signed_in(cast.supervisor)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="customer-orders"' in page and order.number in page
    pane = client.get(f"/orders/customer/{customer.pk}/pane/").content.decode()
    assert order.number in pane and "颜色分类:暖白" in pane
    # an agent who never served this customer cannot read their orders through the pane
    assert signed_in(cast.agent).get(f"/orders/customer/{customer.pk}/pane/").status_code == 404
    assert signed_in(cast.inspector).get(f"/orders/customer/{customer.pk}/pane/").status_code == 403


@pytest.mark.parametrize("text", HOSTILE_STRINGS)
def test_hostile_remarks_are_escaped(cast, make_order, signed_in, text):
    order = make_order()
    client = signed_in(cast.agent)
    response = client.post(f"/orders/{order.pk}/remarks/", {"text": text})
    assert response.status_code == 302
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert OrderRemark.objects.filter(order=order).count() == 1


def test_a_nul_in_a_remark_is_dropped(cast, make_order, signed_in):
    order = make_order()
    signed_in(cast.agent).post(f"/orders/{order.pk}/remarks/", {"text": "客户要求\x00开发票"})
    assert "\x00" not in OrderRemark.objects.get().text


def test_the_change_flow_through_the_pages(cast, make_order, signed_in):
    order = make_order(state="printed")
    client = signed_in(cast.agent)
    client.post(
        f"/orders/{order.pk}/changes/", {"kind": "address", "new_address": "桂林市七星区1号"}
    )
    change = order.change_requests.get()
    for step in ["retrieve_slips", "apply_on_slips", "remark", "confirm_customer"]:
        assert (
            client.post(f"/orders/{order.pk}/changes/{change.pk}/step/", {"step": step}).status_code
            == 302
        )
    order.refresh_from_db()
    assert order.address == "桂林市七星区1号" and order.remarks_pending
    desk = client.get("/orders/?pending=on").content.decode()
    assert order.number in desk
    client.post(f"/orders/{order.pk}/remarks/confirm/", {"then": "desk"})
    assert order.number not in client.get("/orders/?pending=on").content.decode()


def test_a_shipped_order_offers_no_change(cast, make_order, signed_in):
    order = make_order(state="shipped")
    client = signed_in(cast.agent)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'data-testid="change-refused"' in page and 'data-testid="change-form"' not in page
    response = client.post(
        f"/orders/{order.pk}/changes/", {"kind": "address", "new_address": "x"}, follow=True
    )
    assert "售后" in response.content.decode()
    assert not order.change_requests.exists()


def test_a_change_by_an_inspector_is_403(cast, make_order, signed_in):
    order = make_order()
    response = signed_in(cast.inspector).post(
        f"/orders/{order.pk}/changes/", {"kind": "address", "new_address": "x"}
    )
    assert response.status_code == 403


# --- API ---------------------------------------------------------------------------------------


def test_the_api_posts_an_order_idempotently(cast, customer, signed_in):
    client = signed_in(cast.supervisor)
    first = api(client, "post", "/orders", order_body())
    assert first.status_code == 201, first.content
    assert first.json()["customer_id"] == customer.pk and first.json()["created"] is True
    second = api(client, "post", "/orders", order_body())
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    assert Order.objects.count() == 1


def test_the_api_refuses_bad_orders_and_changes_nothing(cast, signed_in):
    client = signed_in(cast.supervisor)
    assert api(client, "post", "/orders", order_body(amount="12.345")).status_code == 400
    assert api(client, "post", "/orders", order_body(platform="ebay")).status_code == 400
    assert api(client, "post", "/orders", order_body(number="x\x00y" * 40)).status_code in (
        400,
        422,
    )
    assert not Order.objects.exists()
    assert api(signed_in(cast.agent), "post", "/orders", order_body()).status_code == 403
    assert not Order.objects.exists()


def test_the_api_list_pages_and_refuses_parameters_out_of_range(cast, make_order, signed_in):
    for number in ("2026120500001", "2026120500002", "2026120500003"):
        make_order(number=number)
    client = signed_in(cast.supervisor)
    first = api(client, "get", "/orders?limit=2")
    assert first.status_code == 200
    assert [o["number"] for o in first.json()["items"]] == ["2026120500003", "2026120500002"]
    # A query too long, a page size outside 1..200, a customer id that cannot exist: a 422 that
    # names the parameter.
    for query, name in [
        ("q=" + "x" * 121, "q"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("customer_id=0", "customer_id"),
        (f"customer_id={2**31}", "customer_id"),
    ]:
        refused = api(client, "get", f"/orders?{query}")
        assert refused.status_code == 422, query
        assert name in refused.content.decode(), query


def test_the_api_walks_a_change_and_masks(cast, make_order, signed_in):
    order = make_order(state="closed")
    agent = signed_in(cast.agent)
    got = api(agent, "get", f"/orders/{order.pk}")
    assert got.status_code == 200 and got.json()["receiver_mobile"] == "138****8000"
    refused = api(
        agent, "post", f"/orders/{order.pk}/changes", {"kind": "address", "new_address": "x"}
    )
    assert refused.status_code == 409
    open_order = make_order(number="A2")
    started = api(agent, "post", f"/orders/{open_order.pk}/changes", {"kind": "cancel"})
    assert started.status_code == 201 and started.json()["next_step"] == "void"
    change_id = started.json()["id"]
    moved = api(
        agent, "post", f"/orders/{open_order.pk}/changes/{change_id}/steps", {"step": "void"}
    )
    assert moved.status_code == 200 and moved.json()["next_step"] == "remark"
    remark = api(agent, "post", f"/orders/{open_order.pk}/remarks", {"text": "客户要求退款"})
    assert remark.status_code == 409  # the order is closed now
    listed = api(agent, "get", "/orders?state=closed")
    assert {o["number"] for o in listed.json()["items"]} == {order.number, "A2"}
    assert api(signed_in(cast.inspector), "get", f"/orders/{order.pk}").status_code == 404


def test_the_orders_api_is_in_the_schema(cast, signed_in):
    schema = signed_in(cast.agent).get("/api/v1/openapi.json").json()
    assert "/api/v1/orders" in schema["paths"]
    assert "/api/v1/orders/{order_id}/changes/{change_id}/steps" in schema["paths"]


def test_posting_an_order_through_the_api_takes_a_fixed_number_of_statements(cast, customer):
    """Issue 15's posting aim: one new order, its token already verified, makes these statements and
    no more (the order looked up under lock, the customer matched, the order and its items written,
    its timeline entry, the items read back for the answer); a repost changes nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kefu.accounts.services import create_api_token

    _token, raw = create_api_token(user=cast.supervisor, name="shop")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api(client, "post", "/orders", order_body(number="A1")).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        created = api(client, "post", "/orders", order_body(number="A2"))
    assert created.status_code == 201
    assert [i["sku"] for i in created.json()["items"]] == ["LD-101"]
    assert created.json()["customer_id"] == customer.pk
    assert len(queries) == 10, "\n".join(q["sql"][:120] for q in queries.captured_queries)
    again = api(client, "post", "/orders", order_body(number="A2"))
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    assert Order.objects.filter(number="A2").count() == 1
