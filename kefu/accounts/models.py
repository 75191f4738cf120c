"""Organisation and access: users, departments, teams and skills, presence, audit, API tokens."""

import datetime as dt
from collections.abc import Callable
from typing import Any, ClassVar

from django.contrib import auth
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import TWO_FACTOR_ROLES, Role


def _backends_grant(check: Callable[[Any], bool], method: str) -> bool:
    """What Django's PermissionsMixin asks of the backends, through the public API: the first
    backend that grants wins; one that raises PermissionDenied refuses for all."""
    for backend in auth.get_backends():
        if not hasattr(backend, method):
            continue
        try:
            if check(backend):
                return True
        except PermissionDenied:
            return False
    return False


class Department(models.Model):
    """A team inside the company: 客服部 itself, or a responsible department (技术部, 仓库, …)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80, unique=True)
    is_customer_service = models.BooleanField(
        _("customer service department"),
        default=False,
        help_text=_("Agents, supervisors and managers belong to the customer service department."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    """What an agent can handle (售前, 售后, 投诉, VIP, English…); routing matches on it."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A skill group (技能组): agents routed together, with the team's working hours."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="teams", verbose_name=_("department")
    )
    skills = models.ManyToManyField(
        Skill, blank=True, related_name="teams", verbose_name=_("skills")
    )
    work_start = models.TimeField(_("working hours start"), default=dt.time(9, 0))
    work_end = models.TimeField(_("working hours end"), default=dt.time(18, 0))

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(work_start__lt=models.F("work_end")),
                name="team_work_start_before_end",
            )
        ]

    def __str__(self) -> str:
        return self.name


class KefuUserManager(UserManager["User"]):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """`manage.py createsuperuser` makes an administrator: the role, never the superuser flag."""
        extra_fields.update(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=False)
        return self._create_user(username.strip().lower(), email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. `role` decides the permission set (see roles.py); Django's superuser
    flag is ignored, so nobody holds rights that the role table does not show."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("department"),
    )

    objects: ClassVar[KefuUserManager] = KefuUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name or self.username

    # PermissionsMixin answers True for any active superuser; kefu asks the backends (the role) only.
    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return self.is_active and _backends_grant(
            lambda backend: backend.has_perm(self, perm, obj), "has_perm"
        )

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and _backends_grant(
            lambda backend: backend.has_module_perms(self, app_label), "has_module_perms"
        )

    @property
    def requires_two_factor(self) -> bool:
        return self.role in TWO_FACTOR_ROLES


class Presence(models.TextChoices):
    ONLINE = "online", _("Online")  # takes new conversations
    BUSY = "busy", _("Busy")  # keeps current conversations, takes no new ones
    AWAY = "away", _("Away")  # short break; nothing new is routed
    OFFLINE = "offline", _("Offline")  # signed out or off duty


class AgentProfile(models.Model):
    """What routing needs to know of an agent: presence, capacity, skills, teams."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="agent_profile")
    presence = models.CharField(
        _("presence"), max_length=10, choices=Presence.choices, default=Presence.OFFLINE
    )
    presence_changed_at = models.DateTimeField(_("presence changed at"), null=True, blank=True)
    max_concurrent_chats = models.PositiveSmallIntegerField(
        _("maximum concurrent chats"),
        default=5,
    )
    skills = models.ManyToManyField(
        Skill, blank=True, related_name="agents", verbose_name=_("skills")
    )
    teams = models.ManyToManyField(Team, blank=True, related_name="agents", verbose_name=_("teams"))

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_concurrent_chats__gte=1, max_concurrent_chats__lte=50),
                name="agent_profile_max_chats_1_to_50",
            )
        ]

    def __str__(self) -> str:
        return str(self.user)


class AuditAction(models.TextChoices):
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    SIGN_IN_LOCKED = "sign_in_locked", _("Sign-in refused: too many failures")
    SIGN_OUT = "sign_out", _("Signed out")
    TWO_FACTOR_ENROLLED = "two_factor_enrolled", _("Two-factor sign-in set up")
    TWO_FACTOR_FAILED = "two_factor_failed", _("Two-factor code refused")
    PERMISSION_CHANGED = "permission_changed", _("Role or access changed")
    USER_CREATED = "user_created", _("User created")
    USER_DEACTIVATED = "user_deactivated", _("User deactivated")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    REVEAL = "reveal", _("Personal data revealed")
    EXPORT = "export", _("Data exported")
    DELETE = "delete", _("Deleted")
    API_TOKEN_CREATED = "api_token_created", _("API token created")
    ACCESS_DENIED = "access_denied", _("Access denied")
    CALENDAR_CHANGED = "calendar_changed", _("Business calendar changed")
    ORGANISATION_CHANGED = "organisation_changed", _("Department, team or skill changed")
    MERGE = "merge", _("Records merged")
    IMPORT = "import", _("Data imported")
    INBOX_CHANGED = "inbox_changed", _("Chat or e-mail inbox changed")
    TWO_FACTOR_RESET = "two_factor_reset", _("Two-factor sign-in reset")
    RECOVERY_CODES_CREATED = "recovery_codes_created", _("Recovery codes created")
    RECOVERY_CODE_USED = "recovery_code_used", _("Signed in with a recovery code")
    SETTINGS_CHANGED = "settings_changed", _("Settings changed")
    # 紧急事件处理 and 调配: a supervisor taking a chat or ticket, or giving a chat to another agent;
    # details say whether it was done or lost a race ("outcome": "done" / "conflict").
    TAKE_OVER = "take_over", _("Taken over (emergency)")
    REASSIGN = "reassign", _("Reassigned")
    # 质检: a conversation picked, scored, appealed or decided (details say which step).
    QUALITY_REVIEW = "quality_review", _("Quality review")
    # A customer's consent to care or marketing messages given or withdrawn (details: purpose, given).
    CONSENT_CHANGED = "consent_changed", _("Consent changed")
    # 财务: a postage refund or compensation approved, declined or paid; an invoice issued or
    # declined; a courier's claim payment received (details say which).
    FINANCE_DECISION = "finance_decision", _("Finance decision")
    # 个人信息保护 (kefu/privacy): a customer's data copied out, erased, or purged by retention.
    PERSONAL_DATA_EXPORT = "personal_data_export", _("Personal data copy")
    PERSONAL_DATA_ERASURE = "personal_data_erasure", _("Personal data erasure")
    RETENTION_PURGE = "retention_purge", _("Retention purge")


class AuditEntry(models.Model):
    """Who did what to which object, when and from where. Written by services, never edited."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    # Kept as text too: it must survive the user's deletion and name unknown sign-in attempts.
    actor_username = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["action", "-id"], name="audit_action_recent"),
            models.Index(fields=["actor_username", "-id"], name="audit_actor_recent"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_username} {self.action}"


class SignInFailure(models.Model):
    """One failed sign-in, counted by the throttle (per user name and per address)."""

    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} {self.ip_address} {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A bearer token for scripts. Only the SHA-256 digest is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("prefix"), max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # What the token may reach: "tickets:read", "customers:write", "*:read"; empty: everything
    # its user may (tokens made before scopes existed). Checked in kefu/api (api_scopes.py).
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
