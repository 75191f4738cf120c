"""View decorators shared by every app."""

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)
# The request type the view declares (an HttpRequest, or a narrower one such as a request whose
# user is signed in) is kept, so the decorated view is still checked against it.
Req = TypeVar("Req", bound=HttpRequest)
View = Callable[Concatenate[Req, P], R]


def require_perm(*perms: str) -> Callable[[View[Req, P, R]], View[Req, P, R]]:
    """Signed-in users holding any of `perms`; others get the 403 page (and an audit row)."""

    def decorator(view: View[Req, P, R]) -> View[Req, P, R]:
        @wraps(view)
        @login_required
        def wrapped(request: Req, *args: P.args, **kwargs: P.kwargs) -> R:
            if not any(request.user.has_perm(p) for p in perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
