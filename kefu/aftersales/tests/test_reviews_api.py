"""The reviews 中差评 API (issue 15 item 9): list, detail and moves through the project's real /api/v1,
the no-money rule, access by id, hostile text returned as plain JSON text."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from conftest import HOSTILE_STRINGS, sign_in
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.aftersales.models import Review, ReviewState
from kefu.aftersales.tests.test_cases import Cast
from kefu.orders.services.orders import clean_order, record_order
from kefu.orders.tests.conftest import order_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def order(cast):
    made, _ = record_order(actor=cast.supervisor, data=clean_order(order_body(state="received")))
    return made


def call(client, method, url, body=None):
    kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body else {}
    return getattr(client, method)(f"/api/v1{url}", **kwargs)


def test_a_review_recorded_contacted_and_closed_through_the_api(cast, order):
    agent = sign_in(Client(), cast.agent)
    today = timezone.localdate().isoformat()
    made = call(
        agent,
        "post",
        f"/orders/{order.pk}/reviews",
        {"rating": "negative", "text": "灯不亮，差评", "reviewed_on": today},
    )
    assert made.status_code == 201, made.content
    review = made.json()
    assert (review["state"], review["order_number"], review["moves"]) == (
        "open",
        order.number,
        ["contact"],
    )
    listed = call(agent, "get", "/reviews?state=open").json()
    assert [r["id"] for r in listed["items"]] == [review["id"]]
    # money offered (no confirmation): refused, nothing changed
    refused = call(agent, "post", f"/reviews/{review['id']}/moves/contact", {"note": "返现5元"})
    assert refused.status_code == 400
    assert Review.objects.get().state == ReviewState.OPEN
    # closing before contact: refused
    assert (
        call(
            agent, "post", f"/reviews/{review['id']}/moves/close", {"outcome": "revised"}
        ).status_code
        == 409
    )
    contacted = call(
        agent,
        "post",
        f"/reviews/{review['id']}/moves/contact",
        {"note": "电话联系，解释了安装方法", "no_money_offered": True},
    ).json()
    assert (contacted["state"], contacted["moves"]) == ("contacted", ["contact", "close"])
    closed = call(
        agent, "post", f"/reviews/{review['id']}/moves/close", {"outcome": "revised"}
    ).json()
    assert (closed["state"], closed["outcome"], closed["moves"]) == ("closed", "revised", [])
    assert call(agent, "get", f"/reviews/{review['id']}").json()["contact_note"] == (
        "电话联系，解释了安装方法"
    )
    assert call(agent, "post", f"/reviews/{review['id']}/moves/fly", {}).status_code == 400


def test_reviews_are_hidden_from_department_staff_by_id(cast, order):
    review = Review.objects.create(
        order=order,
        rating="neutral",
        text="一般",
        reviewed_on=dt.date(2026, 12, 1),
        created_by=cast.agent,
    )
    warehouse = sign_in(Client(), cast.warehouse)
    assert call(warehouse, "get", f"/reviews/{review.pk}").status_code == 404
    assert call(warehouse, "get", f"/reviews/{review.pk + 1000}").status_code == 404
    assert (
        call(warehouse, "post", f"/reviews/{review.pk}/moves/contact", {"note": "x"}).status_code
        == 404
    )
    assert call(warehouse, "get", "/reviews").status_code == 403
    assert AuditEntry.objects.filter(
        action=AuditAction.ACCESS_DENIED, object_id=str(review.pk)
    ).exists()
    assert (
        sign_in(Client(), cast.warehouse).get(f"/aftersales/reviews/{review.pk}/").status_code
        == 403
    )
    assert Review.objects.get().state == ReviewState.OPEN


def test_a_future_date_and_a_bad_rating_are_refused(cast, order):
    agent = sign_in(Client(), cast.agent)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    for body in (
        {"rating": "negative", "text": "x", "reviewed_on": tomorrow},
        {"rating": "positive", "text": "x", "reviewed_on": "2026-12-01"},
        {"rating": "negative", "text": "", "reviewed_on": "2026-12-01"},
    ):
        assert call(agent, "post", f"/orders/{order.pk}/reviews", body).status_code in (400, 422)
    assert Review.objects.count() == 0


@pytest.mark.parametrize("hostile", HOSTILE_STRINGS)
def test_hostile_review_text_comes_back_as_text(cast, order, hostile):
    agent = sign_in(Client(), cast.agent)
    made = call(
        agent,
        "post",
        f"/orders/{order.pk}/reviews",
        {"rating": "negative", "text": hostile, "reviewed_on": "2026-12-01"},
    )
    assert made.status_code == 201
    assert made["Content-Type"].startswith("application/json")
    assert made.json()["text"] == hostile.strip()


def test_the_review_operations_are_in_the_openapi_schema(cast):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/reviews"]
    assert "get" in paths["/api/v1/reviews/{review_id}"]
    assert "post" in paths["/api/v1/reviews/{review_id}/moves/{move}"]
    assert "post" in paths["/api/v1/orders/{order_id}/reviews"]


def test_the_review_list_refuses_parameters_out_of_range(cast, order):
    agent = sign_in(Client(), cast.agent)
    assert call(agent, "get", f"/reviews?order_id={order.pk}&limit=200").status_code == 200
    # A page size outside 1..200 or an order id that cannot exist: a 422 naming the parameter.
    for query, name in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("order_id=0", "order_id"),
        (f"order_id={2**31}", "order_id"),
    ]:
        refused = call(agent, "get", f"/reviews?{query}")
        assert refused.status_code == 422, query
        assert name in refused.content.decode(), query
