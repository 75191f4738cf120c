"""退订 by SMS reply: a customer's reply TD / T / 退订 pushed by the provider withdraws the consent
to care messages of the customers with that mobile (audited, on their timeline, source "SMS
reply"); other replies, unknown numbers, a wrong token and malformed pushes change nothing."""

import json

import pytest
from django.test import Client

from kefu.accounts.models import AuditAction, AuditEntry
from kefu.core.models import TimelineEntry
from kefu.customers.models import Consent, ConsentPurpose, ConsentSource, Customer
from kefu.customers.selectors import has_consent
from kefu.customers.services.consent import record_consent

pytestmark = pytest.mark.django_db
TOKEN = "t0ken-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


@pytest.fixture(autouse=True)
def callback_token(settings):
    settings.KEFU_SMS_CALLBACK_TOKEN = TOKEN


def consenting(name: str, mobile: str) -> Customer:
    customer = Customer.objects.create(name=name, mobile=mobile)
    record_consent(
        actor=None,
        customer_id=customer.pk,
        purpose=ConsentPurpose.CARE,
        given=True,
        source=ConsentSource.IMPORT,
    )
    return customer


def post(provider: str, payload, *, token: str = TOKEN):
    return Client().post(
        f"/sms/replies/{provider}/{token}/",
        data=json.dumps(payload, ensure_ascii=False).encode(),
        content_type="application/json",
    )


def test_an_aliyun_td_reply_withdraws_the_care_consent_audited_on_the_timeline():
    leaves = consenting("张三", "+8613800138000")
    stays = consenting("李四", "+8613900139000")
    AuditEntry.objects.all().delete()
    response = post(
        "aliyun",
        [
            {"phone_number": "13800138000", "content": " td。", "send_time": "2027-02-06 10:00:00"},
            {"phone_number": "13900139000", "content": "谢谢，TD 是什么意思？"},
        ],
    )
    assert response.status_code == 200
    assert response.json() == {"code": 0, "msg": "成功"}
    assert response["X-Kefu-Sms-Withdrawn"] == "1"
    assert has_consent(leaves, ConsentPurpose.CARE) is False
    assert has_consent(stays, ConsentPurpose.CARE) is True
    newest = Consent.objects.filter(customer=leaves).order_by("-id").first()
    assert newest is not None
    assert (newest.given, newest.source) == (False, ConsentSource.SMS_REPLY)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.details["source"]) == (AuditAction.CONSENT_CHANGED, "sms_reply")
    assert TimelineEntry.objects.filter(
        customer_id=leaves.pk, kind="customers.consent", data__given=False
    ).exists()
    again = post("aliyun", [{"phone_number": "13800138000", "content": "退订"}])
    assert again["X-Kefu-Sms-Withdrawn"] == "0"  # nothing left to withdraw


@pytest.mark.parametrize("word", ["T", "退订", "td"])
def test_a_tencent_reply_withdraws_it_too(word):
    leaves = consenting("张三", "+8613800138000")
    response = post("tencent", {"mobile": "13800138000", "nationcode": "86", "text": word})
    assert response.status_code == 200 and response.json()["result"] == 0
    assert has_consent(leaves, ConsentPurpose.CARE) is False


@pytest.mark.parametrize(
    ("provider", "payload", "token", "status"),
    [
        ("aliyun", [{"phone_number": "13800138000", "content": "TD"}], "wrong", 404),
        ("aliyun", {"phone_number": "13800138000"}, TOKEN, 400),
        ("aliyun", [{"content": "TD"}], TOKEN, 400),
        ("tencent", [1, 2], TOKEN, 400),
        ("nobody", [], TOKEN, 404),
    ],
)
def test_a_wrong_token_or_malformed_push_changes_nothing(provider, payload, token, status):
    customer = consenting("张三", "+8613800138000")
    assert post(provider, payload, token=token).status_code == status
    assert has_consent(customer, ConsentPurpose.CARE) is True


def test_a_td_from_a_number_that_is_no_mobile_changes_nothing():
    customer = consenting("张三", "+8613800138000")
    response = post("aliyun", [{"phone_number": "<script>", "content": "TD"}])
    assert response.status_code == 200 and response["X-Kefu-Sms-Withdrawn"] == "0"
    assert has_consent(customer, ConsentPurpose.CARE) is True
