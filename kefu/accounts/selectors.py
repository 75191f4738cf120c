"""Reads of the accounts app, and the access_* loaders that fetch with a permission check."""

import ipaddress
from importlib import import_module

from django.conf import settings
from django.contrib import auth
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.crypto import constant_time_compare

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, AuditEntry, Department, Team, User
from kefu.accounts.roles import Perm


def awaiting_two_factor(usernames: list[str]) -> list[str]:
    """Those of `usernames` whose role needs two-factor sign-in and who have not set it up."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    users = User.objects.filter(username__in=usernames, is_active=True)
    enrolled = set(
        TOTPDevice.objects.filter(user__in=users, confirmed=True).values_list("user_id", flat=True)
    )
    pending = {u.username for u in users if u.requires_two_factor and u.pk not in enrolled}
    return [name for name in usernames if name in pending]


def access_user(*, actor: User, user_id: int, request=None) -> User:
    """The user with `user_id` if `actor` may manage users; 404 (audited) otherwise.

    A refusal answers exactly like a missing object, so ids cannot be probed.
    """
    user = User.objects.select_related("department").filter(pk=user_id).first()
    if user is None:
        raise Http404
    if not actor.has_perm(Perm.MANAGE_USERS):
        audit(AuditAction.ACCESS_DENIED, actor=actor, obj=user, request=request)
        raise Http404
    return user


def session_user(session_key: str | None) -> User | None:
    """The user a session signs in now, or None: the session ended (signed out, expired), the
    password changed since it began, or the user is deactivated.

    Django's check of a request's session (`auth.get_user`) for a session held open elsewhere (a
    websocket), without its writes: get_user flushes or re-keys the session it checks, which is
    for the browser's next request to do."""
    if not session_key:
        return None
    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()
    try:
        user_id = User._meta.pk.to_python(data[auth.SESSION_KEY])
        backend_path = data[auth.BACKEND_SESSION_KEY]
    except (KeyError, ValidationError):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = auth.load_backend(backend_path).get_user(user_id)  # None when inactive
    if user is None:
        return None
    session_hash = data.get(auth.HASH_SESSION_KEY) or ""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return user if any(constant_time_compare(session_hash, h) for h in hashes) else None


def search_users(
    *, q: str = "", role: str = "", department_id: int | None = None, active: str = ""
) -> QuerySet[User]:
    qs = User.objects.select_related("department", "agent_profile").order_by("id")
    if q:
        qs = qs.filter(
            Q(username__icontains=q) | Q(display_name__icontains=q) | Q(email__icontains=q)
        )
    if role:
        qs = qs.filter(role=role)
    if department_id:
        qs = qs.filter(department_id=department_id)
    if active in {"1", "0"}:
        qs = qs.filter(is_active=active == "1")
    return qs


def search_audit_log(
    *, q: str = "", action: str = "", actor: str = "", date_from=None, date_to=None
) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.all()
    if action:
        qs = qs.filter(action=action)
    if actor:
        qs = qs.filter(actor_username__iexact=actor.strip())
    if q:
        match = Q(object_repr__icontains=q) | Q(object_id=q)
        if _is_ip(q):
            match |= Q(ip_address=q)
        qs = qs.filter(match)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def departments_with_teams() -> QuerySet[Department]:
    return Department.objects.prefetch_related("teams__skills", "members")


def teams() -> QuerySet[Team]:
    return Team.objects.select_related("department").prefetch_related("skills")
