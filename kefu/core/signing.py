"""Signed webhook bodies (telephony, feedback): HMAC-SHA256 over `timestamp + "." + raw body` with a
shared secret, and a timestamp within a tolerance of our clock so a captured request cannot be
replayed later. "sha256=" in front of the hex signature is accepted."""

import hashlib
import hmac
import time


def sign(body: bytes, *, timestamp: int | str, secret: str) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    body: bytes,
    *,
    timestamp: str,
    signature: str,
    secret: str,
    tolerance: float,
    now: float | None = None,
) -> str | None:
    """None when the request is genuine and fresh; otherwise why not (for the caller's answer)."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return "missing or malformed timestamp"
    now = time.time() if now is None else now
    if abs(now - sent_at) > tolerance:
        return "timestamp outside the tolerance"
    signature = (signature or "").removeprefix("sha256=").strip().lower()
    if not hmac.compare_digest(signature, sign(body, timestamp=sent_at, secret=secret)):
        return "bad signature"
    return None
