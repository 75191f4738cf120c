"""Delivery reports (短信回执) as the providers push them, read into one shape.

Aliyun SMS, "SmsReport" in HTTP batch-push mode (HTTP批量推送), configured in the SMS console under
回执消息配置 → 短信发送状态报告 (SmsReport): a POST of a JSON array,
    [{"phone_number": "1381111****", "send_time": "2017-01-01 00:00:00", "report_time": "2017-01-01 00:00:00",
      "success": true, "err_code": "DELIVERED", "err_msg": "用户接收成功", "sms_size": "1",
      "biz_id": "12345…", "out_id": "67890"}]
answered with HTTP 200 and {"code": 0, "msg": "…"}; any other answer is pushed again after 1, 5 and
10 minutes. `biz_id` is the BizId SendSms returned.

Tencent Cloud SMS, 短信下发状态回调 (SMS sending status notification), configured in the SMS console
under 应用管理 → 回调配置: a POST of a JSON array,
    [{"user_receive_time": "2015-10-17 08:03:04", "nationcode": "86", "mobile": "13xxxxxxxxx",
      "report_status": "SUCCESS", "errmsg": "DELIVRD", "description": "用户短信送达成功", "sid": "xxxxxxx"}]
answered with {"result": 0, "errmsg": "OK"}. `sid` is the SerialNo SendSms returned.

Neither provider signs these requests, so the URL carries a secret (see webhooks.py). Times are
Beijing time without a zone. A whole push is read before anything is stored: one malformed report
refuses the push.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from kefu.core.text import strip_control_characters

BEIJING = ZoneInfo("Asia/Shanghai")


class MalformedReport(ValueError):
    """The push is not what the provider documents; the message says where (for the provider's log)."""


@dataclass(frozen=True)
class DeliveryReport:
    provider_message_id: str
    delivered: bool
    code: str  # the provider's status code: DELIVERED / DELIVRD, or the operator's error code
    text: str  # the provider's description of the status
    at: (
        dt.datetime | None
    )  # when the phone received it, or when the failure was reported; None: not given


def provider_time(value) -> dt.datetime | None:
    """'2017-01-01 00:00:00' (Beijing time) → an aware datetime; anything else → None. The time is
    informative only, so a missing or garbled one does not refuse the report."""
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except ValueError:
        return None


def decode_array(body: bytes) -> list[dict]:
    """The push's JSON array of objects, or MalformedReport."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedReport("body is not UTF-8") from None
    except ValueError:
        raise MalformedReport("body is not JSON") from None
    if not isinstance(payload, list):
        raise MalformedReport("body must be a JSON array of reports")
    for index, item in enumerate(payload):
        if not isinstance(item, dict):
            raise MalformedReport(f"report {index} is not a JSON object")
    return payload


def _text(item: dict, key: str, index: int, *, required: bool = False, limit: int = 300) -> str:
    value = item.get(key)
    if value is None:
        if required:
            raise MalformedReport(f"report {index} has no {key}")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MalformedReport(f"report {index}: {key} must be a string")
    value = strip_control_characters(str(value)).strip()
    if required and not value:
        raise MalformedReport(f"report {index}: {key} is empty")
    return value[:limit]


def parse_aliyun(body: bytes) -> list[DeliveryReport]:
    reports = []
    for index, item in enumerate(decode_array(body)):
        message_id = _text(item, "biz_id", index, required=True, limit=100)
        success = item.get("success")
        if isinstance(success, str) and success.lower() in ("true", "false"):
            success = success.lower() == "true"  # tolerated: the flag as text
        if not isinstance(success, bool):
            raise MalformedReport(f"report {index}: success must be true or false")
        reports.append(
            DeliveryReport(
                provider_message_id=message_id,
                delivered=success,
                code=_text(item, "err_code", index, limit=60),
                text=_text(item, "err_msg", index),
                at=provider_time(item.get("report_time")),
            )
        )
    return reports


TENCENT_STATUSES = {"SUCCESS": True, "FAIL": False}


def parse_tencent(body: bytes) -> list[DeliveryReport]:
    reports = []
    for index, item in enumerate(decode_array(body)):
        message_id = _text(item, "sid", index, required=True, limit=100)
        status = _text(item, "report_status", index, required=True).upper()
        if status not in TENCENT_STATUSES:
            raise MalformedReport(f"report {index}: report_status must be SUCCESS or FAIL")
        reports.append(
            DeliveryReport(
                provider_message_id=message_id,
                delivered=TENCENT_STATUSES[status],
                code=_text(item, "errmsg", index, limit=60),
                text=_text(item, "description", index),
                at=provider_time(item.get("user_receive_time")),
            )
        )
    return reports


PARSERS = {"aliyun": parse_aliyun, "tencent": parse_tencent}
