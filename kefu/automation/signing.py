"""Signatures: kefu's own webhooks and DingTalk's 加签 (docs/automation.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus

TIMESTAMP_HEADER = "X-Kefu-Timestamp"
SIGNATURE_HEADER = "X-Kefu-Signature"
EVENT_HEADER = "X-Kefu-Event"
DELIVERY_HEADER = "X-Kefu-Delivery"


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256, keyed with the secret, of `timestamp` + "." + body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def dingtalk_sign(secret: str, timestamp_ms: str) -> str:
    """DingTalk's documented signing: HMAC-SHA256 of timestamp + "\\n" + secret keyed with the
    secret, base64, then URL-encoded for the `sign` parameter."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))
