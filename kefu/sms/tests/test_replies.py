"""退订 by SMS reply: a customer's reply TD / T / 退订 pushed by the provider withdraws the consents
to care and marketing messages of the customers that mobile reaches (main number or another mobile) (audited, on their timeline, source "SMS
reply"); other replies, unknown numbers, a wrong token and malformed pushes change nothing."""

import json
from pathlib import Path

import pytest
from django.test import Client

from kefu.accounts.models import AuditAction, AuditEntry
from kefu.core.models import TimelineEntry
from kefu.customers.models import (
    Consent,
    ConsentPurpose,
    ConsentSource,
    ContactIdentity,
    Customer,
    IdentityKind,
)
from kefu.customers.selectors import has_consent
from kefu.customers.services.consent import record_consent

pytestmark = pytest.mark.django_db
TOKEN = "t0ken-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
PAYLOADS = Path(__file__).parent / "payloads"


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


def test_the_documented_aliyun_push_is_taken_whole_and_only_its_td_withdraws():
    """The documents' shapes, old and current (sign_name or not, sequence_id a number or a string,
    a masked number): one push, read whole, answered 200; only the real number's TD counts."""
    leaves = consenting("张三", "+8613800138000")
    stays = consenting("李四", "+8613900139000")
    response = Client().post(
        f"/sms/replies/aliyun/{TOKEN}/",
        data=(PAYLOADS / "aliyun_reply.json").read_bytes(),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["code"] == 0
    assert response["X-Kefu-Sms-Withdrawn"] == "1"
    assert has_consent(leaves, ConsentPurpose.CARE) is False
    assert has_consent(stays, ConsentPurpose.CARE) is True


def test_the_documented_tencent_reply_one_object():
    leaves = consenting("张三", "+8613800138000")
    documented = json.loads((PAYLOADS / "tencent_reply.json").read_text())
    as_published = post("tencent", documented)  # a masked number: read, nothing withdrawn
    assert as_published.status_code == 200 and as_published.json() == {
        "result": 0,
        "errmsg": "OK",
    }
    assert as_published["X-Kefu-Sms-Withdrawn"] == "0"
    response = post("tencent", {**documented, "mobile": "13800138000", "text": "退订"})
    assert response["X-Kefu-Sms-Withdrawn"] == "1"
    assert has_consent(leaves, ConsentPurpose.CARE) is False


@pytest.mark.parametrize(
    ("provider", "payload"),
    [
        # the documents require the reply's text: a push without it is not theirs
        ("aliyun", [{"phone_number": "13800138000", "send_time": "2027-02-06 10:00:00"}]),
        ("tencent", {"mobile": "13800138000", "nationcode": "86", "time": 1457336869}),
    ],
)
def test_a_reply_without_its_text_refuses_the_push(provider, payload):
    customer = consenting("张三", "+8613800138000")
    assert post(provider, payload).status_code == 400
    assert has_consent(customer, ConsentPurpose.CARE) is True


def test_a_td_from_any_of_the_customers_mobiles_withdraws_care_and_marketing():
    """Not only the main mobile: every mobile among the customer's contact identities; and both
    consents (care and marketing) where given."""
    person = consenting("张三", "+8613800138000")
    record_consent(
        actor=None,
        customer_id=person.pk,
        purpose=ConsentPurpose.MARKETING,
        given=True,
        source=ConsentSource.IMPORT,
    )
    ContactIdentity.objects.create(
        customer=person, kind=IdentityKind.MOBILE, value="+8613700137000"
    )
    other = consenting("李四", "+8613900139000")
    merged = consenting("张三（旧）", "+8613700137000")
    merged.merged_into = person
    merged.save(update_fields=["merged_into"])

    response = post("aliyun", [{"phone_number": "13700137000", "content": "TD"}])

    assert response.status_code == 200 and response["X-Kefu-Sms-Withdrawn"] == "2"
    assert has_consent(person, ConsentPurpose.CARE) is False
    assert has_consent(person, ConsentPurpose.MARKETING) is False
    assert has_consent(other, ConsentPurpose.CARE) is True
    assert has_consent(merged, ConsentPurpose.CARE) is True  # merged away: not reached
    assert set(
        Consent.objects.filter(customer=person, given=False).values_list("purpose", "source")
    ) == {
        (ConsentPurpose.CARE, ConsentSource.SMS_REPLY),
        (ConsentPurpose.MARKETING, ConsentSource.SMS_REPLY),
    }
