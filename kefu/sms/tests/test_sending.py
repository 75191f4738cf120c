"""send_sms through each backend: the console log, and Aliyun and Tencent Cloud against a local HTTP
server that checks the signed request and answers as the provider does."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings
from django.utils import translation

from kefu.core.errors import DomainError
from kefu.sms.models import SmsMessage, SmsStatus, SmsTemplate
from kefu.sms.services import send_sms
from kefu.sms.signing import aliyun_signature, tc3_authorization

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def template(db):
    return SmsTemplate.objects.create(
        code="dispatch",
        name="派工通知",
        provider_template_id="SMS_71390007",
        body="您好，{name}，您的服务单{number}已派工。",
    )


class FakeProvider:
    """A local HTTP server standing in for a provider; `answer(request) -> (status, body)`."""

    def __init__(self, answer):
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": self.rfile.read(length).decode() if length else "",
                }
                outer.requests.append(request)
                status, body = answer(request)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_console_backend_writes_the_log_and_marks_sent(template):
    log = settings.DATA_DIR / "sms.log"
    before = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    result = send_sms("138 0013 8000", "dispatch", {"name": "张伟", "number": "T2026001"})
    assert result.ok and result.status == SmsStatus.SENT and result.provider == "console"
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(before) + 1
    line = json.loads(lines[-1])
    assert (line["to"], line["template"], line["text"], line["id"]) == (
        "+8613800138000",
        "SMS_71390007",
        "您好，张伟，您的服务单T2026001已派工。",
        result.provider_message_id,
    )
    message = SmsMessage.objects.get(pk=result.message_id)
    assert (message.status, message.body, message.params) == (
        SmsStatus.SENT,
        line["text"],
        {"name": "张伟", "number": "T2026001"},
    )


def test_refused_before_anything_is_stored(template):
    with pytest.raises(DomainError):
        send_sms("12345", "dispatch", {"name": "张伟", "number": "1"})
    with pytest.raises(DomainError, match="number"):
        send_sms("13800138000", "dispatch", {"name": "张伟"})
    assert SmsMessage.objects.count() == 0


def _aliyun(settings, url):
    settings.KEFU_SMS_ALIYUN = {
        "access_key_id": "testId",
        "access_key_secret": "testSecret",
        "sign_name": "阿里云短信测试专用",
        "endpoint": url,
        "region": "cn-hangzhou",
    }


def aliyun_answer(request):
    params = dict(parse_qsl(urlsplit(request["path"]).query, keep_blank_values=True))
    signature = params.pop("Signature", "")
    if signature != aliyun_signature(params, "testSecret"):
        return 400, {
            "Code": "SignatureDoesNotMatch",
            "Message": "Specified signature is not matched with our calculation.",
        }
    if params["PhoneNumbers"] == "13900000000":
        return 200, {
            "Code": "isv.BUSINESS_LIMIT_CONTROL",
            "Message": "触发小时级流控Permits:5",
            "RequestId": "R2",
        }
    return 200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "R1"}


def test_aliyun_success_and_error_are_stored(settings, template):
    with FakeProvider(aliyun_answer) as provider:
        _aliyun(settings, provider.url)
        sent = send_sms(
            "13800138000", "dispatch", {"name": "张伟", "number": "T1"}, backend="aliyun"
        )
        limited = send_sms(
            "13900000000", "dispatch", {"name": "李娜", "number": "T2"}, backend="aliyun"
        )
    first = dict(parse_qsl(urlsplit(provider.requests[0]["path"]).query))
    assert provider.requests[0]["method"] == "GET"
    assert {
        k: first[k]
        for k in (
            "Action",
            "Version",
            "SignatureMethod",
            "SignatureVersion",
            "PhoneNumbers",
            "TemplateCode",
            "SignName",
            "Format",
        )
    } == {
        "Action": "SendSms",
        "Version": "2017-05-25",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "PhoneNumbers": "13800138000",
        "TemplateCode": "SMS_71390007",
        "SignName": "阿里云短信测试专用",
        "Format": "JSON",
    }
    assert json.loads(first["TemplateParam"]) == {"name": "张伟", "number": "T1"}
    assert (sent.status, sent.provider_message_id) == (SmsStatus.SENT, "900619746936498440^0")
    assert (limited.status, limited.error) == (
        SmsStatus.FAILED,
        "isv.BUSINESS_LIMIT_CONTROL: 触发小时级流控Permits:5",
    )
    assert SmsMessage.objects.get(pk=limited.message_id).status == SmsStatus.FAILED


def test_aliyun_wrong_secret_is_refused_by_the_provider(settings, template):
    with FakeProvider(aliyun_answer) as provider:
        _aliyun(settings, provider.url)
        settings.KEFU_SMS_ALIYUN = {**settings.KEFU_SMS_ALIYUN, "access_key_secret": "wrong"}
        result = send_sms(
            "13800138000", "dispatch", {"name": "张伟", "number": "T1"}, backend="aliyun"
        )
    assert result.status == SmsStatus.FAILED and result.error.startswith("SignatureDoesNotMatch")


def tencent_answer(request):
    headers = {k.lower(): v for k, v in request["headers"].items()}
    expected = tc3_authorization(
        secret_id="AKIDtest",
        secret_key="tencent-secret",
        service="sms",
        timestamp=int(headers["x-tc-timestamp"]),
        headers={"content-type": headers["content-type"], "host": headers["host"]},
        payload=request["body"],
    )
    if (
        headers.get("authorization") != expected
        or headers.get("x-tc-action") != "SendSms"
        or headers.get("x-tc-version") != "2021-01-11"
    ):
        return 200, {
            "Response": {
                "Error": {
                    "Code": "AuthFailure.SignatureFailure",
                    "Message": "The provided credentials could not be validated.",
                },
                "RequestId": "E1",
            }
        }
    body = json.loads(request["body"])
    number = body["PhoneNumberSet"][0]
    if number == "+8613900000000":
        return 200, {
            "Response": {
                "SendStatusSet": [
                    {
                        "SerialNo": "",
                        "PhoneNumber": number,
                        "Fee": 0,
                        "Code": "LimitExceeded.PhoneNumberDailyLimit",
                        "Message": "the number of sms messages sent from a single mobile number every day exceeds the upper limit",
                        "IsoCode": "CN",
                    }
                ],
                "RequestId": "R2",
            }
        }
    return 200, {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": "5000:1045710669157053657849499619",
                    "PhoneNumber": number,
                    "Fee": 1,
                    "Code": "Ok",
                    "Message": "send success",
                    "IsoCode": "CN",
                }
            ],
            "RequestId": "R1",
        }
    }


def _tencent(settings, url, secret="tencent-secret"):  # noqa: S107
    settings.KEFU_SMS_TENCENT = {
        "secret_id": "AKIDtest",
        "secret_key": secret,
        "sdk_app_id": "1400006666",
        "sign_name": "腾讯云",
        "endpoint": url,
        "region": "ap-guangzhou",
    }


def test_tencent_success_and_error_are_stored(settings, template):
    with FakeProvider(tencent_answer) as provider:
        _tencent(settings, provider.url)
        sent = send_sms(
            "13800138000", "dispatch", {"number": "T1", "name": "张伟"}, backend="tencent"
        )
        limited = send_sms(
            "13900000000", "dispatch", {"name": "李娜", "number": "T2"}, backend="tencent"
        )
    body = json.loads(provider.requests[0]["body"])
    assert body == {
        "PhoneNumberSet": ["+8613800138000"],
        "SmsSdkAppId": "1400006666",
        "SignName": "腾讯云",
        "TemplateId": "SMS_71390007",
        "TemplateParamSet": ["张伟", "T1"],
    }  # in the template's order
    assert (sent.status, sent.provider_message_id) == (
        SmsStatus.SENT,
        "5000:1045710669157053657849499619",
    )
    assert limited.status == SmsStatus.FAILED and limited.error.startswith(
        "LimitExceeded.PhoneNumberDailyLimit"
    )


def test_tencent_signature_failure_and_unreachable_provider(settings, template):
    with FakeProvider(tencent_answer) as provider:
        _tencent(settings, provider.url, secret="wrong")
        refused = send_sms(
            "13800138000", "dispatch", {"name": "张伟", "number": "T1"}, backend="tencent"
        )
    assert (
        refused.error
        == "AuthFailure.SignatureFailure: The provided credentials could not be validated."
    )
    _tencent(settings, provider.url)  # the server is shut down now
    unreachable = send_sms(
        "13800138000", "dispatch", {"name": "张伟", "number": "T1"}, backend="tencent"
    )
    assert unreachable.status == SmsStatus.FAILED and unreachable.error.startswith("network:")
    assert list(SmsMessage.objects.values_list("status", flat=True)) == [
        SmsStatus.FAILED,
        SmsStatus.FAILED,
    ]
