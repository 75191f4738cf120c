"""Middleware of the core: the interface language, and clear answers for refused actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from django.utils.html import escape

from kefu.core import bodies
from kefu.core.errors import DomainError
from kefu.core.text import has_control_characters, strip_control_characters

if TYPE_CHECKING:
    from django.http.request import _ImmutableQueryDict  # what Django parses: read-only

GetResponse = Callable[[HttpRequest], HttpResponseBase]  # the rest of the chain, then the view


class _Request(HttpRequest):
    """A request as this module sees it, for the type checker: kefu's `body_refused`, and the
    internals of Django's request that its stubs leave out (the form body is parsed into `_post`
    and `_files`; CsrfViewMiddleware skips a request marked `csrf_processing_done`)."""

    body_refused: int | None
    _post: _ImmutableQueryDict
    _files: MultiValueDict[str, UploadedFile]
    csrf_processing_done: bool
    _load_post_and_files: Callable[[], None]


class LanguageMiddleware:
    """Chinese unless the user chose another language (the menu's switch sets a cookie).

    The browser's Accept-Language is not consulted: agents' machines are often set up in English
    while the team works in Chinese, and the product is Chinese first.
    """

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class DomainErrorMiddleware:
    """Turns a DomainError that escaped a view into a clear page or toast, never a stack trace."""

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        return refusal(request, exception.message, status=exception.status_code)


def refusal(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    """A refusal as a page, or as a toast for htmx requests."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(
            f'<div class="alert alert-danger mb-0">{escape(message)}</div>', status=status
        )
        response["HX-Retarget"] = "#toasts"
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "error.html", {"message": message}, status=status)


def _clean_querydict(data: _ImmutableQueryDict) -> _ImmutableQueryDict:
    """The same QueryDict when it is clean (nearly always); else a copy without control characters."""
    if not any(has_control_characters(k + "".join(vs)) for k, vs in data.lists()):
        return data
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        cleaned.setlist(
            strip_control_characters(key), [strip_control_characters(v) for v in values]
        )
    cleaned._mutable = False
    return cast("_ImmutableQueryDict", cleaned)  # immutable again, as Django made it


class CleanInputMiddleware:
    """Query strings and form fields without control characters (kefu/core/text.py), for every page,
    the widget and the API alike. The form body is cleaned when it is first read, not here: upload
    limits must be in place before anything reads it."""

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: _Request) -> HttpResponseBase:
        request.GET = _clean_querydict(request.GET)
        load = request._load_post_and_files

        def load_clean() -> None:
            load()
            request._post = _clean_querydict(request._post)

        request._load_post_and_files = load_clean
        return self.get_response(request)


class RequestBodyLimitMiddleware:
    """Answers a request whose body went over its endpoint's limit (kefu/core/bodies.py). Before
    CsrfViewMiddleware: a body that was not read has no token in it."""

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: _Request) -> HttpResponseBase:
        scope = getattr(request, "scope", None)
        if scope is not None:
            request.body_refused = scope.get(bodies.BODY_REFUSED)
        else:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
            over = declared > (
                settings.DATA_UPLOAD_MAX_MEMORY_SIZE
                if request.method in bodies.METHODS_WITHOUT_BODY
                else bodies.body_limit(request.path_info)
            )
            request.body_refused = declared if over else None
        return self.get_response(request)

    def process_view(
        self,
        request: _Request,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        size = getattr(request, "body_refused", None)
        if not size:
            return None
        max_upload = getattr(view_func, "max_upload_bytes", None)
        limit = max_upload() if max_upload else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request.path_info.startswith(reverse("api:api-root")):
            return JsonResponse({"detail": bodies.too_large_message(limit)}, status=413)
        if max_upload is None:
            return refusal(request, bodies.too_large_message(limit), status=413)
        # An upload view refuses the file by its own size check, with its own message. Nothing was
        # read, so there is no form field, no token to check and nothing for the view to keep.
        request._post = QueryDict()
        request._files = bodies.RefusedFiles(bodies.RefusedUpload(size))
        request.csrf_processing_done = True
        return None
