"""Who a visitor is: a signed anonymous token, and an identity claim signed by the customer's site.

The token is `django.core.signing` over the visitor's random token id, salted for this use only, and
valid for VISITOR_TOKEN_MAX_AGE; the widget keeps it (localStorage) so a reload finds the same
visitor and conversation. A site that knows its user passes `{"user_id": …, "hmac": …}` where hmac
is hex(HMAC-SHA256(inbox secret, user_id)); only a correct signature makes the visitor known.
"""

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.core import signing

TOKEN_SALT = "kefu.conversations.visitor-token"  # noqa: S105  (a salt, not a secret)
VISITOR_TOKEN_MAX_AGE = (
    180 * 24 * 3600
)  # seconds: a returning visitor within half a year is recognised


def token_max_age() -> int:
    return int(getattr(settings, "KEFU_VISITOR_TOKEN_MAX_AGE", VISITOR_TOKEN_MAX_AGE))


def make_visitor_token(*, inbox_id: int, token_id: str) -> str:
    return signing.dumps({"i": inbox_id, "v": token_id}, salt=TOKEN_SALT, compress=False)


def read_visitor_token(token: str, *, inbox_id: int, max_age: int | None = None) -> str | None:
    """The visitor's token id if `token` is ours, unaltered, unexpired and for this inbox; else None."""
    if not isinstance(token, str) or not token or len(token) > 300:
        return None
    try:
        data = signing.loads(
            token, salt=TOKEN_SALT, max_age=token_max_age() if max_age is None else max_age
        )
    except signing.BadSignature:  # SignatureExpired is one of these
        return None
    if (
        not isinstance(data, dict)
        or data.get("i") != inbox_id
        or not isinstance(data.get("v"), str)
    ):
        return None
    return data["v"]


def identity_hmac(*, secret: str, user_id: str) -> str:
    """What the customer's site computes on its server (never in the browser: it holds the secret)."""
    return hmac.new(secret.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()


def verified_user_id(*, secret: str, claim: Any) -> str | None:
    """The claimed user id if the claim is signed with `secret`; None for a missing, unsigned or
    wrongly signed claim (the visitor then stays anonymous)."""
    if not isinstance(claim, dict):
        return None
    user_id, signature = claim.get("user_id"), claim.get("hmac")
    if (
        not isinstance(user_id, str | int)
        or isinstance(user_id, bool)
        or not isinstance(signature, str)
    ):
        return None
    user_id = str(user_id).strip()
    if not user_id or len(user_id) > 120 or not secret:
        return None
    expected = identity_hmac(secret=secret, user_id=user_id)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        return None
    return user_id
