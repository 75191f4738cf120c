"""Customers' SMS replies (上行短信) as the providers push them, read into one shape.

Checked against the providers' documents (2026-12-07; the examples are in tests/payloads):

Aliyun SMS, "SmsUp" in HTTP batch-push mode (上行短信消息, HTTP批量推送), documented at
https://help.aliyun.com/zh/sms/developer-reference/smsup-http (and before it at
https://help.aliyun.com/document_detail/414223.htm and
https://help.aliyun.com/knowledge_detail/60127.html): a POST of a JSON array, several replies a push,
    [{"phone_number": "1381111****", "content": "内容", "send_time": "2017-09-01 00:00:00",
      "dest_code": "1234", "sequence_id": "1234567890"}]
`phone_number` and `content` are required. What the older pages said and the current one no longer
does: `sign_name` (gone from the current example) and `sequence_id` as a number (a string now);
neither is read here, so both shapes are taken. The answer is HTTP 200 with {"code": 0, "msg": …}
(only `code` being a number is checked); any other status is pushed again after 1, 5 and 10
minutes, so a refused push costs nothing and a 退订 pushed twice withdraws once.

Tencent Cloud SMS, 短信回复 (SMS reply callback), documented at
https://cloud.tencent.com/document/product/382/5809 (and https://cloud.tencent.com/document/api/382/59179,
https://www.tencentcloud.com/document/product/382/43548): a POST of ONE JSON object a reply,
    {"extend": "扩展码", "mobile": "13xxxxxxxxx", "nationcode": "86", "sign": "短信签名",
     "text": "用户回复的内容", "time": 1457336869}
`mobile`, `nationcode`, `sign`, `text` and `time` (Unix seconds) are required, `extend` optional;
answered with {"result": 0, "errmsg": "OK"}. A JSON array of such objects (the shape of its delivery
reports) is taken too; a missing `nationcode` is read as 86.

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


def _present(item: dict, key: str, index: int) -> None:
    """A field the document requires is there (it may be empty: an empty reply is no 退订, and
    refusing it would refuse the push's other replies)."""
    if key not in item:
        raise MalformedReport(f"reply {index} has no {key}")


def parse_aliyun(body: bytes) -> list[SmsReply]:
    replies = []
    for index, item in enumerate(decode_array(body)):
        _present(item, "content", index)
        replies.append(
            SmsReply(
                mobile=_text(item, "phone_number", index, required=True, limit=40),
                text=_text(item, "content", index, limit=500),
            )
        )
    return replies


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
        _present(item, "text", index)
        code = _text(item, "nationcode", index, limit=6) or "86"
        replies.append(
            SmsReply(mobile=f"+{code}{mobile}", text=_text(item, "text", index, limit=500))
        )
    return replies


PARSERS = {"aliyun": parse_aliyun, "tencent": parse_tencent}
