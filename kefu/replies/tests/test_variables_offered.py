"""Issue 9.13: {order_no} was offered in canned replies and never filled (no order is linked to a
chat or a ticket yet). It is no longer offered: the form names only the variables kefu fills, a
reply naming another is refused with the reason, the demo set has none, the API fills the rest."""

import pytest
from django.test import Client
from django.utils import translation

from conftest import sign_in
from kefu.conversations.tests.conftest import make_agent
from kefu.replies import demo
from kefu.replies.models import CannedReply

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_chinese():
    with translation.override("zh-hans"):
        yield


def test_a_reply_naming_order_no_is_refused_on_the_page_and_the_form_does_not_offer_it():
    client = sign_in(Client(), make_agent())
    form = client.get("/replies/new/").content.decode()
    assert "{customer_name}" in form and "{order_no}" not in form
    response = client.post(
        "/replies/new/",
        {
            "scope": "personal",
            "shortcut": "dd",
            "title": "订单确认",
            "category": "presales",
            "body": "您好，订单{order_no}已发货",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200 and "{order_no} 不会由系统填写" in body
    assert "您好，订单{order_no}已发货" in body  # kept as typed
    assert not CannedReply.objects.exists()


def test_the_demo_set_offers_only_variables_that_are_filled():
    demo.build(password="x")
    assert not CannedReply.objects.filter(body__contains="{order_no}").exists()
    agent = make_agent()
    replies = sign_in(Client(), agent).get("/api/v1/canned-replies").json()
    confirm = next(r for r in replies if r["title"] == "订单确认")
    assert confirm["body"].startswith("{customer_name}您好，跟您确认一下订单：")
    assert not any("{order_no}" in r["body"] for r in replies)
