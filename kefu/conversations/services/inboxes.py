"""Chat inboxes set up by managers: which sites may embed the widget, and how its chats are served."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.conversations.models import ChannelKind, Inbox
from kefu.core.errors import DomainError, PermissionRefused

INBOX_FIELDS = (
    "name",
    "greeting",
    "team",
    "needed_skill",
    "main_account",
    "is_presales",
    "auto_close_minutes",
)


def normalise_origin(text: str) -> str:
    """`https://Shop.Example.cn/` → `https://shop.example.cn`, the form browsers send in Origin;
    anything that is not a bare http(s) site address is refused."""
    text = text.strip().rstrip("/")
    parts = urlsplit(text)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
    ):
        raise DomainError(
            _("“%(origin)s” is not a site address like https://shop.example.cn.")
            % {"origin": text[:100]}
        )
    return f"{parts.scheme}://{parts.netloc}".lower()


def save_inbox(
    *, actor: User, inbox: Inbox | None, origins: list[str], request=None, **fields
) -> Inbox:
    """Create (inbox None) or change a web chat inbox; audited like other organisation settings."""
    if not actor.has_perm(Perm.MANAGE_SETTINGS):
        raise PermissionRefused(_("You do not have permission to do this."))
    unknown = set(fields) - set(INBOX_FIELDS)
    if unknown:
        raise TypeError(f"unknown inbox fields: {sorted(unknown)}")
    inbox = inbox or Inbox(kind=ChannelKind.WEB)
    for name, value in fields.items():
        setattr(inbox, name, value)
    inbox.allowed_origins = list(dict.fromkeys(normalise_origin(o) for o in origins if o.strip()))
    inbox.save()
    audit(
        AuditAction.INBOX_CHANGED,
        actor=actor,
        obj=inbox,
        request=request,
        details={"inbox": inbox.name, "allowed_origins": inbox.allowed_origins},
    )
    return inbox
