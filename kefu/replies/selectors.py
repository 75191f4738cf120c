"""Reads of canned replies: which ones an agent may use, and which ones they may change."""

from django.db.models import Q, QuerySet
from django.http import Http404

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.replies.models import CannedReply


def team_ids_of(user: User) -> list[int]:
    profile = getattr(user, "agent_profile", None)
    return list(profile.teams.values_list("id", flat=True)) if profile is not None else []


def usable_replies(user: User) -> QuerySet[CannedReply]:
    """What `user` may insert: their own, their teams', everyone's. Supervisors use every team's too."""
    if not (user.has_perm(Perm.SERVE_CUSTOMERS) or user.has_perm(Perm.ASSIGN_WORK)):
        return CannedReply.objects.none()
    shared = Q(owner__isnull=True, team__isnull=True)
    mine = Q(owner=user)
    if user.has_perm(Perm.ASSIGN_WORK):
        teams = Q(team__isnull=False)
    else:
        teams = Q(team_id__in=team_ids_of(user))
    return CannedReply.objects.filter(shared | mine | teams).select_related("team")


def may_manage(user: User, reply: CannedReply) -> bool:
    """Agents change their personal replies; supervisors change team and everyone's replies."""
    if reply.owner_id is not None:
        return reply.owner_id == user.pk
    return user.has_perm(Perm.ASSIGN_WORK)


def access_reply(*, actor: User, reply_id) -> CannedReply:
    """A reply `actor` may change; Http404 for any other (another agent's personal one included)."""
    try:
        reply_id = int(reply_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < reply_id < 2**63:
        raise Http404
    reply = CannedReply.objects.filter(pk=reply_id).first()
    if reply is None or not may_manage(actor, reply):
        raise Http404
    return reply
