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
View = Callable[Concatenate[HttpRequest, P], R]


def require_perm(*perms: str) -> Callable[[View[P, R]], View[P, R]]:
    """Signed-in users holding any of `perms`; others get the 403 page (and an audit row)."""

    def decorator(view: View[P, R]) -> View[P, R]:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> R:
            if not any(request.user.has_perm(p) for p in perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
