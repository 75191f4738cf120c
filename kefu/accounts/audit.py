"""Writing the audit log. One function; every sensitive action calls it inside its transaction."""

from typing import Any

from django.apps import apps
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import AuditAction, AuditEntry

# What older audit rows name when they are about no single object (exports wrote what they exported
# in English; they now write the export's Chinese label as the object itself).
OBJECT_KINDS = {
    "customers": _("Customers"),
    "chat statistics": _("Chat statistics"),
    "complaint statistics": _("Complaint statistics"),
    "url": _("Page"),
}


def object_kind(object_type: str) -> str:
    """The kind of object an audit row is about, in the reader's language: a model's name
    ("accounts.user" → 用户) or one of OBJECT_KINDS; nothing for anything else (the row's object
    names itself), never an English code."""
    if object_type in OBJECT_KINDS:
        return str(OBJECT_KINDS[object_type])
    if "." in object_type:
        try:
            return capfirst(apps.get_model(object_type)._meta.verbose_name)
        except (LookupError, ValueError):
            pass
    return ""


def client_address(request) -> str | None:
    """The client's address. Behind a proxy, REMOTE_ADDR is set from X-Forwarded-For by the ASGI
    server (uvicorn --forwarded-allow-ips), never parsed here from a header anyone can send."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit(
    action: AuditAction,
    *,
    actor=None,
    actor_username: str = "",
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    request=None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_username = actor_username or actor.get_username()
    else:
        actor = None
    return AuditEntry.objects.create(
        actor=actor,
        actor_username=actor_username[:150],
        action=action,
        object_type=object_type[:60],
        object_id=object_id[:64],
        object_repr=object_repr[:200],
        ip_address=client_address(request),
        details=details or {},
    )
