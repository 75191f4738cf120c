"""Delivery reports (回执) from Aliyun SMS and Tencent Cloud SMS: the providers' recorded pushes posted to
the report endpoints, through Django's test client and over real HTTP to a live server."""

import datetime as dt
import json
import urllib.error
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone, translation

from kefu.sms.models import SmsMessage, SmsStatus, SmsTemplate
from kefu.sms.reports import DeliveryReport, MalformedReport, parse_aliyun, parse_tencent
from kefu.sms.services import Outcome, record_delivery, send_sms
from kefu.sms.tests.test_sending import (
    FakeProvider,
    _aliyun,
    _tencent,
    aliyun_answer,
    tencent_answer,
)
from kefu.sms.webhooks import MAX_BODY

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).parent / "payloads"
ALIYUN_PUSH = (PAYLOADS / "aliyun_report.json").read_bytes()
TENCENT_PUSH = (PAYLOADS / "tencent_report.json").read_bytes()
TOKEN = "t0ken-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def callback_token(settings):
    settings.KEFU_SMS_CALLBACK_TOKEN = TOKEN


@pytest.fixture
def template(db):
    return SmsTemplate.objects.create(
        code="dispatch",
        name="派工通知",
        provider_template_id="SMS_71390007",
        body="您好，{name}，您的服务单{number}已派工。",
    )


def sent(provider: str, message_id: str, to: str = "+8613800138000") -> SmsMessage:
    return SmsMessage.objects.create(
        to=to,
        template_code="dispatch",
        provider=provider,
        provider_message_id=message_id,
        status=SmsStatus.SENT,
        sent_at=timezone.now(),
    )


def post(client: Client, provider: str, body: bytes, *, token: str = TOKEN):
    return client.post(
        f"/sms/reports/{provider}/{token}/", data=body, content_type="application/json"
    )


def snapshot() -> list[tuple]:
    return list(
        SmsMessage.objects.order_by("id").values_list(
            "status", "error", "delivered_at", "report_code", "reported_at"
        )
    )


# --- reading the pushes --------------------------------------------------------------------------


def test_the_aliyun_documentation_example_is_read():
    reports = parse_aliyun(ALIYUN_PUSH)
    assert reports[2] == DeliveryReport(
        provider_message_id="12345",
        delivered=True,
        code="DELIVERED",
        text="用户接收成功",
        at=dt.datetime(2017, 1, 1, 0, 0, tzinfo=BEIJING),
    )
    assert reports[1] == DeliveryReport(
        provider_message_id="900619746936498441^0",
        delivered=False,
        code="MK:0013",
        text="停机",
        at=dt.datetime(2026, 3, 2, 9, 15, 31, tzinfo=BEIJING),
    )


def test_the_tencent_documentation_example_is_read():
    reports = parse_tencent(TENCENT_PUSH)
    assert reports[2] == DeliveryReport(
        provider_message_id="xxxxxxx",
        delivered=True,
        code="DELIVRD",
        text="用户短信送达成功",
        at=dt.datetime(2015, 10, 17, 8, 3, 4, tzinfo=BEIJING),
    )
    assert reports[1].delivered is False and (reports[1].code, reports[1].text) == (
        "MK:0001",
        "不存在的用户",
    )


def test_a_missing_or_garbled_time_does_not_refuse_the_report():
    [report] = parse_tencent(
        json.dumps(
            [{"sid": "s1", "report_status": "FAIL", "user_receive_time": "yesterday"}]
        ).encode()
    )
    assert (report.at, report.code, report.text) == (None, "", "")


# --- the endpoints -------------------------------------------------------------------------------


def test_an_aliyun_push_marks_delivered_and_failed_and_counts_unknown_ids():
    delivered, failed = (
        sent("aliyun", "900619746936498440^0"),
        sent("aliyun", "900619746936498441^0", "+8613900000001"),
    )
    response = post(Client(enforce_csrf_checks=True), "aliyun", ALIYUN_PUSH)
    assert response.status_code == 200
    assert response.json() == {"code": 0, "msg": "成功"}
    assert response["X-Kefu-Sms-Reports"] == "applied=2, unchanged=0, unknown=1"
    delivered.refresh_from_db()
    failed.refresh_from_db()
    assert (delivered.status, delivered.error, delivered.report_code, delivered.delivered_at) == (
        SmsStatus.DELIVERED,
        "",
        "DELIVERED",
        dt.datetime(2026, 3, 2, 9, 15, 7, tzinfo=BEIJING),
    )
    assert (
        failed.status,
        failed.error,
        failed.report_code,
        failed.reported_at,
        failed.delivered_at,
    ) == (
        SmsStatus.FAILED,
        "MK:0013: 停机",
        "MK:0013",
        dt.datetime(2026, 3, 2, 9, 15, 31, tzinfo=BEIJING),
        None,
    )


def test_a_tencent_push_marks_delivered_and_failed():
    delivered = sent("tencent", "5000:1045710669157053657849499619")
    failed = sent("tencent", "5000:1045710669157053657849499620", "+8613900000001")
    response = post(Client(enforce_csrf_checks=True), "tencent", TENCENT_PUSH)
    assert (response.status_code, response.json()) == (200, {"result": 0, "errmsg": "OK"})
    assert response["X-Kefu-Sms-Reports"] == "applied=2, unchanged=0, unknown=1"
    delivered.refresh_from_db()
    failed.refresh_from_db()
    assert (delivered.status, delivered.report_code, delivered.delivered_at) == (
        SmsStatus.DELIVERED,
        "DELIVRD",
        dt.datetime(2026, 3, 2, 9, 15, 7, tzinfo=BEIJING),
    )
    assert (failed.status, failed.error) == (SmsStatus.FAILED, "MK:0001: 不存在的用户")


def test_a_report_only_touches_the_providers_own_message():
    """The same id at the other provider is a different message."""
    other = sent("tencent", "900619746936498440^0")
    response = post(Client(), "aliyun", ALIYUN_PUSH)
    assert response["X-Kefu-Sms-Reports"] == "applied=0, unchanged=0, unknown=3"
    other.refresh_from_db()
    assert other.status == SmsStatus.SENT


def test_the_same_push_twice_changes_nothing_the_second_time():
    sent("aliyun", "900619746936498440^0")
    sent("aliyun", "900619746936498441^0", "+8613900000001")
    post(Client(), "aliyun", ALIYUN_PUSH)
    before = snapshot()
    again = post(Client(), "aliyun", ALIYUN_PUSH)
    assert (
        again.status_code == 200
        and again["X-Kefu-Sms-Reports"] == "applied=0, unchanged=2, unknown=1"
    )
    assert snapshot() == before


def test_delivered_wins_in_whichever_order_the_reports_arrive():
    first, second = sent("tencent", "A"), sent("tencent", "B")
    ok = {
        "report_status": "SUCCESS",
        "errmsg": "DELIVRD",
        "description": "用户短信送达成功",
        "user_receive_time": "2026-03-02 09:00:00",
    }
    fail = {
        "report_status": "FAIL",
        "errmsg": "MK:0005",
        "description": "停机",
        "user_receive_time": "2026-03-02 09:05:00",
    }
    post(Client(), "tencent", json.dumps([{**ok, "sid": "A"}, {**fail, "sid": "B"}]).encode())
    response = post(
        Client(), "tencent", json.dumps([{**fail, "sid": "A"}, {**ok, "sid": "B"}]).encode()
    )
    assert response["X-Kefu-Sms-Reports"] == "applied=1, unchanged=1, unknown=0"
    first.refresh_from_db()
    second.refresh_from_db()
    # A failure after the delivery is a stale push: the delivery stays, with its own time and code.
    assert (first.status, first.error, first.report_code, first.delivered_at) == (
        SmsStatus.DELIVERED,
        "",
        "DELIVRD",
        dt.datetime(2026, 3, 2, 9, 0, tzinfo=BEIJING),
    )
    assert (second.status, second.error, second.report_code, second.delivered_at) == (
        SmsStatus.DELIVERED,
        "",
        "DELIVRD",
        dt.datetime(2026, 3, 2, 9, 0, tzinfo=BEIJING),
    )


MALFORMED = [
    ("aliyun", b"not json", "body is not JSON"),
    ("aliyun", b"\xff\xfe[]", "body is not UTF-8"),
    ("aliyun", b'{"biz_id": "x", "success": true}', "body must be a JSON array of reports"),
    (
        "aliyun",
        b'[{"biz_id": "900619746936498440^0", "success": true}, "x"]',
        "report 1 is not a JSON object",
    ),
    (
        "aliyun",
        b'[{"biz_id": "900619746936498440^0", "success": true}, {"success": true}]',
        "report 1 has no biz_id",
    ),
    (
        "aliyun",
        b'[{"biz_id": "900619746936498440^0", "success": "yes"}]',
        "report 0: success must be true or false",
    ),
    (
        "aliyun",
        b'[{"biz_id": ["900619746936498440^0"], "success": true}]',
        "report 0: biz_id must be a string",
    ),
    (
        "tencent",
        b'[{"sid": "5000:1045710669157053657849499619", "report_status": "DELIVERED"}]',
        "report 0: report_status must be SUCCESS or FAIL",
    ),
    ("tencent", b'[{"sid": "", "report_status": "SUCCESS"}]', "report 0: sid is empty"),
    ("tencent", b'[{"report_status": "SUCCESS"}]', "report 0 has no sid"),
]


@pytest.mark.parametrize(("provider", "body", "reason"), MALFORMED)
def test_a_malformed_push_is_refused_with_the_reason_and_changes_nothing(provider, body, reason):
    sent("aliyun", "900619746936498440^0")
    sent("tencent", "5000:1045710669157053657849499619")
    before = snapshot()
    response = post(Client(), provider, body)
    assert response.status_code == 400
    assert response.json() == (
        {"code": 1, "msg": reason} if provider == "aliyun" else {"result": 1, "errmsg": reason}
    )
    assert snapshot() == before


def test_wrong_or_missing_token_answers_404_and_changes_nothing(settings):
    sent("aliyun", "900619746936498440^0")
    before = snapshot()
    assert post(Client(), "aliyun", ALIYUN_PUSH, token=TOKEN[:-1] + "x").status_code == 404
    assert post(Client(), "aliyun", ALIYUN_PUSH, token=TOKEN + "x").status_code == 404
    assert post(Client(), "huawei", ALIYUN_PUSH).status_code == 404
    settings.KEFU_SMS_CALLBACK_TOKEN = ""
    assert post(Client(), "aliyun", ALIYUN_PUSH).status_code == 404
    assert post(Client(), "aliyun", ALIYUN_PUSH, token="-").status_code == 404
    assert snapshot() == before


def test_only_post_and_a_capped_body():
    sent("aliyun", "900619746936498440^0")
    before = snapshot()
    assert Client().get(f"/sms/reports/aliyun/{TOKEN}/").status_code == 405
    assert (
        Client()
        .put(f"/sms/reports/aliyun/{TOKEN}/", data=ALIYUN_PUSH, content_type="application/json")
        .status_code
        == 405
    )
    huge = ALIYUN_PUSH[:-1] + b"," + b" " * MAX_BODY + b"]"
    response = post(Client(), "aliyun", huge)
    assert response.status_code == 413 and response.json()["code"] == 1
    assert snapshot() == before


def test_record_delivery_ignores_unknown_and_empty_ids():
    message = sent("console", "console-1")
    assert (
        record_delivery(provider="console", provider_message_id="unknown", delivered=True).outcome
        == Outcome.UNKNOWN
    )
    assert (
        record_delivery(provider="console", provider_message_id="", delivered=True).outcome
        == Outcome.UNKNOWN
    )
    with translation.override("en"):
        failed = record_delivery(
            provider="console", provider_message_id="console-1", delivered=False
        )
    assert (failed.outcome, failed.message.status, failed.message.error) == (
        Outcome.APPLIED,
        SmsStatus.FAILED,
        "Not delivered",
    )
    message.refresh_from_db()
    assert message.reported_at is not None and message.delivered_at is None


def test_ids_the_backends_stored_are_the_ones_the_reports_name(settings, template):
    """End to end: send through each provider (a local fake of its API), then post its report."""
    with FakeProvider(aliyun_answer) as provider:
        _aliyun(settings, provider.url)
        by_aliyun = send_sms(
            "13800138000", "dispatch", {"name": "张伟", "number": "T1"}, backend="aliyun"
        )
    with FakeProvider(tencent_answer) as provider:
        _tencent(settings, provider.url)
        by_tencent = send_sms(
            "13800138000", "dispatch", {"name": "张伟", "number": "T1"}, backend="tencent"
        )
    assert post(Client(), "aliyun", ALIYUN_PUSH).status_code == 200
    assert post(Client(), "tencent", TENCENT_PUSH).status_code == 200
    assert SmsMessage.objects.get(pk=by_aliyun.message_id).status == SmsStatus.DELIVERED
    assert SmsMessage.objects.get(pk=by_tencent.message_id).status == SmsStatus.DELIVERED


@pytest.mark.django_db(transaction=True)
def test_reports_over_real_http_to_a_live_server(live_server):
    aliyun = sent("aliyun", "900619746936498440^0")
    tencent = sent("tencent", "5000:1045710669157053657849499620", "+8613900000001")

    def push(provider: str, body: bytes, token: str = TOKEN) -> tuple[int, dict]:
        request = urllib.request.Request(  # noqa: S310
            f"{live_server.url}/sms/reports/{provider}/{token}/",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (the local live server)
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, {}

    assert push("aliyun", ALIYUN_PUSH) == (200, {"code": 0, "msg": "成功"})
    assert push("tencent", TENCENT_PUSH) == (200, {"result": 0, "errmsg": "OK"})
    assert push("tencent", TENCENT_PUSH, token="guess")[0] == 404
    assert push("tencent", b"[{]")[0] == 400
    aliyun.refresh_from_db()
    tencent.refresh_from_db()
    assert (aliyun.status, aliyun.report_code) == (SmsStatus.DELIVERED, "DELIVERED")
    assert (tencent.status, tencent.error) == (SmsStatus.FAILED, "MK:0001: 不存在的用户")


def test_malformed_report_is_a_value_error():
    with pytest.raises(MalformedReport, match="array"):
        parse_aliyun(b"{}")
