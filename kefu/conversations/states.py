"""How a conversation moves: waiting → open → closed, with transfers between agents and teams.

    waiting ──assign──▶ open ──close──▶ closed
       ▲                 │  ▲
       └────requeue──────┘  └─ reassign (transfer to an agent, take over)
    waiting ──close──▶ closed
    closed ──reopen──▶ waiting   (e-mail: the customer answered a closed thread)
"""

from django.utils.translation import gettext_lazy as _

from kefu.conversations.models import ConversationState as S
from kefu.core.statemachine import StateMachine, Transition

CONVERSATION_FLOW = StateMachine(
    subject=_("conversation"),
    states=S,
    transitions=[
        Transition("assign", _("Assign"), source={S.WAITING}, target=S.OPEN),
        Transition("reassign", _("Reassign"), source={S.OPEN}, target=S.OPEN),
        Transition("requeue", _("Transfer to a team"), source={S.WAITING, S.OPEN}, target=S.WAITING),
        Transition("close", _("Close"), source={S.WAITING, S.OPEN}, target=S.CLOSED),
        # E-mail only: the customer's answer to a closed thread continues it (a chat starts anew).
        Transition("reopen", _("Reopen"), source={S.CLOSED}, target=S.WAITING),
    ],
)
