"""How a grouped problem moves: the development department confirms it, fixes it in a version or
decides not to fix it. Fixed and won't-fix are final: closing twice is refused."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core.statemachine import StateMachine, Transition, role_guard
from kefu.feedback.models import Problem
from kefu.feedback.models import ProblemState as S
from kefu.feedback.selectors import is_developer


@role_guard
def developers(actor: User | None, problem: Problem) -> str | None:
    """The development department's staff, and those who assign work (supervisors, managers)."""
    if actor is None or not (is_developer(actor) or actor.has_perm(Perm.ASSIGN_WORK)):
        return _("only the development department and supervisors change a problem's state")
    return None


PROBLEM_FLOW = StateMachine(
    subject=gettext_lazy("problem"),
    states=S,
    transitions=[
        Transition(
            "confirm",
            gettext_lazy("Confirm"),
            source={S.OPEN},
            target=S.CONFIRMED,
            guard=developers,
        ),
        Transition(
            "fix",
            gettext_lazy("Fixed"),
            source={S.OPEN, S.CONFIRMED},
            target=S.FIXED,
            guard=developers,
        ),
        Transition(
            "wont_fix",
            gettext_lazy("Won't fix"),
            source={S.OPEN, S.CONFIRMED},
            target=S.WONT_FIX,
            guard=developers,
        ),
    ],
)
