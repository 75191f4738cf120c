"""How a visit plan moves (drafted by who assigns work, approved by someone else with the approval
right, then issued to the agents) and how a visit task moves (visited by its agent)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core.statemachine import StateMachine, Transition, require_perm, role_guard
from kefu.visits.models import CampaignState as C
from kefu.visits.models import ReturnVisit, VisitCampaign
from kefu.visits.models import VisitState as V


@role_guard
def not_the_drafter(actor: User | None, campaign: VisitCampaign | None) -> str | None:
    if actor is not None and campaign is not None and actor.pk == campaign.created_by_id:
        return _("the plan must be approved by someone other than who drafted it")
    return None


@role_guard
def the_assignee_or_assigner(actor: User | None, visit: ReturnVisit | None) -> str | None:
    if actor is None or visit is None:
        return _("your role does not have this right")
    if actor.pk == visit.assignee_id or actor.has_perm(Perm.ASSIGN_WORK):
        return None
    return _("this visit is another agent's")


EDITABLE = {C.DRAFT, C.RETURNED}

CAMPAIGN_FLOW = StateMachine(
    subject=gettext_lazy("visit plan"),
    states=C,
    transitions=[
        Transition(
            "edit",
            gettext_lazy("Change the plan"),
            source=EDITABLE,
            target=C.DRAFT,
            guard=require_perm(Perm.ASSIGN_WORK),
        ),
        Transition(
            "submit",
            gettext_lazy("Submit for approval"),
            source=EDITABLE,
            target=C.SUBMITTED,
            guard=require_perm(Perm.ASSIGN_WORK),
        ),
        Transition(
            "approve",
            gettext_lazy("Approve"),
            source={C.SUBMITTED},
            target=C.APPROVED,
            guards=(require_perm(Perm.APPROVE), not_the_drafter),
        ),
        Transition(
            "send_back",
            gettext_lazy("Return"),
            source={C.SUBMITTED},
            target=C.RETURNED,
            guards=(require_perm(Perm.APPROVE), not_the_drafter),
        ),
        Transition(
            "issue",
            gettext_lazy("Issue to the agents"),
            source={C.APPROVED},
            target=C.ISSUING,
            guard=require_perm(Perm.ASSIGN_WORK),
        ),
        Transition(
            "close",
            gettext_lazy("Close the plan"),
            source={C.DRAFT, C.RETURNED, C.APPROVED, C.ISSUED},
            target=C.CLOSED,
            guard=require_perm(Perm.ASSIGN_WORK),
        ),
    ],
)

VISIT_FLOW = StateMachine(
    subject=gettext_lazy("return visit"),
    states=V,
    transitions=[
        Transition(
            "record",
            gettext_lazy("Save the visit record"),
            source={V.OPEN},
            target=V.DONE,
            guards=(require_perm(Perm.SERVE_CUSTOMERS), the_assignee_or_assigner),
        ),
        Transition(
            "move",
            gettext_lazy("Give to another agent"),
            source={V.OPEN},
            target=None,
            guard=require_perm(Perm.ASSIGN_WORK),
        ),
        Transition(
            "open_complaint",
            gettext_lazy("Open a complaint"),
            source={V.DONE},
            target=None,
            guards=(require_perm(Perm.SERVE_CUSTOMERS), the_assignee_or_assigner),
        ),
    ],
)
