"""Self-service answers in the chat widget, before a person is reached (under /knowledge/widget/).

    GET  /knowledge/widget/<inbox key>/answers/?q=…   the best public articles for what the visitor
                                                     typed: {"query": id, "answers": [{id, title,
                                                     text}]}; text is plain text (the widget shows
                                                     it with textContent, never as HTML)
    POST /knowledge/widget/<inbox key>/answers/<query id>/   {"outcome": "solved"|"person",
                                                     "article": id}: deflection counted

Cross-origin like the widget's own endpoints: only the inbox's allowed origins, no cookies.

Look-ups are limited per network address (KEFU_WIDGET_ANSWERS_PER_ADDRESS_PER_MINUTE, counted by
kefu/core/ratelimit.py): over it, 429 with `Retry-After` and {"error", "retry_after"}. An empty
question stores nothing ({"query": null, "answers": []}); the same question from the same address
within REPEAT_WINDOW seconds answers with the query already stored instead of a new row."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from kefu.conversations.models import ChannelKind, Inbox
from kefu.core import ratelimit
from kefu.core.errors import DomainError
from kefu.knowledge import selectors, services

MAX_BODY = 2_000
REPEAT_WINDOW = 300  # seconds: the same question again from one address is the same query

P = ParamSpec("P")
WidgetView = Callable[Concatenate[HttpRequest, P], HttpResponse]


def _answer(payload: dict[str, Any], status: int, origin: str | None) -> HttpResponse:
    response = JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        patch_vary_headers(response, ["Origin"])
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _inbox(inbox_key: str, origin: str) -> Inbox | None:
    inbox = Inbox.objects.filter(public_key=inbox_key, kind=ChannelKind.WEB).first()
    return inbox if inbox is not None and inbox.allows_origin(origin) else None


def _in_chinese(view: WidgetView[P]) -> WidgetView[P]:
    """The widget speaks Chinese unless it asks for English (`?lang=en`), as its own endpoints do."""

    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        language = "en" if request.GET.get("lang") == "en" else "zh-hans"
        with translation.override(language):
            return view(request, *args, **kwargs)

    return wrapper


@csrf_exempt
@_in_chinese
def answers(request: HttpRequest, inbox_key: str) -> HttpResponse:
    origin = request.headers.get("Origin", "")
    inbox = _inbox(inbox_key, origin)
    if inbox is None:
        return _answer({"error": _("This site may not use this chat.")}, 403, None)
    if request.method == "OPTIONS":
        return _answer({}, 200, origin)
    if request.method != "GET":
        return _answer({"error": _("Unknown request.")}, 405, origin)
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    wait = ratelimit.hit(
        f"widget-answers:{address}", settings.KEFU_WIDGET_ANSWERS_PER_ADDRESS_PER_MINUTE, 60
    )
    if wait is not None:
        retry_after = max(1, math.ceil(wait))
        response = _answer(
            {
                "error": _("Too many questions from your network; please wait a minute."),
                "retry_after": retry_after,
            },
            429,
            origin,
        )
        response["Retry-After"] = str(retry_after)
        return response
    question = request.GET.get("q", "")[:500].strip()
    if not question:
        return _answer({"query": None, "answers": []}, 200, origin)
    found, _words = selectors.self_service_answers(question)
    digest = hashlib.sha256(f"{inbox_key}\0{address}\0{question}".encode()).hexdigest()[:32]
    seen = f"kefu:widget-question:{digest}"
    query_id = cache.get(seen)
    if query_id is None:
        query_id = services.record_self_service(
            inbox_id=inbox.pk, question=question, article_ids=[a.pk for a in found]
        ).pk
        cache.set(seen, query_id, timeout=REPEAT_WINDOW)
    return _answer(
        {
            "query": query_id,
            "answers": [{"id": a.pk, "title": a.title, "text": a.body[:1500]} for a in found],
        },
        200,
        origin,
    )


@csrf_exempt
@_in_chinese
def settle(request: HttpRequest, inbox_key: str, query_id: int) -> HttpResponse:
    origin = request.headers.get("Origin", "")
    inbox = _inbox(inbox_key, origin)
    if inbox is None:
        return _answer({"error": _("This site may not use this chat.")}, 403, None)
    if request.method == "OPTIONS":
        return _answer({}, 200, origin)
    if request.method != "POST" or len(request.body) > MAX_BODY:
        return _answer({"error": _("Unknown request.")}, 405, origin)
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return _answer({"error": _("Unknown request.")}, 400, origin)
    article = data.get("article")
    try:
        services.settle_self_service(
            inbox_id=inbox.pk,
            query_id=query_id,
            outcome=str(data.get("outcome", "")),
            article_id=article
            if isinstance(article, int) and not isinstance(article, bool)
            else None,
        )
    except DomainError as refusal:
        return _answer({"error": str(refusal.message)}, 400, origin)
    return _answer({"ok": True}, 200, origin)


urlpatterns = [
    path("widget/<str:inbox_key>/answers/", answers, name="widget_answers"),
    path("widget/<str:inbox_key>/answers/<int:query_id>/", settle, name="widget_settle"),
]
