"""Tencent Cloud SMS 腾讯云短信: SendSms, API version 2021-01-11, TC3-HMAC-SHA256 signature."""

from __future__ import annotations

import json
import time
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings

from kefu.sms.backends.base import OutgoingSms, ProviderAnswer, SmsBackend, http_call
from kefu.sms.signing import tc3_authorization

CONTENT_TYPE = "application/json; charset=utf-8"


class TencentBackend(SmsBackend):
    name = "tencent"

    def __init__(self, config: dict | None = None):
        self.config = config or settings.KEFU_SMS_TENCENT

    def build_request(
        self, sms: OutgoingSms, *, timestamp: int | None = None
    ) -> tuple[str, dict[str, str], str]:
        """(url, headers, JSON body) of the SendSms call."""
        timestamp = timestamp or int(time.time())
        payload = json.dumps(
            {
                "PhoneNumberSet": [sms.to],
                "SmsSdkAppId": self.config["sdk_app_id"],
                "SignName": self.config["sign_name"],
                "TemplateId": sms.template_id,
                "TemplateParamSet": sms.ordered_values,
            },
            ensure_ascii=False,
        )
        url = self.config["endpoint"]
        host = urlsplit(url).netloc
        signed = {"content-type": CONTENT_TYPE, "host": host}
        headers = {
            "Authorization": tc3_authorization(
                secret_id=self.config["secret_id"],
                secret_key=self.config["secret_key"],
                service="sms",
                timestamp=timestamp,
                headers=signed,
                payload=payload,
            ),
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": "2021-01-11",
            "X-TC-Region": self.config.get("region", "ap-guangzhou"),
        }
        return url, headers, payload

    def send(self, sms: OutgoingSms) -> ProviderAnswer:
        url, headers, payload = self.build_request(sms)
        request = urllib.request.Request(url, data=payload.encode(), headers=headers, method="POST")  # noqa: S310
        try:
            status, body = http_call(request)
        except OSError as error:
            return ProviderAnswer(ok=False, error=f"network: {error}"[:300])
        answer = body.get("Response")
        response: dict = answer if isinstance(answer, dict) else {}
        if "Error" in response:
            refusal = response["Error"] or {}
            return ProviderAnswer(
                ok=False,
                error=f"{refusal.get('Code', status)}: {refusal.get('Message', '')}"[:300],
            )
        statuses = response.get("SendStatusSet") or []
        first = statuses[0] if statuses and isinstance(statuses[0], dict) else {}
        if status == 200 and first.get("Code") == "Ok":
            return ProviderAnswer(ok=True, provider_message_id=str(first.get("SerialNo", "")))
        return ProviderAnswer(
            ok=False, error=f"{first.get('Code', status)}: {first.get('Message', '')}"[:300]
        )
