"""A conversation's life: started by the visitor's first message, transferred, taken over, closed
by an agent, by the visitor or after idle time (auto-close), rated.

Who may do what is the transition table's (states.py); whom a chat may be given to is
`agent_refusal()`. A take-over or a supervisor's reassignment names the conversation's `version`
it was decided on: of two supervisors taking the same chat, the second gets Conflict (409) with the
conversation as it now is, and both attempts are in the audit log."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, Team, User
from kefu.conversations.events import (
    ConversationClosed,
    ConversationRated,
    ConversationRequeued,
    ConversationStarted,
)
from kefu.conversations.models import (
    CloseReason,
    Conversation,
    ConversationState,
    Inbox,
    SenderKind,
    Visitor,
)
from kefu.conversations.selectors import active_conversation
from kefu.conversations.services.messages import post_message
from kefu.conversations.services.routing import give_conversation
from kefu.conversations.states import CONVERSATION_FLOW, agent_refusal
from kefu.core import timeline
from kefu.core.errors import Conflict, DomainError, NotFound
from kefu.core.events import emit
from kefu.core.satisfaction import Satisfaction


def _lock(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_for_update().select_related("inbox").get(pk=conversation.pk)


def _sync(target: Conversation, source: Conversation) -> None:
    """Let the caller's instance show what was saved."""
    for f in Conversation._meta.concrete_fields:
        setattr(
            target, f.attname, getattr(source, f.attname)
        )  # through the descriptor: stale caches drop


def _record(conversation: Conversation, *, kind: str, summary: str, actor=None, data=None) -> None:
    if conversation.customer_id is not None:
        timeline.record(
            subject=conversation,
            customer_id=conversation.customer_id,
            kind=kind,
            summary=summary,
            actor=actor,
            data=data,
        )


def current_state(conversation: Conversation) -> dict:
    """What a loser of a race is shown: the state, who holds the chat, the version to retry with."""
    return {
        "id": conversation.pk,
        "state": conversation.state,
        "state_label": str(ConversationState(conversation.state).label),
        "assignee_id": conversation.assignee_id,
        "assignee_name": str(conversation.assignee) if conversation.assignee_id else "",
        "version": conversation.version,
    }


def _check_version(locked: Conversation, expected_version: int | None) -> None:
    """Raise Conflict with the fresh state when somebody changed the conversation since the
    version the actor decided on (None: the caller did not name one, as routing)."""
    if expected_version is None or locked.version == expected_version:
        return
    current = current_state(locked)
    if locked.assignee_id:
        message = _(
            "Someone was faster: chat #%(id)s is now “%(state)s”, served by %(agent)s. Nothing was changed."
        )
    else:
        message = _("Someone was faster: chat #%(id)s is now “%(state)s”. Nothing was changed.")
    raise Conflict(
        message
        % {"id": locked.pk, "state": current["state_label"], "agent": current["assignee_name"]},
        current=current,
    )


def _check_agent(locked: Conversation, agent: User, *, emergency: bool = False) -> None:
    reason = agent_refusal(locked, agent, emergency=emergency)
    if reason:
        raise DomainError(
            _("Chat #%(id)s cannot be given to %(agent)s: %(reason)s.")
            % {"id": locked.pk, "agent": agent, "reason": reason}
        )


@transaction.atomic
def start_conversation(*, visitor: Visitor, reuse_active: bool = True) -> Conversation:
    """The visitor's live conversation, or a new waiting one (routing then looks for an agent).
    E-mail passes `reuse_active=False`: a mail that answers nothing starts its own thread."""
    Visitor.objects.select_for_update().filter(
        pk=visitor.pk
    ).first()  # one start per visitor at a time
    existing = active_conversation(visitor) if reuse_active else None
    if existing is not None:
        return existing
    inbox = visitor.inbox
    conversation = Conversation.objects.create(
        inbox=inbox,
        visitor=visitor,
        customer_id=visitor.customer_id,
        team_id=inbox.team_id,
        needed_skill_id=inbox.needed_skill_id,
        last_activity_at=timezone.now(),
    )
    _record(
        conversation,
        kind="conversations.started",
        summary=_("Chat #%(id)s started through %(inbox)s")
        % {"id": conversation.pk, "inbox": inbox.name},
        data={"inbox_id": inbox.pk},
    )
    emit(
        ConversationStarted(
            conversation_id=conversation.pk,
            inbox_id=inbox.pk,
            visitor_id=visitor.pk,
            customer_id=conversation.customer_id,
        )
    )
    return conversation


@transaction.atomic
def transfer_conversation(
    *,
    actor: User,
    conversation: Conversation,
    to_agent: User | None = None,
    to_team: Team | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Conversation:
    """Hand the conversation to another agent (online, with room for one more chat), or back to the
    queue of a team (技能组), with a note that agents see (an internal note in the conversation).
    The serving agent or a supervisor may."""
    if (to_agent is None) == (to_team is None):
        raise DomainError(_("Choose either an agent or a team to transfer to."))
    locked = _lock(conversation)
    note = (note or "").strip()
    if to_agent is not None:
        name = "assign" if locked.state == ConversationState.WAITING else "transfer"
        CONVERSATION_FLOW.check(locked.state, name, actor=actor, obj=locked)
        _check_version(locked, expected_version)
        _check_agent(locked, to_agent)
        target_name = str(to_agent)
        give_conversation(conversation=locked, agent=to_agent, by=actor, transition=name)
    else:
        assert to_team is not None  # exactly one of the two, checked above
        CONVERSATION_FLOW.check(locked.state, "requeue", actor=actor, obj=locked)
        _check_version(locked, expected_version)
        target_name = to_team.name
        previous = locked.assignee_id
        locked.state, locked.assignee, locked.team = ConversationState.WAITING, None, to_team
        locked.version += 1
        locked.save(update_fields=["state", "assignee", "team", "version"])
        emit(
            ConversationRequeued(
                conversation_id=locked.pk,
                team_id=to_team.pk,
                previous_assignee_id=previous,
                transferred_by_id=actor.pk,
            )
        )
    summary = _("Transferred to %(target)s") % {"target": target_name}
    _record(
        locked,
        kind="conversations.transferred",
        summary=summary,
        actor=actor,
        data={
            "to_agent_id": to_agent.pk if to_agent else None,
            "to_team_id": to_team.pk if to_team else None,
        },
    )
    post_message(
        conversation=locked,
        sender=SenderKind.AGENT,
        author=actor,
        is_internal=True,
        body=f"{summary}: {note}" if note else summary,
    )
    _sync(conversation, locked)
    return conversation


def assign_conversation(
    *,
    actor: User,
    conversation: Conversation,
    agent: User,
    expected_version: int | None = None,
    request=None,
) -> Conversation:
    """A supervisor's move, waiting or served: take the conversation over (agent=actor: 紧急事件处理,
    beyond their presence, their chat limit and the queue's order) or give it to another agent
    (调配: online, with room for one more chat). Audited, and so is an attempt that lost a race
    (Conflict, when `expected_version` is no longer the conversation's)."""
    emergency = agent.pk == actor.pk
    action = AuditAction.TAKE_OVER if emergency else AuditAction.REASSIGN
    try:
        with transaction.atomic():
            locked = _lock(conversation)
            if emergency:
                name = "take_over"
            else:
                name = "assign" if locked.state == ConversationState.WAITING else "reassign"
            CONVERSATION_FLOW.check(locked.state, name, actor=actor, obj=locked)
            _check_version(locked, expected_version)
            _check_agent(locked, agent, emergency=emergency)
            previous = current_state(locked)
            give_conversation(conversation=locked, agent=agent, by=actor, transition=name)
            audit(
                action,
                actor=actor,
                obj=locked,
                object_type="conversations.conversation",
                request=request,
                details={
                    "outcome": "done",
                    "agent_id": agent.pk,
                    "previous_state": previous["state"],
                    "previous_assignee_id": previous["assignee_id"],
                    "version": locked.version,
                },
            )
    except Conflict as conflict:
        audit(  # outside the refused transaction: the lost race stays on record
            action,
            actor=actor,
            obj=conversation,
            object_type="conversations.conversation",
            request=request,
            details={
                "outcome": "conflict",
                "agent_id": agent.pk,
                "expected_version": expected_version,
                "current": conflict.current,
            },
        )
        raise
    _sync(conversation, locked)
    return conversation


def close_conversation(
    *,
    conversation: Conversation,
    actor: User | None = None,
    visitor: Visitor | None = None,
) -> Conversation:
    """Close as the serving agent or a supervisor (`actor`), or as the conversation's visitor."""
    if (actor is None) == (visitor is None):
        raise ValueError("close_conversation needs exactly one of actor and visitor")
    with transaction.atomic():
        locked = _lock(conversation)
        if visitor is not None:
            if locked.visitor_id != visitor.pk:
                raise NotFound(_("Conversation not found."))
            reason = CloseReason.VISITOR
        else:
            reason = CloseReason.AGENT
        _close(locked, actor=actor, reason=reason)
    _sync(conversation, locked)
    return conversation


def _close(locked: Conversation, *, actor: User | None, reason: str) -> None:
    CONVERSATION_FLOW.check(locked.state, "close", actor=actor, obj=locked)
    post_message(
        conversation=locked, sender=SenderKind.SYSTEM, body=_("This conversation has ended.")
    )
    locked.state = ConversationState.CLOSED
    locked.closed_at = timezone.now()
    locked.closed_by = actor
    locked.close_reason = reason
    locked.version += 1
    locked.save(update_fields=["state", "closed_at", "closed_by", "close_reason", "version"])
    _record(
        locked,
        kind="conversations.closed",
        actor=actor,
        summary=_("Chat #%(id)s closed (%(reason)s)")
        % {"id": locked.pk, "reason": CloseReason(reason).label},
        data={"reason": reason},
    )
    emit(
        ConversationClosed(
            conversation_id=locked.pk,
            assignee_id=locked.assignee_id,
            closed_by_id=actor.pk if actor else None,
            reason=reason,
        )
    )


def reopen_conversation(*, conversation: Conversation) -> Conversation:
    """Put a closed conversation back in the queue: an e-mail answer belongs to its thread, never to
    a new conversation. Routing then finds an agent, as for a transfer to a team."""
    with transaction.atomic():
        locked = _lock(conversation)
        if locked.is_closed:
            CONVERSATION_FLOW.check(locked.state, "reopen", obj=locked)
            previous = locked.assignee_id
            locked.state = ConversationState.WAITING
            locked.assignee = None
            locked.closed_at = None
            locked.closed_by = None
            locked.close_reason = ""
            locked.version += 1
            locked.save(
                update_fields=[
                    "state",
                    "assignee",
                    "closed_at",
                    "closed_by",
                    "close_reason",
                    "version",
                ]
            )
            _record(
                locked,
                kind="conversations.reopened",
                summary=_("Chat #%(id)s reopened by the customer's e-mail") % {"id": locked.pk},
            )
            emit(
                ConversationRequeued(
                    conversation_id=locked.pk,
                    team_id=locked.team_id,
                    previous_assignee_id=previous,
                    transferred_by_id=None,
                )
            )
    _sync(conversation, locked)
    return conversation


def close_idle(*, now: dt.datetime) -> int:
    """Close every conversation with no message for its inbox's auto-close time (0: never).
    Each in its own transaction, checked again under the row lock: a message that has just arrived
    keeps the conversation open. Returns how many were closed."""
    closed = 0
    for inbox in Inbox.objects.filter(auto_close_minutes__gt=0):
        cutoff = now - dt.timedelta(minutes=inbox.auto_close_minutes)
        idle = Q(last_activity_at__lt=cutoff) | Q(
            last_activity_at__isnull=True, created_at__lt=cutoff
        )
        ids = list(
            Conversation.objects.filter(idle, inbox=inbox)
            .exclude(state=ConversationState.CLOSED)
            .order_by("id")
            .values_list("id", flat=True)[:1000]
        )
        for conversation_id in ids:
            with transaction.atomic():
                locked = (
                    Conversation.objects.select_for_update()
                    .filter(idle, pk=conversation_id)
                    .exclude(state=ConversationState.CLOSED)
                    .first()
                )
                if locked is None:
                    continue
                _close(locked, actor=None, reason=CloseReason.IDLE)
                closed += 1
    return closed


@transaction.atomic
def rate_conversation(*, visitor: Visitor, conversation: Conversation, rating) -> Conversation:
    """The visitor's rating 满意度评价 on the one scale (kefu.core.satisfaction: 1 非常不满意 … 5 非常满意),
    given once the agent has served (changing it is allowed)."""
    if isinstance(rating, bool) or not isinstance(rating, int) or rating not in Satisfaction.values:
        raise DomainError(_("A rating is a whole number from 1 to 5."))
    locked = _lock(conversation)
    if locked.visitor_id != visitor.pk:
        raise NotFound(_("Conversation not found."))
    if locked.assignee_id is None:
        raise DomainError(_("Only a conversation an agent has served can be rated."))
    Conversation.objects.filter(pk=locked.pk).update(rating=rating)
    locked.rating = rating
    _record(
        locked,
        kind="conversations.rated",
        summary=_("Chat #%(id)s rated %(rating)d/5 (%(label)s)")
        % {"id": locked.pk, "rating": rating, "label": Satisfaction(rating).label},
        data={"rating": rating},
    )
    emit(
        ConversationRated(conversation_id=locked.pk, assignee_id=locked.assignee_id, rating=rating)
    )
    _sync(conversation, locked)
    return conversation
