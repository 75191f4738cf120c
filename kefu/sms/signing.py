"""Request signing of the SMS providers, as pure functions checked against their published examples.

Aliyun (RPC style, SignatureVersion 1.0): HMAC-SHA1 with key `secret + "&"` over
`GET&%2F&` + percentEncode(canonicalised query), the query's pairs sorted by name and each name and
value percent-encoded (RFC 3986: space %20, `*` %2A, `~` kept).

Tencent Cloud (API 3.0, TC3-HMAC-SHA256): a canonical request (method, URI, query, the signed headers
lower-cased, the payload's SHA-256) is hashed into a string to sign; the key is derived
TC3+secret → date → service → "tc3_request".
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from urllib.parse import quote


def percent_encode(value: str) -> str:
    """Aliyun's percentEncode: UTF-8, then everything but A-Z a-z 0-9 - _ . ~ as %XX."""
    return quote(str(value), safe="~")


def aliyun_canonical_query(params: dict[str, str]) -> str:
    return "&".join(
        f"{percent_encode(k)}={percent_encode(v)}"
        for k, v in sorted(params.items())
        if k != "Signature"
    )


def aliyun_string_to_sign(params: dict[str, str], *, method: str = "GET") -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(aliyun_canonical_query(params))}"


def aliyun_signature(params: dict[str, str], access_key_secret: str, *, method: str = "GET") -> str:
    digest = hmac.new(
        f"{access_key_secret}&".encode(),
        aliyun_string_to_sign(params, method=method).encode(),
        hashlib.sha1,
    ).digest()
    return base64.b64encode(digest).decode()


def _hmac256(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def tc3_canonical_request(
    *, method: str, headers: dict[str, str], payload: str, uri: str = "/", query: str = ""
) -> tuple[str, str]:
    """(canonical request, signed header names). `headers` are the ones signed, e.g. content-type and host."""
    names = sorted(h.lower() for h in headers)
    lowered = {k.lower(): v for k, v in headers.items()}
    canonical_headers = "".join(f"{name}:{lowered[name].strip().lower()}\n" for name in names)
    signed = ";".join(names)
    hashed_payload = hashlib.sha256(payload.encode()).hexdigest()
    return f"{method}\n{uri}\n{query}\n{canonical_headers}\n{signed}\n{hashed_payload}", signed


def tc3_authorization(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    timestamp: int,
    headers: dict[str, str],
    payload: str,
    method: str = "POST",
) -> str:
    """The Authorization header of a TC3-HMAC-SHA256 request."""
    date = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).strftime("%Y-%m-%d")
    canonical, signed = tc3_canonical_request(method=method, headers=headers, payload=payload)
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    key = _hmac256(_hmac256(_hmac256(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders={signed}, Signature={signature}"
