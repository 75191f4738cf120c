"""Writes of the accounts app: sign-in, users and roles, presence, reveals, API tokens, 2FA."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
import secrets
import time
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kefu.accounts.audit import audit, client_address
from kefu.accounts.events import PresenceChanged, RoleChanged, StandingChanged
from kefu.accounts.masking import PersonalKind
from kefu.accounts.models import (
    AgentProfile,
    ApiToken,
    AuditAction,
    Department,
    Presence,
    SignInFailure,
    User,
)
from kefu.accounts.roles import Perm, Role
from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.events import emit
from kefu.core.process_cache import SharedStamp


class SignInRefused(DomainError):
    status_code = 401


# One message for an unknown user name and a wrong password, so neither can be told apart.
def _bad_credentials() -> str:
    return _("The user name or password is incorrect.")


def _normalised(username: str) -> str:
    return username.strip().lower()[:150]


def _is_throttled(username: str, ip: str | None, *, before: int) -> bool:
    """Too many failures in the window, counting the attempts recorded before attempt `before`."""
    since = timezone.now() - dt.timedelta(seconds=settings.KEFU_SIGN_IN_WINDOW_SECONDS)
    recent = SignInFailure.objects.filter(created_at__gte=since, pk__lt=before)
    if recent.filter(username=username).count() >= settings.KEFU_SIGN_IN_MAX_FAILURES:
        return True
    return bool(
        ip
        and recent.filter(ip_address=ip).count() >= settings.KEFU_SIGN_IN_MAX_FAILURES_PER_ADDRESS
    )


def sign_in(request, *, username: str, password: str) -> User:
    """Check the password under the throttle, start the session, audit either way.

    The attempt is written down before the password is checked and struck off when it succeeds,
    so guesses sent in parallel count against each other and cannot all slip under the limit."""
    name = _normalised(username)
    ip = client_address(request)
    attempt = SignInFailure.objects.create(username=name, ip_address=ip)
    if _is_throttled(name, ip, before=attempt.pk):
        attempt.delete()
        audit(AuditAction.SIGN_IN_LOCKED, actor_username=name, request=request)
        minutes = max(settings.KEFU_SIGN_IN_WINDOW_SECONDS // 60, 1)
        raise SignInRefused(
            _("Too many failed sign-ins. Please try again in %(minutes)d minutes.")
            % {"minutes": minutes}
        )
    user = authenticate(request, username=name, password=password)
    if user is None:
        inactive = User.objects.filter(username__iexact=name, is_active=False).first()
        audit(AuditAction.SIGN_IN_FAILED, actor_username=name, request=request)
        if inactive is not None and inactive.check_password(password):
            raise SignInRefused(_("This account is disabled. Please contact your administrator."))
        raise SignInRefused(_bad_credentials())
    attempt.delete()
    login(request, user)
    audit(AuditAction.SIGN_IN, actor=user, request=request, obj=user)
    return user


def sign_out(request) -> None:
    user = request.user if request.user.is_authenticated else None
    if user is not None:
        audit(AuditAction.SIGN_OUT, actor=user, request=request, obj=user)
        if hasattr(user, "agent_profile"):
            set_presence(user=user, presence=Presence.OFFLINE)
    logout(request)
    if user is not None:  # once the session has ended: its sockets find it gone
        emit(StandingChanged(user_id=user.pk, reason="signed_out"))


# --- two-factor -----------------------------------------------------------------------------------


def pending_totp_device(user: User) -> TOTPDevice:
    """The unconfirmed device a user is setting up (made once, kept until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="kefu", confirmed=False)


def has_confirmed_totp(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


RECOVERY_CODE_COUNT = 10


def verify_second_factor(request, *, code: str) -> bool:
    """Check a TOTP code (confirms a device being set up, or verifies a confirmed one) or, once a
    device is confirmed, one of the user's recovery codes (each works once). A first confirmation
    creates the recovery codes and leaves them in the session, to be shown once."""
    user = request.user
    confirmed = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    digits = "".join(c for c in code if c.isdigit())
    for device in confirmed or [pending_totp_device(user)]:
        if device.verify_token(digits):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit(AuditAction.TWO_FACTOR_ENROLLED, actor=user, request=request, obj=user)
                request.session[NEW_RECOVERY_CODES] = create_recovery_codes(
                    user=user, request=request
                )
            otp_login(request, device)
            return True
    recovery = "".join(c for c in code.lower() if c.isalnum())
    if confirmed and recovery:
        for device in StaticDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(recovery):
                otp_login(request, device)
                left = device.token_set.count()
                audit(
                    AuditAction.RECOVERY_CODE_USED,
                    actor=user,
                    request=request,
                    obj=user,
                    details={"codes_left": left},
                )
                return True
    audit(AuditAction.TWO_FACTOR_FAILED, actor=user, request=request, obj=user)
    return False


NEW_RECOVERY_CODES = "kefu_new_recovery_codes"  # session key: codes made but not yet shown


@transaction.atomic
def create_recovery_codes(*, user: User, request=None) -> list[str]:
    """Ten new one-time recovery codes for `user` (django-otp static tokens), replacing any old
    ones. Returned once to show the user; only they can see them again by making new ones."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="kefu recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    audit(AuditAction.RECOVERY_CODES_CREATED, actor=user, obj=user, request=request)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def reset_two_factor(*, actor: User, user: User, request=None) -> User:
    """A user administrator removes someone's authenticator and recovery codes (a lost phone):
    at their next sign-in they set up two-factor again. Audited."""
    _require(actor, Perm.MANAGE_USERS)
    if user.role == Role.ADMINISTRATOR and actor.role != Role.ADMINISTRATOR:
        raise PermissionRefused(_("Only an administrator can change an administrator's account."))
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    removed += StaticDevice.objects.filter(user=user).delete()[0]
    audit(
        AuditAction.TWO_FACTOR_RESET,
        actor=actor,
        obj=user,
        request=request,
        details={"devices_removed": removed},
    )
    return user


# --- users and roles ------------------------------------------------------------------------------


def _require(actor: User, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionRefused(_("You do not have permission to do this."))


def _staff_flags(user: User) -> None:
    user.is_staff = user.role == Role.ADMINISTRATOR


def _keep_an_administrator(user: User) -> None:
    """Refuse to remove the last active administrator: nobody could manage the system after."""
    others = User.objects.filter(role=Role.ADMINISTRATOR, is_active=True).exclude(pk=user.pk)
    if user.role == Role.ADMINISTRATOR and user.is_active and not others.exists():
        raise DomainError(
            _("This is the last active administrator; make someone else administrator first.")
        )


@transaction.atomic
def create_user(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    department: Department | None = None,
    display_name: str = "",
    mobile: str = "",
    email: str = "",
    request=None,
    check_password: bool = True,
    password_hash: str = "",
) -> User:
    """Create a user with a role. `actor=None` is the operator's console (createadmin, demo).
    `password_hash`, an encoded password (make_password), is stored instead of hashing `password`:
    the demo's users share one password, and each Argon2 hash costs about a second and 100 MiB."""
    if actor is not None:
        _require(actor, Perm.MANAGE_USERS)
    username = _normalised(username)
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("The user name “%(name)s” is taken.") % {"name": username})
    user = User(
        username=username,
        role=role,
        department=department,
        display_name=display_name,
        mobile=mobile,
        email=email,
    )
    if password_hash:
        user.password = password_hash
    else:
        if check_password:
            validate_password(password, user)
        user.set_password(password)
    _staff_flags(user)
    user.save()
    if role in {Role.AGENT, Role.SUPERVISOR, Role.MANAGER}:
        AgentProfile.objects.create(user=user)
    audit(AuditAction.USER_CREATED, actor=actor, obj=user, request=request, details={"role": role})
    return user


@transaction.atomic
def change_role(*, actor: User, user: User, role: str, request=None) -> User:
    _require(actor, Perm.MANAGE_USERS)
    if role not in Role.values:
        raise DomainError(_("Unknown role."))
    if user.role == Role.ADMINISTRATOR and actor.role != Role.ADMINISTRATOR:
        raise PermissionRefused(_("Only an administrator can change an administrator's role."))
    if role == Role.ADMINISTRATOR and actor.role != Role.ADMINISTRATOR:
        raise PermissionRefused(_("Only an administrator can make someone an administrator."))
    user = User.objects.select_for_update().get(pk=user.pk)
    old_role = user.role
    if old_role == role:
        return user
    _keep_an_administrator(user)
    user.role = role
    _staff_flags(user)
    user.save(update_fields=["role", "is_staff"])
    if role in {Role.AGENT, Role.SUPERVISOR, Role.MANAGER}:
        AgentProfile.objects.get_or_create(user=user)
    audit(
        AuditAction.PERMISSION_CHANGED,
        actor=actor,
        obj=user,
        request=request,
        details={"from": old_role, "to": role},
    )
    emit(RoleChanged(user_id=user.pk, old_role=old_role, new_role=role, changed_by_id=actor.pk))
    emit(StandingChanged(user_id=user.pk, reason="role_changed"))
    return user


@transaction.atomic
def set_user_active(*, actor: User, user: User, active: bool, request=None) -> User:
    _require(actor, Perm.MANAGE_USERS)
    if user.pk == actor.pk and not active:
        raise DomainError(_("You cannot deactivate your own account."))
    if user.role == Role.ADMINISTRATOR and actor.role != Role.ADMINISTRATOR:
        raise PermissionRefused(_("Only an administrator can change an administrator's account."))
    if not active:
        _keep_an_administrator(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit(
        AuditAction.USER_DEACTIVATED if not active else AuditAction.PERMISSION_CHANGED,
        actor=actor,
        obj=user,
        request=request,
        details={"active": active},
    )
    emit(StandingChanged(user_id=user.pk, reason="reactivated" if active else "deactivated"))
    return user


@transaction.atomic
def change_own_password(request, *, new_password: str) -> User:
    """The signed-in user's new password (the form has checked the old one and the rules). The
    current session stays signed in; every other session of the user ends. Audited."""
    user = request.user
    user.set_password(new_password)
    user.save(update_fields=["password"])
    update_session_auth_hash(request, user)
    audit(
        AuditAction.PASSWORD_CHANGED, actor=user, obj=user, request=request, details={"by": "self"}
    )
    emit(StandingChanged(user_id=user.pk, reason="password_changed"))
    return user


@transaction.atomic
def set_password_for(*, actor: User, user: User, new_password: str, request=None) -> User:
    """A user administrator sets someone's password (forgotten password); their sessions end. Audited."""
    _require(actor, Perm.MANAGE_USERS)
    if user.role == Role.ADMINISTRATOR and actor.role != Role.ADMINISTRATOR:
        raise PermissionRefused(_("Only an administrator can change an administrator's account."))
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit(
        AuditAction.PASSWORD_CHANGED,
        actor=actor,
        obj=user,
        request=request,
        details={"by": "administrator"},
    )
    emit(StandingChanged(user_id=user.pk, reason="password_changed"))
    return user


@transaction.atomic
def set_presence(*, user: User, presence: str) -> AgentProfile:
    if presence not in Presence.values:
        raise DomainError(_("Unknown presence."))
    profile, _created = AgentProfile.objects.select_for_update().get_or_create(user=user)
    if profile.presence != presence:
        profile.presence = presence
        profile.presence_changed_at = timezone.now()
        profile.save(update_fields=["presence", "presence_changed_at"])
        emit(PresenceChanged(user_id=user.pk, presence=presence))
    return profile


# --- departments, teams, skills -------------------------------------------------------------------


@transaction.atomic
def save_organisation_unit(*, actor: User, form, request=None):
    """Save a validated Department, Team or Skill form (settings page), new or changed; audited
    with the fields that changed and, for a change, their earlier values."""
    _require(actor, Perm.MANAGE_USERS)
    created = form.instance.pk is None
    before = {} if created else {f: str(form.initial.get(f, "")) for f in form.changed_data}
    unit = form.save()
    audit(
        AuditAction.ORGANISATION_CHANGED,
        actor=actor,
        obj=unit,
        request=request,
        details={"created": created, "fields": sorted(form.changed_data), "before": before},
    )
    return unit


# --- personal data --------------------------------------------------------------------------------


def reveal_personal_data(
    *, actor: User, obj, field: str, kind: PersonalKind, subject=None, request=None
) -> str:
    """Show one masked value in full to a user allowed to see it, and audit that they did.

    `subject` is whose data it is when `obj` is a part of it (a customer's contact identity); the
    audit row names the subject, never the value itself.
    """
    _require(actor, Perm.REVEAL_PERSONAL_DATA)
    value = getattr(obj, field) or ""
    details = {"field": field, "kind": str(kind)}
    if subject is not None:
        details["part"] = f"{obj._meta.label_lower}:{obj.pk}"
    audit(AuditAction.REVEAL, actor=actor, obj=subject or obj, request=request, details=details)
    return value


# --- API tokens -----------------------------------------------------------------------------------

TOKEN_PREFIX = "kefu_"  # noqa: S105  a marker that tells a kefu token at a glance, not a secret


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_api_token(
    *,
    user: User,
    name: str,
    actor: User | None = None,
    scopes: Iterable[str] = (),
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token; the raw value is returned once and only its digest is stored. `scopes` (e.g.
    "tickets:read") narrow what it reaches, none: all its user may; `expires_at` ends it."""
    scopes = sorted(set(check_scopes(scopes)))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:80],
        prefix=raw[:12],
        digest=_digest(raw),
        scopes=scopes,
        expires_at=expires_at,
    )
    audit(
        AuditAction.API_TOKEN_CREATED,
        actor=actor,
        obj=user,
        details={
            "token": token.prefix,
            "scopes": scopes,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, raw


# A scope: an area of the API (the first part of its path: tickets, customers, canned-replies…, or
# * for all) and read (GET) or write (everything, reading included).
SCOPE = re.compile(r"^(\*|[a-z][a-z_-]{0,39}):(read|write)$")


def check_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes as given, or a refusal naming the first one that is not `area:read|write`."""
    checked = []
    for scope in scopes:
        if not SCOPE.match(scope):
            raise DomainError(
                _("“%(scope)s” is not a scope; write area:read or area:write, e.g. tickets:read.")
                % {"scope": scope[:50]}
            )
        checked.append(scope)
    return checked


# Verified tokens are kept per process for a few seconds (issue 11.3: the look-up was a sixth of an
# API write). Keyed by the token's digest; an entry is trusted only while the shared stamp it was
# read under (core.process_cache.SharedStamp) is still current: any save or delete of a token or a
# user (a revoke, a deactivation, a role change) changes it in Django's cache (Redis when scaled, so
# every process sees it) and clears this process's entries, so the change takes effect on the next
# request everywhere. Whatever else a request reads through the user (its department…) is read
# fresh, as before.
TOKEN_CACHE_SECONDS = 10.0
TOKENS_CHANGED = SharedStamp("accounts:api-token-generation")
TOKEN_GENERATION_KEY = TOKENS_CHANGED.key
_verified: dict[str, tuple[float, object, ApiToken]] = {}  # digest → (until, stamp, token)


# Saves that cannot make a kept token wrong: a sign-in's time, a new password (a bearer token does
# not use it), a token's last use. Every sign-in saves the user; it must not empty every cache.
HARMLESS_FIELDS = frozenset({"last_login", "password", "last_used_at"})


def token_or_user_changed(
    *, created: bool = False, update_fields: frozenset[str] | None = None, **_kwargs: object
) -> None:
    """post_save / post_delete of ApiToken and User (connected in AccountsConfig.ready): forget now,
    and again once the change commits, so a request that read the old row meanwhile cannot keep it.
    A new row or a save of harmless fields only changes nothing a kept token relies on."""
    if created or (update_fields and update_fields <= HARMLESS_FIELDS):
        return
    TOKENS_CHANGED.change_now_and_on_commit(then=_verified.clear)


def _private_copy(token: ApiToken) -> ApiToken:
    """The cached token and user are shared; each request gets copies, without related objects."""
    mine = copy.copy(token)
    user = copy.copy(token.user)
    user._state.fields_cache = {}
    mine.user = user
    return mine


def api_token_for(raw: str) -> ApiToken | None:
    """The live token (not revoked, not expired, its user active) for a raw bearer value."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    now = timezone.now()
    digest = _digest(raw)
    generation = TOKENS_CHANGED.current()  # read before the row: a change after it changes it
    held = _verified.get(digest)
    if held is not None:
        until, seen, token = held
        if (
            seen == generation
            and time.monotonic() < until
            and (token.expires_at is None or token.expires_at > now)
        ):
            _note_use(token, now)
            return _private_copy(token)
        _verified.pop(digest, None)
    found = list(  # [:1], not first(): no ORDER BY to compile on every API request
        ApiToken.objects.select_related("user")
        .filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by()[:1]
    )
    if not found:
        return None
    token = found[0]
    _note_use(token, now)
    _verified[digest] = (time.monotonic() + TOKEN_CACHE_SECONDS, generation, token)
    return _private_copy(token)


def _note_use(token: ApiToken, now: dt.datetime) -> None:
    """`last_used_at`, to the minute (a query update: it does not count as a change of the token)."""
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def user_for_api_token(raw: str) -> User | None:
    token = api_token_for(raw)
    return token.user if token is not None else None
