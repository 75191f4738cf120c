"""Customers' SMS replies (上行短信) as the providers push them, read into one shape.

Aliyun SMS, "SmsUp" in HTTP batch-push mode: a POST of a JSON array,
    [{"phone_number": "13800138000", "send_time": "2017-01-01 00:00:00", "content": "TD",
      "sign_name": "…", "dest_code": "…", "sequence_id": 1234}]
answered like the delivery reports ({"code": 0, "msg": "…"}).

Tencent Cloud SMS, 短信回复回调: a POST of one JSON object (or an array of them),
    {"extend": "", "mobile": "13800138000", "nationcode": "86", "sign": "…", "text": "TD",
     "time": 1470000000}
answered with {"result": 0, "errmsg": "OK"}.

A whole push is read before anything is stored: one malformed reply refuses the push.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from kefu.sms.reports import MalformedReport, _text, decode_array


@dataclass(frozen=True)
class SmsReply:
    mobile: str  # as the provider sent it (national digits, or with a country code)
    text: str


def parse_aliyun(body: bytes) -> list[SmsReply]:
    return [
        SmsReply(
            mobile=_text(item, "phone_number", index, required=True, limit=40),
            text=_text(item, "content", index, limit=500),
        )
        for index, item in enumerate(decode_array(body))
    ]


def parse_tencent(body: bytes) -> list[SmsReply]:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MalformedReport("body is not UTF-8 JSON") from None
    items = decode_array(body) if isinstance(payload, list) else [payload]
    replies = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise MalformedReport(f"reply {index} is not a JSON object")
        mobile = _text(item, "mobile", index, required=True, limit=40)
        code = _text(item, "nationcode", index, limit=6) or "86"
        replies.append(
            SmsReply(mobile=f"+{code}{mobile}", text=_text(item, "text", index, limit=500))
        )
    return replies


PARSERS = {"aliyun": parse_aliyun, "tencent": parse_tencent}
