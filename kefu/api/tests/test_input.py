"""Control characters at the API's boundary, dates out of range, bodies over the limit (issue 10.2).

On PostgreSQL a NUL in text answered 500 (28 of the fuzz run's 29 server errors); on SQLite it was
stored. Both modes now drop control characters before anything is stored or searched.
"""

import json

import pytest
from django.test import Client

from kefu.accounts import services
from kefu.accounts.roles import Role
from kefu.customers.models import Customer
from kefu.telephony.models import Call
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.django_db

HOSTILE = "\u0000张\u0001三\u001f\u007f\u0085"


@pytest.fixture
def api(make_user):
    supervisor = make_user(Role.SUPERVISOR, mobile="13900002222")
    _token, raw = services.create_api_token(user=supervisor, name="input")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def call(method, url, body=None):
        if body is None:
            return getattr(client, method)(f"/api/v1{url}")
        return getattr(client, method)(
            f"/api/v1{url}", json.dumps(body), content_type="application/json"
        )

    call.user = supervisor
    return call


def test_control_characters_in_bodies_are_dropped_before_storing(api):
    created = api("post", "/customers", {"name": HOSTILE, "notes": "第一行\n第二行\u0000"})
    assert created.status_code == 201, created.content
    customer = Customer.objects.get(pk=created.json()["id"])
    assert (customer.name, customer.notes) == ("张三", "第一行\n第二行")

    changed = api("patch", f"/customers/{customer.pk}", {"notes": "\u0000备注\u0002"})
    assert changed.status_code == 200, changed.content
    customer.refresh_from_db()
    assert customer.notes == "备注"

    ticket = api(
        "post",
        "/tickets",
        {"type": "consultation", "subject": "咨询\u0000发票", "customer_id": customer.pk},
    )
    assert ticket.status_code == 201, ticket.content
    assert Ticket.objects.get(pk=ticket.json()["id"]).subject == "咨询发票"

    call = api(
        "post",
        "/calls",
        {"direction": "in", "number": "13812345678", "outcome": "answered", "subject": "\u0000问"},
    )
    assert call.status_code == 201, call.content
    assert Call.objects.get(pk=call.json()["id"]).subject == "问"


@pytest.mark.parametrize("url", ["/customers", "/tickets", "/calls", "/canned-replies"])
def test_control_characters_in_searches_are_dropped(api, url):
    Customer.objects.create(name="张三")
    response = api("get", f"{url}?q=%00%01")
    assert response.status_code == 200, response.content
    response = api("get", f"{url}?q=%E5%BC%A0%00")  # 张 + NUL
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "started_at",
    ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "1900-01-01T00:00:00+08:00"],
)
def test_dates_out_of_range_answer_422(api, started_at):
    response = api(
        "post",
        "/calls",
        {
            "direction": "in",
            "number": "13812345678",
            "outcome": "answered",
            "started_at": started_at,
        },
    )
    assert response.status_code == 422, response.content
    assert "started_at" in response.json()["detail"]
    assert "有些值缺失或无效" in response.json()["detail"]
    assert not Call.objects.exists()


def test_a_body_over_the_limit_answers_the_apis_json_error_in_chinese(api, settings):
    body = json.dumps({"name": "张三", "notes": "备" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2)})
    response = api("post", "/customers", json.loads(body))
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "请求内容太大" in response.json()["detail"]
    assert not Customer.objects.exists()
