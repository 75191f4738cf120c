"""The API assembly: /api/v1/, schema at /api/v1/openapi.json, docs at /api/v1/docs.

Each app keeps its own api.py (a Router) and schemas.py; they are mounted here.
"""

import inspect
import math
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, Throttled, ValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import normalize_path, replace_path_param_notation

from kefu.accounts.services import api_token_for
from kefu.api import scopes
from kefu.api.throttling import PerAddress, PerToken
from kefu.core.bodies import too_large_message
from kefu.core.errors import Conflict, DomainError
from kefu.core.text import clean_data


class BearerToken(HttpBearer):
    """`Authorization: Bearer kefu_…` from `kefu apitoken` (stored hashed)."""

    def authenticate(self, request, token):
        found = api_token_for(token)
        if found is None:
            return None
        scopes.check(request, found.scopes)  # 403 naming the missing scope
        request.user = found.user
        return found.user


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


def typed_path_parameters(router: Router) -> Router:
    """`{customer_id}` becomes `{int:customer_id}` where every operation of the path takes an int.

    Untyped, `/customers/{customer_id}` also matched `/customers/imports` and, registered first,
    answered its POST with 405 (issue 9.1). Typed, a path's integer parameters match digits only,
    whatever order the routers are added in. The schema is unchanged (ninja drops the converter).
    """
    for path in list(router.path_operations):
        names = re.findall(r"{(\w+)}", path)
        typed = path
        for name in names:
            operations = router.path_operations[path].operations
            if all(
                inspect.signature(op.view_func).parameters[name].annotation in (int, "int")
                for op in operations
            ):
                typed = typed.replace("{" + name + "}", "{int:" + name + "}")
        if typed != path:
            router.path_operations[typed] = router.path_operations.pop(path)
    return router


class CleanParser(Parser):
    """JSON bodies without control characters (kefu/core/text.py); query strings and forms are
    cleaned by CleanInputMiddleware before ninja reads them."""

    def parse_body(self, request):
        return clean_data(super().parse_body(request))


class KefuAPI(NinjaAPI):
    def add_router(self, prefix, router, **kwargs):
        return super().add_router(prefix, typed_path_parameters(router), **kwargs)

    def _get_urls(self):
        """Ninja's URL patterns, where a path with an upload operation (`accepts_upload`) carries
        its limit on every pattern of the path: Django resolves a path to its first pattern,
        whatever the method, and the body limit is looked up before the body is read."""
        patterns = super()._get_urls()
        limits = {}
        for bound in self._get_bound_routers():
            for path, path_view in bound.path_operations.items():
                for operation in path_view.operations:
                    declared = getattr(operation.view_func, "max_upload_bytes", None)
                    if declared:
                        route = "/".join(p for p in (bound.prefix, path) if p)
                        limits[normalize_path(replace_path_param_notation(route)).lstrip("/")] = (
                            declared
                        )
        for pattern in patterns:
            declared = limits.get(str(getattr(pattern, "pattern", "")))
            if declared:
                pattern.callback.max_upload_bytes = declared
        return patterns


api = KefuAPI(
    title="kefu API",
    version="1",
    description="kefu 客服 REST API. Authenticate with `Authorization: Bearer <token>` (`kefu apitoken USER [--scope tickets:read] [--days 90]`).",
    auth=[BearerToken(), SessionCookie()],
    urls_namespace="api",
    parser=CleanParser(),
    throttle=[PerToken(), PerAddress()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request, message, status):
    return api.create_response(request, {"detail": str(message)}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    if exc.field:  # a value of the body refused by a rule: a 422 naming it, as the schema's own
        error = {"loc": ["body", exc.field], "msg": exc.message, "type": "value_error"}
        return on_invalid(request, ValidationError([error]))
    if (
        isinstance(exc, Conflict) and exc.current is not None
    ):  # the loser of a race sees the winner's state
        return api.create_response(
            request, {"detail": exc.message, "current": exc.current}, status=exc.status_code
        )
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


@api.exception_handler(Throttled)
def on_throttled(request, exc: Throttled):
    """429; ninja adds Retry-After (whole seconds) from the throttle's wait."""
    seconds = max(1, math.ceil(exc.wait or 1))
    response = _error(
        request, _("Too many requests; try again in %(seconds)d s.") % {"seconds": seconds}, 429
    )
    response["Retry-After"] = str(
        seconds
    )  # also when a bulk call's items ran over (ratelimit.charge)
    return response


@api.exception_handler(RequestDataTooBig)
def on_too_big(request, exc):
    return _error(request, too_large_message(settings.DATA_UPLOAD_MAX_MEMORY_SIZE), 413)


@api.exception_handler(MultiPartParserError)
def on_bad_form(request, exc):
    return _error(request, _("The uploaded form could not be read; send it again."), 400)


@api.exception_handler(ValidationError)
def on_invalid(request, exc: ValidationError):
    """One readable sentence naming the fields, in the user's language; the details for programs."""
    fields = sorted(
        {
            ".".join(str(part) for part in error.get("loc", ())[1:])
            or str(error.get("loc", ("?",))[0])
            for error in exc.errors
        }
    )
    message = _("Some values are missing or not valid: %(fields)s.") % {"fields": ", ".join(fields)}
    return api.create_response(request, {"detail": message, "errors": exc.errors}, status=422)


from kefu.accounts.api import router as accounts_router  # noqa: E402
from kefu.aftersales.api import router as aftersales_router  # noqa: E402
from kefu.automation.api import router as automation_router  # noqa: E402
from kefu.conversations.api import router as conversations_router  # noqa: E402
from kefu.core.api import router as core_router  # noqa: E402
from kefu.customers.api import router as customers_router  # noqa: E402
from kefu.customers.api_transfer import router as customers_transfer_router  # noqa: E402
from kefu.customers.api_work import router as customers_work_router  # noqa: E402
from kefu.dispatch.api import router as dispatch_router  # noqa: E402
from kefu.feedback.api import router as feedback_router  # noqa: E402
from kefu.knowledge.api import router as knowledge_router  # noqa: E402
from kefu.orders.api import router as orders_router  # noqa: E402
from kefu.privacy.api import router as privacy_router  # noqa: E402
from kefu.quality.api import router as quality_router  # noqa: E402
from kefu.quality.api_records import router as quality_records_router  # noqa: E402
from kefu.quality.api_reviews import router as quality_reviews_router  # noqa: E402
from kefu.quality.api_roster import router as quality_roster_router  # noqa: E402
from kefu.quality.api_settings import router as quality_settings_router  # noqa: E402
from kefu.quality.api_writes import router as quality_writes_router  # noqa: E402
from kefu.replies.api import router as replies_router  # noqa: E402
from kefu.reports.api import router as reports_router  # noqa: E402
from kefu.telephony.api import router as telephony_router  # noqa: E402
from kefu.tickets.api import router as tickets_router  # noqa: E402
from kefu.visits.api import router as visits_router  # noqa: E402

api.add_router("", core_router)
api.add_router("", accounts_router)
api.add_router("", customers_router)
api.add_router("", customers_work_router)
api.add_router("", customers_transfer_router)
api.add_router("", tickets_router)
api.add_router("", telephony_router)
api.add_router("", orders_router)
api.add_router("", aftersales_router)
api.add_router("", dispatch_router)
api.add_router("", feedback_router)
api.add_router("", knowledge_router)
api.add_router("", conversations_router)
api.add_router("", replies_router)
api.add_router("", visits_router)
api.add_router("", reports_router)
api.add_router("", quality_router)
api.add_router("", quality_writes_router)
api.add_router("", quality_reviews_router)
api.add_router("", quality_roster_router)
api.add_router("", quality_settings_router)
api.add_router("", quality_records_router)
api.add_router("", automation_router)
api.add_router("", privacy_router)
