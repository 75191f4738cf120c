"""Aliyun SMS 阿里云短信: SendSms, API version 2017-05-25, RPC signature (HMAC-SHA1, SignatureVersion 1.0)."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
import uuid

from django.conf import settings

from kefu.sms.backends.base import OutgoingSms, ProviderAnswer, SmsBackend, http_call
from kefu.sms.signing import aliyun_signature, percent_encode


def aliyun_number(e164: str) -> str:
    """Mainland numbers without the country code (13800138000); others as country code + number."""
    digits = e164.lstrip("+")
    return digits[2:] if digits.startswith("86") else digits


class AliyunBackend(SmsBackend):
    name = "aliyun"

    def __init__(self, config: dict | None = None):
        self.config = config or settings.KEFU_SMS_ALIYUN

    def request_params(
        self, sms: OutgoingSms, *, nonce: str | None = None, timestamp: str | None = None
    ) -> dict[str, str]:
        params = {
            "AccessKeyId": self.config["access_key_id"],
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": aliyun_number(sms.to),
            "RegionId": self.config.get("region", "cn-hangzhou"),
            "SignName": self.config["sign_name"],
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": sms.template_id,
            "TemplateParam": json.dumps(sms.params, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": timestamp or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(params, self.config["access_key_secret"])
        return params

    def send(self, sms: OutgoingSms) -> ProviderAnswer:
        query = "&".join(
            f"{percent_encode(k)}={percent_encode(v)}" for k, v in self.request_params(sms).items()
        )
        url = self.config["endpoint"].rstrip("/") + "/?" + query
        try:
            status, body = http_call(urllib.request.Request(url, method="GET"))  # noqa: S310
        except OSError as error:
            return ProviderAnswer(ok=False, error=f"network: {error}"[:300])
        if status == 200 and body.get("Code") == "OK":
            return ProviderAnswer(ok=True, provider_message_id=str(body.get("BizId", "")))
        return ProviderAnswer(
            ok=False, error=f"{body.get('Code', status)}: {body.get('Message', '')}"[:300]
        )
