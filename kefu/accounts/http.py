"""The request a view behind sign-in receives, for the type checker.

Django's `HttpRequest.user` is a user or the anonymous user; behind `login_required`,
`require_perm` or the API's authentication it is always a signed-in kefu `User`. Views there
annotate `request: AuthenticatedRequest` (django-stubs' documented pattern) so that
`request.user` can be passed where a `User` is expected, without a cast in every view.
"""

from django.http import HttpRequest

from kefu.accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """Never instantiated: Django builds the request; this only names what it carries."""

    user: User
