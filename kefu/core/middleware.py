"""Middleware of the core: the interface language, and clear answers for refused actions."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.html import escape

from kefu.core.errors import DomainError


class LanguageMiddleware:
    """Chinese unless the user chose another language (the menu's switch sets a cookie).

    The browser's Accept-Language is not consulted: agents' machines are often set up in English
    while the team works in Chinese, and the product is Chinese first.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class DomainErrorMiddleware:
    """Turns a DomainError that escaped a view into a clear page or toast, never a stack trace."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        if request.headers.get("HX-Request"):
            response = HttpResponse(f'<div class="alert alert-danger mb-0">{escape(exception.message)}</div>',
                                    status=exception.status_code)
            response["HX-Retarget"] = "#toasts"
            response["HX-Reswap"] = "innerHTML"
            return response
        return render(request, "error.html", {"message": exception.message}, status=exception.status_code)
