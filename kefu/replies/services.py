"""Writes of canned replies, and filling their variables."""

import re

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import Team, User
from kefu.accounts.roles import Perm
from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.text import strip_control_characters
from kefu.replies.models import CannedReply, ReplyCategory

# The variables kefu fills when a reply is inserted. No order number: no order is linked to a chat
# or a ticket yet (the orders app comes later), so {order_no} is not offered (issue 9.13).
VARIABLES = ("customer_name", "agent_name")
VARIABLE_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
SHORTCUT_RE = re.compile(r"^[\w\-]{1,30}$")
MAX_BODY = 2000


def fill_variables(body: str, *, customer_name: str = "", agent_name: str = "") -> str:
    """The reply with its variables filled. A variable without a value (no customer known yet)
    stays as written, so the agent sees what is left to type; other brace text is left alone."""
    values = {"customer_name": customer_name, "agent_name": agent_name}
    for name, value in values.items():
        if value:
            body = body.replace("{" + name + "}", value)
    return body


def _clean(*, shortcut: str, title: str, body: str, category: str) -> tuple[str, str, str]:
    shortcut = (shortcut or "").strip().lstrip("/")
    if not SHORTCUT_RE.match(shortcut):
        raise DomainError(_("A shortcut is 1 to 30 letters, digits, - or _, without spaces."))
    title = " ".join((title or "").split())
    if not title or len(title) > 80:
        raise DomainError(_("A title is 1 to 80 characters."))
    body = strip_control_characters(body or "").strip()
    if not body or len(body) > MAX_BODY:
        raise DomainError(_("The text is 1 to %(max)d characters.") % {"max": MAX_BODY})
    if category not in ReplyCategory.values:
        raise DomainError(_("Unknown category."))
    unknown = [name for name in VARIABLE_RE.findall(body) if name not in VARIABLES]
    if unknown:
        raise DomainError(
            _("{%(name)s} is not filled in by kefu; the variables are %(known)s.")
            % {"name": unknown[0], "known": "、".join("{" + v + "}" for v in VARIABLES)}
        )
    return shortcut, title, body


def _check_scope(actor: User, *, personal: bool, team: Team | None) -> None:
    if personal:
        if not actor.has_perm(Perm.SERVE_CUSTOMERS):
            raise PermissionRefused(_("Your role may not keep canned replies."))
    elif not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("Only supervisors manage team replies."))


def _check_unique(
    *, shortcut: str, owner: User | None, team: Team | None, exclude_id: int | None = None
) -> None:
    same = CannedReply.objects.filter(shortcut=shortcut, owner=owner, team=team)
    if exclude_id:
        same = same.exclude(pk=exclude_id)
    if same.exists():
        raise DomainError(
            _("The shortcut /%(shortcut)s is already used here.") % {"shortcut": shortcut}
        )


@transaction.atomic
def create_reply(
    *,
    actor: User,
    shortcut: str,
    title: str,
    body: str,
    category: str = ReplyCategory.OPENING,
    personal: bool = True,
    team: Team | None = None,
    position: int = 0,
) -> CannedReply:
    """A personal reply of `actor` (personal=True), or one for `team` (everyone's when team is None)."""
    _check_scope(actor, personal=personal, team=team)
    shortcut, title, body = _clean(shortcut=shortcut, title=title, body=body, category=category)
    owner = actor if personal else None
    team = None if personal else team
    _check_unique(shortcut=shortcut, owner=owner, team=team)
    return CannedReply.objects.create(
        owner=owner,
        team=team,
        shortcut=shortcut,
        title=title,
        body=body,
        category=category,
        position=position,
        created_by=actor,
    )


@transaction.atomic
def update_reply(
    *, actor: User, reply: CannedReply, shortcut: str, title: str, body: str, category: str
) -> CannedReply:
    """Change a reply loaded with access_reply (which already checked that `actor` may)."""
    _check_scope(actor, personal=reply.owner_id is not None, team=reply.team)
    shortcut, title, body = _clean(shortcut=shortcut, title=title, body=body, category=category)
    _check_unique(shortcut=shortcut, owner=reply.owner, team=reply.team, exclude_id=reply.pk)
    reply.shortcut, reply.title, reply.body, reply.category = shortcut, title, body, category
    reply.save(update_fields=["shortcut", "title", "body", "category", "updated_at"])
    return reply


@transaction.atomic
def delete_reply(*, actor: User, reply: CannedReply) -> None:
    _check_scope(actor, personal=reply.owner_id is not None, team=reply.team)
    reply.delete()
