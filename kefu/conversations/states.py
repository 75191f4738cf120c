"""How a conversation moves, and who may act on it: one table with guards, asked by the services
(which raise) and by the workspace page (which shows only what may be done).

waiting ──assign──▶ open ──close──▶ closed
   ▲                 │  ▲
   └────requeue──────┘  └─ transfer (the serving agent to a colleague), reassign (a supervisor's 调配)
waiting/open ──take_over──▶ open   (紧急事件处理: a supervisor, beyond capacity and queue)
waiting ──close──▶ closed
closed ──reopen──▶ waiting   (e-mail: the customer answered a closed thread)

Steps that act on the conversation without moving it (target None): `reply` to the customer,
`note` (an internal note), `hand_off` (link a customer, make a ticket), `tick` (the pre-sales
checklist).

Guards take (actor, conversation) and return a reason or None. `actor=None` is kefu itself acting:
routing, the idle timer, the visitor through the widget (the service has checked the visitor's
token), an e-mail arriving. Whether a named agent may be given the conversation (online, room for
one more chat, not the inbox's main account) is `agent_refusal()`, asked with the agent.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.roles import Perm
from kefu.conversations.models import ConversationState as S
from kefu.core.statemachine import StateMachine, Transition, require_perm, role_guard

ANY = {S.WAITING, S.OPEN, S.CLOSED}
LIVE = {S.WAITING, S.OPEN}


def _serves(user) -> bool:
    return user.is_active and user.has_perm(Perm.SERVE_CUSTOMERS)


@role_guard
def by_kefu_or_supervisor(actor, conversation) -> str | None:
    """Routing gives a waiting chat (actor None); a person doing it is a supervisor's 调配."""
    if actor is None or actor.has_perm(Perm.ASSIGN_WORK):
        return None
    return _("only a supervisor may assign conversations")


@role_guard
def by_kefu(actor, conversation) -> str | None:
    return None if actor is None else _("only a customer's e-mail reopens a conversation")


@role_guard
def serving_or_supervisor(actor, conversation) -> str | None:
    """The agent serving the conversation, or a supervisor (调配); kefu itself (actor None)."""
    if actor is None or actor.has_perm(Perm.ASSIGN_WORK):
        return None
    if conversation.assignee_id == actor.pk and _serves(actor):
        return None
    return _("only the agent serving this conversation or a supervisor may do this")


@role_guard
def serves_customers(actor, conversation) -> str | None:
    if actor is not None and actor.has_perm(Perm.SERVE_CUSTOMERS):
        return None
    return _("your role does not serve customers")


@role_guard
def serves_or_supervises(actor, conversation) -> str | None:
    """Internal notes: anyone on the customer-service side who may see the conversation."""
    if actor is not None and (_serves(actor) or actor.has_perm(Perm.ASSIGN_WORK)):
        return None
    return _("your role does not serve customers")


def not_serving_it_already(actor, conversation) -> str | None:
    if actor is not None and conversation.assignee_id == actor.pk:
        return _("you are already serving it")
    return None


def presales_inbox(actor, conversation) -> str | None:
    return None if conversation.inbox.is_presales else _("this is not a pre-sales chat")


handles_emergencies = role_guard(require_perm(Perm.HANDLE_EMERGENCY))

CONVERSATION_FLOW = StateMachine(
    subject=gettext_lazy("conversation"),
    states=S,
    transitions=[
        Transition(
            "assign",
            gettext_lazy("Assign"),
            source={S.WAITING},
            target=S.OPEN,
            guard=by_kefu_or_supervisor,
        ),
        Transition(
            "transfer",
            gettext_lazy("Transfer"),
            source={S.OPEN},
            target=S.OPEN,
            guard=serving_or_supervisor,
        ),
        Transition(
            "reassign",
            gettext_lazy("Reassign"),
            source={S.OPEN},
            target=S.OPEN,
            guard=by_kefu_or_supervisor,
        ),
        Transition(
            "take_over",
            gettext_lazy("Take over"),
            source=LIVE,
            target=S.OPEN,
            guards=(handles_emergencies, not_serving_it_already),
        ),
        Transition(
            "requeue",
            gettext_lazy("Transfer to a team"),
            source=LIVE,
            target=S.WAITING,
            guard=serving_or_supervisor,
        ),
        Transition(
            "close",
            gettext_lazy("Close"),
            source=LIVE,
            target=S.CLOSED,
            guard=serving_or_supervisor,
        ),
        # E-mail only: the customer's answer to a closed thread continues it (a chat starts anew).
        Transition(
            "reopen", gettext_lazy("Reopen"), source={S.CLOSED}, target=S.WAITING, guard=by_kefu
        ),
        Transition(
            "reply",
            gettext_lazy("Reply to the customer"),
            source=LIVE,
            target=None,
            guards=(serves_customers, serving_or_supervisor),
        ),
        Transition(
            "note",
            gettext_lazy("Add an internal note"),
            source=LIVE,
            target=None,
            guard=serves_or_supervises,
        ),
        Transition(
            "hand_off",
            gettext_lazy("Link a customer or create a ticket"),
            source=ANY,
            target=None,
            guards=(serves_or_supervises, serving_or_supervisor),
        ),
        Transition(
            "tick",
            gettext_lazy("Tick a pre-sales step"),
            source=ANY,
            target=None,
            guards=(presales_inbox, serves_or_supervises, serving_or_supervisor),
        ),
    ],
)


def agent_refusal(
    conversation, agent, *, emergency: bool = False, serving: int | None = None
) -> str | None:
    """Why `agent` may not be given `conversation` now, or None. Anyone given a chat serves
    customers and is not the inbox's routing-only main account (主旺旺号); a transfer or a
    supervisor's 调配 also needs the agent online with room for one more chat. An emergency
    take-over (the supervisor taking it themselves) goes beyond presence and capacity. `serving`:
    the agent's open chats when the caller has counted them."""
    from kefu.accounts.models import AgentProfile, Presence

    if not _serves(agent):
        return _("%(agent)s does not serve customers") % {"agent": agent}
    if conversation.inbox.main_account_id == agent.pk:
        return _(
            "%(agent)s is this inbox's routing-only main account and serves no conversations"
        ) % {"agent": agent}
    if conversation.assignee_id == agent.pk:
        return _("%(agent)s is already serving this conversation") % {"agent": agent}
    if emergency:
        return None
    profile = AgentProfile.objects.filter(user_id=agent.pk).first()  # presence as it is now
    if profile is None or profile.presence != Presence.ONLINE:
        presence = profile.get_presence_display() if profile is not None else _("Offline")
        return _("%(agent)s is %(presence)s and takes no new conversations") % {
            "agent": agent,
            "presence": presence,
        }
    if serving is None:
        serving = open_count(agent)
    if serving >= profile.max_concurrent_chats:
        return _("%(agent)s is already serving %(count)d conversations, their limit") % {
            "agent": agent,
            "count": serving,
        }
    return None


def open_count(agent) -> int:
    from kefu.conversations.models import Conversation

    return Conversation.objects.filter(assignee=agent, state=S.OPEN).count()
