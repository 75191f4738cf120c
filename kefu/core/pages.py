"""Small helpers for the pages of every app."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect

from kefu.core.errors import DomainError


def perform(
    request: HttpRequest,
    action: Callable[[], Any],
    *,
    success: str,
    then: str,
    **url_kwargs: Any,
) -> HttpResponseRedirect:
    """Run one service call for a form post: its refusal becomes the page's error message, its
    success the confirmation; either way back to the page `then` (a URL name)."""
    try:
        action()
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, success)
    # Not permanent (the default); the stubs cannot tell that through **url_kwargs.
    response: HttpResponseRedirect = redirect(then, **url_kwargs)
    return response
