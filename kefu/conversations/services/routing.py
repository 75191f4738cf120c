"""Routing 分配: who serves each waiting conversation.

Oldest waiting conversation first; it goes to the agent who is online, belongs to the conversation's
team (when it has one), is at work now — on shift by the roster 值班表 (kefu/quality: an agent
rostered the day before, the day or the day after is at work only during their shifts), or, for an
agent not rostered, whose team is at work now (the business calendar's working days and the team's
hours; an agent in no team is not held back) — has the skill it needs (their own or their team's), is under their
concurrent-chat limit and is not the inbox's routing-only main account (主旺旺号); among those,
the one with the fewest open conversations, then the one who has waited longest since their last
assignment. A conversation nobody can take stays waiting; routing runs again when a conversation
starts or is transferred to a team, when one closes (capacity frees) and when an agent comes online
(kefu/conversations/subscribers.py), and every minute (tasks.py: a team's hours begin).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import AgentProfile, Presence, User
from kefu.conversations import selectors as chat_selectors
from kefu.conversations.events import ConversationAssigned
from kefu.conversations.models import Conversation, ConversationState
from kefu.conversations.selectors import SERVING_ROLES, working_team_ids
from kefu.conversations.states import CONVERSATION_FLOW
from kefu.core import timeline
from kefu.core.events import emit

BATCH = 500  # waiting conversations looked at per run; a longer queue is served by the next runs
_LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass
class _Candidate:
    user: User
    capacity: int
    open_count: int
    last_assigned_at: dt.datetime
    skill_ids: set[int] = field(default_factory=set)
    team_ids: set[int] = field(default_factory=set)
    working_team_ids: set[int] = field(default_factory=set)  # of team_ids, those at work now
    on_shift: bool | None = None  # by the roster; None: not rostered around now

    def at_work(self, conversation: Conversation) -> bool:
        if self.on_shift is not None:
            return self.on_shift
        if conversation.team_id is not None:
            return conversation.team_id in self.working_team_ids
        return not self.team_ids or bool(self.working_team_ids)

    def fits(self, conversation: Conversation) -> bool:
        return (
            self.open_count < self.capacity
            and (
                conversation.needed_skill_id is None
                or conversation.needed_skill_id in self.skill_ids
            )
            and (conversation.team_id is None or conversation.team_id in self.team_ids)
            and self.at_work(conversation)
            and conversation.inbox.main_account_id != self.user.pk
        )


def _online_candidates() -> list[_Candidate]:
    profiles = list(
        AgentProfile.objects.filter(
            presence=Presence.ONLINE, user__is_active=True, user__role__in=SERVING_ROLES
        )
        .select_related("user")
        .prefetch_related("skills", "teams__skills")
    )
    user_ids = [p.user_id for p in profiles]
    open_counts = dict(
        Conversation.objects.filter(assignee_id__in=user_ids, state=ConversationState.OPEN)
        .values_list("assignee")
        .annotate(n=Count("id"))
        .values_list("assignee", "n")
    )
    # Each conversation's first assignment time stands in for "last given a chat" (a tie-breaker only).
    last_assigned = dict(
        Conversation.objects.filter(assignee_id__in=user_ids, assigned_at__isnull=False)
        .values_list("assignee")
        .annotate(t=Max("assigned_at"))
        .values_list("assignee", "t")
    )
    from kefu.quality.selectors import shift_status  # the roster, one layer up the same stack

    now = chat_selectors.business_now()  # read here: tests pin it on the module
    working = working_team_ids(now)
    rostered = shift_status(user_ids, now)
    candidates = []
    for profile in profiles:
        skills = {s.pk for s in profile.skills.all()}
        for team in profile.teams.all():
            skills |= {s.pk for s in team.skills.all()}
        candidates.append(
            _Candidate(
                user=profile.user,
                capacity=profile.max_concurrent_chats,
                open_count=open_counts.get(profile.user_id, 0),
                last_assigned_at=last_assigned.get(profile.user_id) or _LONG_AGO,
                skill_ids=skills,
                team_ids={t.pk for t in profile.teams.all()},
                working_team_ids={t.pk for t in profile.teams.all()} & working,
                on_shift=rostered.get(profile.user_id),
            )
        )
    return candidates


def assign_waiting() -> list[tuple[int, int]]:
    """Give waiting conversations to agents with room (see the module's rule). Returns the
    (conversation id, agent id) pairs made, oldest conversation first."""
    with transaction.atomic():
        waiting = list(
            Conversation.objects.select_for_update(of=("self",))
            .filter(state=ConversationState.WAITING)
            .select_related("inbox")
            .order_by("created_at", "id")[:BATCH]
        )
        if not waiting:
            return []
        candidates = _online_candidates()
        made = []
        for conversation in waiting:
            fitting = [c for c in candidates if c.fits(conversation)]
            if not fitting:
                continue
            chosen = min(fitting, key=lambda c: (c.open_count, c.last_assigned_at, c.user.pk))
            give_conversation(conversation=conversation, agent=chosen.user, by=None)
            chosen.open_count += 1
            chosen.last_assigned_at = (
                conversation.assigned_at if conversation.assigned_at else timezone.now()
            )
            made.append((conversation.pk, chosen.user.pk))
        return made


def give_conversation(
    *, conversation: Conversation, agent: User, by: User | None, transition: str | None = None
) -> None:
    """Make `agent` the one serving `conversation` by `transition` of the table (routing: assign;
    the callers in lifecycle name theirs, having checked the agent). Call in a transaction holding
    the row lock."""
    if transition is None:
        transition = "assign" if conversation.state == ConversationState.WAITING else "reassign"
    target = CONVERSATION_FLOW.check(
        conversation.state, transition, actor=by, obj=conversation
    ).target
    previous = conversation.assignee_id
    now = timezone.now()
    conversation.assignee = agent
    conversation.state = target or conversation.state
    if conversation.assigned_at is None:
        conversation.assigned_at = now
    conversation.version += 1
    conversation.save(update_fields=["assignee", "state", "assigned_at", "version"])
    if conversation.customer_id is not None:
        timeline.record(
            subject=conversation,
            customer_id=conversation.customer_id,
            kind="conversations.assigned",
            actor=by,
            summary=_("Chat #%(id)s assigned to %(agent)s")
            % {"id": conversation.pk, "agent": agent},
            data={"assignee_id": agent.pk, "previous_assignee_id": previous},
        )
    emit(
        ConversationAssigned(
            conversation_id=conversation.pk,
            assignee_id=agent.pk,
            assignee_name=str(agent),
            previous_assignee_id=previous,
            assigned_by_id=by.pk if by else None,
        )
    )
