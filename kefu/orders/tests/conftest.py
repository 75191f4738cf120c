import json

import pytest
from django.test import Client

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.customers.services.profiles import ContactPoints, create_customer
from kefu.orders.services.orders import clean_order, record_order


class Cast:
    def __init__(self, make_user):
        self.supervisor = make_user(Role.SUPERVISOR)
        self.agent = make_user(Role.AGENT)
        self.inspector = make_user(Role.INSPECTOR)
        self.staff = make_user(Role.DEPARTMENT_STAFF)


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def customer(cast):
    return create_customer(
        actor=cast.supervisor,
        name="王芳",
        contacts=ContactPoints({"mobile": ["13800138000"], "wangwang": ["灯饰控小王"]}),
    )


def order_body(**changes) -> dict:
    body = {
        "platform": "taobao",
        "number": "2026120500001",
        "buyer_id": "灯饰控小王",
        "receiver_name": "王芳",
        "receiver_mobile": "13800138000",
        "address": "广西南宁市青秀区民族大道100号",
        "amount": "256.00",
        "paid": "256.00",
        "payment_method": "alipay",
        "state": "paid",
        "items": [
            {
                "sku": "LD-101",
                "name": "北欧吊灯",
                "attributes": "颜色分类:暖白",
                "quantity": 2,
                "price": "128.00",
            }
        ],
    }
    body.update(changes)
    return body


@pytest.fixture
def make_order(cast):
    def make(**changes):
        order, _created = record_order(
            actor=cast.supervisor, data=clean_order(order_body(**changes))
        )
        return order

    return make


def api(client, method, url, body=None):
    kwargs = (
        {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    )
    return getattr(client, method)(f"/api/v1{url}", **kwargs)


@pytest.fixture
def signed_in():
    def make(user):
        return sign_in(Client(), user)

    return make
