"""The feedback webhook: another system (a game client's "report a bug", a bug tracker, an app store
bridge) posts a customer's feedback; it becomes a report on the development department's list.

    POST /feedback/webhook/   (JSON, at most 64 KiB)
Headers:
    X-Kefu-Timestamp: seconds since 1970 (UTC); refused when more than KEFU_WEBHOOK_TOLERANCE_SECONDS
                      (300) away from our clock (a captured request cannot be replayed later)
    X-Kefu-Signature: hex HMAC-SHA256, key KEFU_FEEDBACK_WEBHOOK_SECRET, over timestamp + "." + raw
                      body ("sha256=" in front is accepted)
Body: {"id": "the sender's id (the same id again is the same report)",
       "customer": {"name": "…", "mobile": "138…", "email": "…"}   (a mobile or an e-mail: to tell them),
       "category": "bug" | …, "severity": "normal" | …, "title": "…", "steps": "…",
       "device": "…", "version": "…"}
Answers: 201 {"report_id", "created": true}; 200 the same for an id seen before (created false);
400 {"detail"} for a refused body (nothing stored); 401 bad signature or stale timestamp; 413 too
large; 503 when no secret is configured (the webhook is off).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kefu.core import signing
from kefu.core.errors import DomainError
from kefu.feedback import services
from kefu.feedback.models import ReportChannel

MAX_BODY = 64 * 1024


def _field(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise DomainError(f"{name}: expected text")
    return str(value)


@csrf_exempt  # authenticated by the signature, not by a browser session
@require_POST
def feedback_webhook(request: HttpRequest) -> JsonResponse:
    secret = settings.KEFU_FEEDBACK_WEBHOOK_SECRET
    if not secret:
        return JsonResponse({"detail": "feedback webhook is not configured"}, status=503)
    body = request.body
    if len(body) > MAX_BODY:
        return JsonResponse({"detail": "body too large"}, status=413)
    problem = signing.verify(
        body,
        timestamp=request.headers.get("X-Kefu-Timestamp", ""),
        signature=request.headers.get("X-Kefu-Signature", ""),
        secret=secret,
        tolerance=settings.KEFU_WEBHOOK_TOLERANCE_SECONDS,
    )
    if problem:
        return JsonResponse({"detail": problem}, status=401)
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"detail": "body is not JSON"}, status=400)
    if not isinstance(data, dict) or not isinstance(data.get("customer", {}), dict):
        return JsonResponse({"detail": "body must be a JSON object"}, status=400)
    person = data.get("customer") or {}
    with translation.override(settings.LANGUAGE_CODE):
        try:
            with transaction.atomic():
                actor = services.webhook_service_user()
                customer = services.customer_for_contact(
                    actor=actor,
                    name=_field(person, "name"),
                    mobile=_field(person, "mobile"),
                    email=_field(person, "email"),
                )
                report, created = services.record_incoming_report(
                    service_user=actor,
                    customer=customer,
                    channel=ReportChannel.WEBHOOK,
                    category=_field(data, "category") or "bug",
                    severity=_field(data, "severity") or "normal",
                    title=_field(data, "title"),
                    steps=_field(data, "steps"),
                    device=_field(data, "device"),
                    app_version=_field(data, "version"),
                    source_id=_field(data, "id"),
                )
        except DomainError as refusal:
            return JsonResponse(
                {"detail": refusal.message}, status=400, json_dumps_params={"ensure_ascii": False}
            )
    return JsonResponse(
        {"report_id": report.pk, "created": created}, status=201 if created else 200
    )
