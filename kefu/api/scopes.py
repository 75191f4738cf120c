"""API token scopes (issue 18.5): a token with scopes reaches only their areas.

The area of a call is the first part of its path under /api/v1/ (`tickets`, `customers`,
`privacy`…); a GET, HEAD or OPTIONS reads, anything else writes. `tickets:write` allows reading
tickets too; `*:read` reads everything. A token without scopes (made before they existed, or on
purpose) reaches everything its user may. The user's own permissions apply on top either way.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from kefu.core.errors import PermissionRefused

READING = frozenset({"GET", "HEAD", "OPTIONS"})
PREFIX = "/api/v1/"


def area_of(path: str) -> str:
    rest = path[len(PREFIX) :] if path.startswith(PREFIX) else path.lstrip("/")
    return rest.split("/", 1)[0]


def allows(scopes: list[str], *, area: str, access: str) -> bool:
    if not scopes:
        return True
    for scope in scopes:
        scope_area, _sep, scope_access = scope.partition(":")
        if scope_area in ("*", area) and scope_access in (access, "write"):
            return True
    return False


def check(request, scopes: list[str]) -> None:
    """Refuse (403, saying which scope is missing) a call the token's scopes do not cover."""
    area = area_of(request.path)
    access = "read" if request.method in READING else "write"
    if not allows(scopes, area=area, access=access):
        raise PermissionRefused(
            _("This API token lacks the scope %(scope)s; its scopes: %(scopes)s.")
            % {"scope": f"{area}:{access}", "scopes": ", ".join(scopes)}
        )
