"""HTTP endpoints of the chat widget (kefu/static/kefu/widget.js), under /widget/.

    GET  /widget/<inbox key>/config/    inbox name, whether somebody is on duty, greeting
    POST /widget/<inbox key>/upload/    an image sent in the chat (multipart: image, key)
    POST /widget/<inbox key>/offline/   the offline form (JSON: name, contact, message) → a ticket
    POST /widget/<inbox key>/feedback/  the feedback form (JSON: name, contact, category, title,
                                        steps, version, device) → a feedback report (反馈/BUG)
    GET  /widget/images/<id>/           an image of a chat: its visitor (token) or an agent who may
                                        see the conversation (session)

The widget runs on customers' own sites, so these answer cross-origin requests, but only from the
inbox's allowed origins (the same list the visitor socket checks): any other origin, or none, is
refused before anything is read or written. There is no session and no CSRF token: the visitor is
who the signed token in the `X-Kefu-Token` header says (the token the socket's welcome gave), and
a browser cannot send that header cross-origin without the preflight this module answers. Errors
are JSON `{"error": "…"}` in the widget's language (`?lang=en`, Chinese by default).
"""

from __future__ import annotations

import json
from functools import wraps

from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import path
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from kefu.conversations import identity
from kefu.conversations.models import ChannelKind, ChatImage, Inbox, Visitor
from kefu.conversations.selectors import access_conversation, on_duty, team_hours
from kefu.conversations.services import widget as widget_service
from kefu.core.bodies import accepts_upload
from kefu.core.errors import DomainError
from kefu.core.uploads import max_upload_bytes

TOKEN_HEADER = "X-Kefu-Token"  # noqa: S105  (a header name, not a secret)
PREFLIGHT_MAX_AGE = 600
MAX_JSON_BYTES = 20_000


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"error": str(message)}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _cors(response: HttpResponseBase, origin: str, methods: str) -> HttpResponseBase:
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Allow-Methods"] = methods
    response["Access-Control-Allow-Headers"] = f"Content-Type, {TOKEN_HEADER}"
    response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    patch_vary_headers(response, ["Origin"])
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _language(request) -> str:
    return "en" if request.GET.get("lang") == "en" else "zh-hans"


def _visitor(request, inbox: Inbox) -> Visitor | None:
    token = request.headers.get(TOKEN_HEADER, "")
    token_id = identity.read_visitor_token(token, inbox_id=inbox.pk) if token else None
    return Visitor.objects.filter(inbox=inbox, token_id=token_id).first() if token_id else None


def widget_endpoint(method: str):
    """Look up the inbox, refuse other origins, answer the preflight, check the token when
    `needs_visitor`, turn refusals into JSON, and add the CORS headers for the allowed origin."""

    def decorate(view):
        needs_visitor = method == "POST"

        @csrf_exempt
        @wraps(view)
        def wrapper(request, inbox_key: str):
            with translation.override(_language(request)):
                inbox = Inbox.objects.filter(public_key=inbox_key, kind=ChannelKind.WEB).first()
                if inbox is None:
                    return _error(_("This chat is not available."), 404)
                origin = request.headers.get("Origin", "")
                if not inbox.allows_origin(origin):
                    return _error(_("This site may not use this chat."), 403)
                allowed = f"{method}, OPTIONS"
                if request.method == "OPTIONS":
                    return _cors(HttpResponse(status=204), origin, allowed)
                if request.method != method:
                    return _cors(_error(_("Unknown request."), 405), origin, allowed)
                visitor = None
                if needs_visitor:
                    visitor = _visitor(request, inbox)
                    if visitor is None:
                        return _cors(
                            _error(
                                _("Your chat session has expired; please reload the page."), 401
                            ),
                            origin,
                            allowed,
                        )
                try:
                    response = view(request, inbox, visitor)
                except DomainError as error:
                    response = _error(error.message, error.status_code)
                except Http404:
                    response = _error(_("Conversation not found."), 404)
                return _cors(response, origin, allowed)

        return wrapper

    return decorate


@widget_endpoint("GET")
def config(request, inbox: Inbox, visitor: Visitor | None) -> JsonResponse:
    """What the widget shows before the visitor types: an empty greeting means the widget's own.
    `hours`: the inbox team's working hours, which the message form names when nobody is on duty."""
    return JsonResponse(
        {
            "inbox": inbox.name,
            "online": on_duty(inbox),
            "hours": team_hours(inbox.team) if inbox.team_id else "",
            "greeting": inbox.greeting,
            "max_image_bytes": max_upload_bytes(),
        },
        json_dumps_params={"ensure_ascii": False},
    )


@widget_endpoint("POST")
@accepts_upload(max_upload_bytes)
def upload(request, inbox: Inbox, visitor: Visitor) -> JsonResponse:
    image = request.FILES.get("image")
    if image is None:
        raise DomainError(_("Choose an image to send."))
    message = widget_service.send_visitor_image(
        visitor=visitor, upload=image, client_key=request.POST.get("key")
    )
    return JsonResponse(
        {
            "event": "ack",
            "key": message.client_key,
            "conversation_id": message.conversation_id,
            "seq": message.seq,
            "message_id": message.pk,
            "body": message.body,
        },
        json_dumps_params={"ensure_ascii": False},
    )


@widget_endpoint("POST")
def offline(request, inbox: Inbox, visitor: Visitor) -> JsonResponse:
    if len(request.body) > MAX_JSON_BYTES:
        raise DomainError(_("The message is too long."))
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise DomainError(_("Unknown request."))
    ticket = widget_service.leave_offline_message(
        inbox=inbox,
        visitor=visitor,
        name=data.get("name"),
        contact=data.get("contact"),
        message=data.get("message"),
    )
    return JsonResponse({"ticket_number": ticket.number}, status=201)


@widget_endpoint("POST")
def feedback(request, inbox: Inbox, visitor: Visitor) -> JsonResponse:
    """The widget's feedback form: the visitor reports a problem or a bug themselves; it becomes a
    report on the development department's list (kefu/feedback), told back when its state moves."""
    if len(request.body) > MAX_JSON_BYTES:
        raise DomainError(_("The message is too long."))
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise DomainError(_("Unknown request."))
    report = widget_service.leave_feedback(
        visitor=visitor,
        name=data.get("name"),
        contact=data.get("contact"),
        category=data.get("category"),
        title=data.get("title"),
        steps=data.get("steps"),
        version=data.get("version"),
        device=data.get("device"),
    )
    return JsonResponse({"report_id": report.pk}, status=201)


@csrf_exempt
def image(request, public_id: str):
    """An image of a chat. From a site (cross-origin, the widget's fetch with the token): the
    conversation's own visitor only. Signed in: an agent who may see the conversation. Anyone
    else gets the same 404 as for an image that does not exist."""
    chat_image = (
        ChatImage.objects.select_related("conversation__inbox").filter(public_id=public_id).first()
    )
    if chat_image is None:
        raise Http404
    conversation = chat_image.conversation
    origin = request.headers.get("Origin", "")
    cross_origin = bool(origin) and conversation.inbox.allows_origin(origin)
    if request.method == "OPTIONS":
        if not cross_origin:
            raise Http404
        return _cors(HttpResponse(status=204), origin, "GET, OPTIONS")
    if request.method != "GET":
        raise Http404
    if request.headers.get(TOKEN_HEADER):
        visitor = _visitor(request, conversation.inbox)
        if visitor is None or visitor.pk != conversation.visitor_id:
            raise Http404
    elif request.user.is_authenticated:
        access_conversation(actor=request.user, conversation_id=conversation.pk)
    else:
        raise Http404
    response = FileResponse(chat_image.file.open("rb"), content_type=chat_image.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    if cross_origin:
        _cors(response, origin, "GET, OPTIONS")
    response["X-Content-Type-Options"] = "nosniff"
    return response


app_name = "widget"
urlpatterns = [
    path("images/<str:public_id>/", image, name="image"),
    path("<str:inbox_key>/config/", config, name="config"),
    path("<str:inbox_key>/upload/", upload, name="upload"),
    path("<str:inbox_key>/feedback/", feedback, name="widget_feedback"),
    path("<str:inbox_key>/offline/", offline, name="offline"),
]
