"""The API assembly: /api/v1/, schema at /api/v1/openapi.json, docs at /api/v1/docs.

Each app keeps its own api.py (a Router) and schemas.py; they are mounted here.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from kefu.accounts.services import user_for_api_token
from kefu.core.errors import DomainError


class BearerToken(HttpBearer):
    """`Authorization: Bearer kefu_…` from `kefu apitoken` (stored hashed)."""

    def authenticate(self, request, token):
        user = user_for_api_token(token)
        if user is not None:
            request.user = user
        return user


class SessionCookie(APIKeyCookie):
    """The browser's session, for the pages' own calls; CSRF is checked on writes."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = request.user
        if not user.is_authenticated:
            return None
        if user.requires_two_factor and not user.is_verified():
            return None
        return user


api = NinjaAPI(
    title="kefu API",
    version="1",
    description="kefu 客服 REST API. Authenticate with `Authorization: Bearer <token>` (`kefu apitoken USER`).",
    auth=[BearerToken(), SessionCookie()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request, message, status):
    return api.create_response(request, {"detail": str(message)}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return _error(request, exc.message, exc.status_code)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, _("Not found."), 404)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return _error(request, _("You do not have permission to do this."), 403)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return _error(request, _("Sign in or send a valid API token."), 401)


@api.exception_handler(ValidationError)
def on_invalid(request, exc: ValidationError):
    """One readable sentence naming the fields, in the user's language; the details for programs."""
    fields = sorted({".".join(str(part) for part in error.get("loc", ())[1:]) or str(error.get("loc", ("?",))[0])
                     for error in exc.errors})
    message = _("Some values are missing or not valid: %(fields)s.") % {"fields": ", ".join(fields)}
    return api.create_response(request, {"detail": message, "errors": exc.errors}, status=422)


from kefu.accounts.api import router as accounts_router  # noqa: E402
from kefu.conversations.api import router as conversations_router  # noqa: E402
from kefu.core.api import router as core_router  # noqa: E402
from kefu.customers.api import router as customers_router  # noqa: E402
from kefu.customers.api_transfer import router as customers_transfer_router  # noqa: E402
from kefu.customers.api_work import router as customers_work_router  # noqa: E402
from kefu.replies.api import router as replies_router  # noqa: E402
from kefu.telephony.api import router as telephony_router  # noqa: E402
from kefu.tickets.api import router as tickets_router  # noqa: E402

api.add_router("", core_router)
api.add_router("", accounts_router)
api.add_router("", customers_router)
api.add_router("", customers_work_router)
api.add_router("", customers_transfer_router)
api.add_router("", tickets_router)
api.add_router("", telephony_router)
api.add_router("", conversations_router)
api.add_router("", replies_router)
