"""E-mail inboxes set up by managers: the inbox and its mailbox (address, IMAP, SMTP, user name and
password), checked before saving, audited without the password, and a connection test.

The password is write-only: it is stored encrypted (MailSettings.set_password) and never handed back.
An empty password keeps the stored one, except when a server, port, SSL/STARTTLS setting or the
user name changes: the stored password is only ever sent where it was entered for, so a manager
cannot point the inbox (or the connection test) at another server to learn it.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.conversations.email.connection import (
    CheckResult,
    ConnectionReport,
    classify_mail_error,
    probe_mail_servers,
)
from kefu.conversations.models import ChannelKind, Inbox, MailSettings
from kefu.core.crypto import SecretUnreadable
from kefu.core.errors import DomainError, PermissionRefused

EMAIL_INBOX_FIELDS = ("name", "team", "needed_skill", "main_account", "auto_close_minutes")
MAIL_FIELDS = (
    "address",
    "imap_host",
    "imap_port",
    "imap_ssl",
    "imap_folder",
    "smtp_host",
    "smtp_port",
    "smtp_ssl",
    "smtp_starttls",
    "username",
)
# Where and how the password is sent: changing any of these needs the password typed again.
PASSWORD_BOUND_FIELDS = (
    "imap_host",
    "imap_port",
    "imap_ssl",
    "smtp_host",
    "smtp_port",
    "smtp_ssl",
    "smtp_starttls",
    "username",
)
MAX_PASSWORD = 200

PORT_ERROR = gettext_lazy("Enter the port as a whole number from 1 to 65535.")
HOST_REQUIRED = gettext_lazy("Enter the server's host name, e.g. imap.exmail.qq.com.")
FOLDER_REQUIRED = gettext_lazy("Enter the IMAP folder to fetch from, usually INBOX.")
USERNAME_REQUIRED = gettext_lazy("Enter the user name of the mailbox, usually its e-mail address.")
ADDRESS_REQUIRED = gettext_lazy("Enter the inbox's e-mail address, e.g. kefu@shop.example.cn.")

_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class MailSettingsInvalid(DomainError):
    """The mailbox settings were refused; `errors` maps each field to what to fix."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def normalise_host(text: str) -> str:
    """`IMAP.Exmail.QQ.com ` → `imap.exmail.qq.com`; an IP address or a host name (also 中文 names),
    without scheme, port, path or spaces; anything else is refused."""
    host = (text or "").strip().lower().rstrip(".")
    refusal = DomainError(
        _(
            "“%(host)s” is not a server name: write only the host, e.g. imap.exmail.qq.com (no http://, no port)."
        )
        % {"host": (text or "").strip()[:100]}
    )
    if not host:
        raise DomainError(str(HOST_REQUIRED))
    try:
        return str(ipaddress.ip_address(host.removeprefix("[").removesuffix("]")))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise refusal from None
    labels = ascii_host.split(".")
    if (
        len(ascii_host) > 253
        or not all(_HOST_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise refusal
    return host


def _port_problem(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        return str(PORT_ERROR)
    return None


def mail_settings_problems(
    *, values: dict[str, Any], password: str, stored: MailSettings | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """(the cleaned values, field → what to fix). `stored` is the saved mailbox (None for a new one):
    its password is kept when `password` is empty and nothing it is bound to changed."""
    cleaned = dict(values)
    errors: dict[str, str] = {}
    for field in ("imap_host", "smtp_host"):
        try:
            cleaned[field] = normalise_host(values.get(field) or "")
        except DomainError as refusal:
            errors[field] = refusal.message
    for field in ("imap_port", "smtp_port"):
        if (problem := _port_problem(values.get(field))) is not None:
            errors[field] = problem
    if values.get("smtp_ssl") and values.get("smtp_starttls"):
        errors["smtp_starttls"] = _(
            "Choose SSL or STARTTLS for SMTP, not both: port 465 usually means SSL, port 587 STARTTLS."
        )
    address = (values.get("address") or "").strip()
    try:
        validate_email(address)
        cleaned["address"] = address
    except ValidationError:
        errors["address"] = str(ADDRESS_REQUIRED)
    folder = (values.get("imap_folder") or "").strip()
    if not folder or len(folder) > 100 or _CONTROL.search(folder):
        errors["imap_folder"] = str(FOLDER_REQUIRED)
    cleaned["imap_folder"] = folder
    username = (values.get("username") or "").strip()
    if not username or len(username) > 200 or _CONTROL.search(username):
        errors["username"] = str(USERNAME_REQUIRED)
    cleaned["username"] = username
    for field in ("imap_ssl", "smtp_ssl", "smtp_starttls"):
        cleaned[field] = bool(values.get(field))
    if password:
        if len(password) > MAX_PASSWORD or _CONTROL.search(password):
            errors["password"] = _(
                "The password must be at most 200 characters, without line breaks or control characters."
            )
    elif stored is None or not stored.has_password:
        errors["password"] = _(
            "Enter the password of the mailbox (or the authorisation code your provider gives for IMAP/SMTP)."
        )
    elif any(cleaned[f] != getattr(stored, f) for f in PASSWORD_BOUND_FIELDS):
        errors["password"] = _(
            "Enter the password again: a server, port, SSL setting or the user name changed, and the saved password is only sent where it was entered for."
        )
    return cleaned, errors


def _require_settings_right(actor: User) -> None:
    if not actor.has_perm(Perm.MANAGE_SETTINGS):
        raise PermissionRefused(_("You do not have permission to do this."))


def save_email_inbox(
    *, actor: User, inbox: Inbox | None, password: str = "", request=None, **fields
) -> Inbox:
    """Create (inbox None) or change an e-mail inbox and its mailbox. Audited like other
    organisation settings: which settings changed, never the password (only whether it changed)."""
    _require_settings_right(actor)
    unknown = set(fields) - set(EMAIL_INBOX_FIELDS) - set(MAIL_FIELDS)
    if unknown:
        raise TypeError(f"unknown e-mail inbox fields: {sorted(unknown)}")
    if inbox is not None and inbox.kind != ChannelKind.EMAIL:
        raise DomainError(_("This inbox is not an e-mail inbox."))
    stored = MailSettings.objects.filter(inbox=inbox).first() if inbox is not None else None
    mail_values, errors = mail_settings_problems(
        values={f: fields.get(f) for f in MAIL_FIELDS},
        password=password,
        stored=stored,
    )
    if not (fields.get("name") or "").strip():
        errors["name"] = _("Enter a name for the inbox.")
    if errors:
        raise MailSettingsInvalid(errors)
    with transaction.atomic():
        inbox = inbox or Inbox(kind=ChannelKind.EMAIL, allowed_origins=[])
        changed = [f for f in EMAIL_INBOX_FIELDS if f in fields and getattr(inbox, f) != fields[f]]
        for name in EMAIL_INBOX_FIELDS:
            if name in fields:
                setattr(inbox, name, fields[name])
        inbox.save()
        config = stored or MailSettings(inbox=inbox)
        changed += [f for f in MAIL_FIELDS if getattr(config, f) != mail_values[f]]
        for name in MAIL_FIELDS:
            setattr(config, name, mail_values[name])
        if password:
            config.set_password(password)
        config.save()
        audit(
            AuditAction.INBOX_CHANGED,
            actor=actor,
            obj=inbox,
            request=request,
            details={
                "inbox": inbox.name,
                "kind": ChannelKind.EMAIL.value,
                "created": stored is None,
                "changed": changed if stored is not None else [],
                "password_changed": bool(password),
                "mail": {f: mail_values[f] for f in MAIL_FIELDS},
            },
        )
    return inbox


def check_mail_connection(
    *, actor: User, inbox: Inbox | None, password: str = "", **values
) -> ConnectionReport:
    """Log in to IMAP and SMTP with these settings, saved or not. Without a typed password the
    stored one is used, and only when the servers and user name are the saved ones. Raises
    MailSettingsInvalid when the settings cannot be tried."""
    _require_settings_right(actor)
    stored = MailSettings.objects.filter(inbox=inbox).first() if inbox is not None else None
    cleaned, errors = mail_settings_problems(
        values={f: values.get(f) for f in MAIL_FIELDS}, password=password, stored=stored
    )
    if errors:
        raise MailSettingsInvalid(errors)
    if not password and stored is not None:  # else mail_settings_problems has refused it
        try:
            password = stored.get_password()
        except SecretUnreadable as error:
            failure = CheckResult(ok=False, problem=classify_mail_error(error).problem)
            return ConnectionReport(imap=failure, smtp=failure)
    config = MailSettings(**cleaned)
    return probe_mail_servers(config, password=password)
