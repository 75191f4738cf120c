"""The telephony system's webhook: POST /telephony/webhook/ with a JSON body, signed.

Headers:
    X-Kefu-Timestamp: seconds since 1970 (UTC); refused when more than KEFU_TELEPHONY_TOLERANCE_SECONDS
                      (300) away from our clock, so a captured request cannot be replayed later
    X-Kefu-Signature: hex HMAC-SHA256, key KEFU_TELEPHONY_SECRET, over  timestamp + "." + raw body
                      ("sha256=" in front is accepted)
Body: {"event": "call.ringing" | "call.answered" | "call.ended", "call_id": "…", "direction": "in" | "out",
       "number": "+86…", "extension": "8001" or "user_id": 5, "started_at", "answered_at", "ended_at"
       (ISO 8601 or seconds), "duration": seconds, "outcome": "answered" | "missed" | "busy" |
       "voicemail" | "callback", "recording_url": "https://…"}
The same call id sent again is answered with the same call and changes nothing.
"""

import json

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kefu.core import signing
from kefu.core.errors import DomainError
from kefu.core.signing import sign as sign  # re-exported: the telephony tests sign with it
from kefu.telephony.services import handle_telephony_event

MAX_BODY = 64 * 1024


def verify(
    body: bytes, *, timestamp: str, signature: str, secret: str, now: float | None = None
) -> str | None:
    """None when the request is genuine and fresh; otherwise why not (for the caller's log)."""
    return signing.verify(
        body,
        timestamp=timestamp,
        signature=signature,
        secret=secret,
        tolerance=settings.KEFU_TELEPHONY_TOLERANCE_SECONDS,
        now=now,
    )


@csrf_exempt  # authenticated by the signature, not by a browser session
@require_POST
def telephony_webhook(request):
    secret = settings.KEFU_TELEPHONY_SECRET
    if not secret:
        return JsonResponse({"detail": "telephony webhook is not configured"}, status=503)
    body = request.body
    if len(body) > MAX_BODY:
        return JsonResponse({"detail": "body too large"}, status=413)
    problem = verify(
        body,
        timestamp=request.headers.get("X-Kefu-Timestamp", ""),
        signature=request.headers.get("X-Kefu-Signature", ""),
        secret=secret,
    )
    if problem:
        return JsonResponse({"detail": problem}, status=401)
    try:
        payload = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"detail": "body is not JSON"}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"detail": "body must be a JSON object"}, status=400)
    try:
        call, changed = handle_telephony_event(payload)
    except DomainError as refusal:
        return JsonResponse({"detail": refusal.message}, status=400)
    return JsonResponse(
        {
            "id": call.pk,
            "call_id": call.external_id,
            "outcome": call.outcome,
            "changed": changed,
            "customer_id": call.customer_id,
        }
    )
