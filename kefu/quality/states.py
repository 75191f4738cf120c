"""How a reward/penalty sheet moves (drafted by a supervisor (考核权), approved by a superior), and a
manual review (scored by an inspector, appealed once by the agent, decided by a supervisor)."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core.statemachine import StateMachine, Transition, require_perm, role_guard
from kefu.quality.models import Review, RewardPenaltySheet
from kefu.quality.models import ReviewState as R
from kefu.quality.models import SheetState as S


def not_the_drafter(actor: User | None, sheet: RewardPenaltySheet | None) -> str | None:
    if actor is not None and sheet is not None and actor.pk == sheet.drafted_by_id:
        return _("the sheet must be approved by someone other than who drafted it")
    return None


def has_items(actor: User | None, sheet: RewardPenaltySheet | None) -> str | None:
    if sheet is not None and not sheet.items.exists():
        return _("the sheet has no points yet")
    return None


EDITABLE = {S.DRAFT, S.RETURNED}

SHEET_FLOW = StateMachine(
    subject=gettext_lazy("reward/penalty sheet"),
    states=S,
    transitions=[
        Transition(
            "edit",
            gettext_lazy("Change the points"),
            source=EDITABLE,
            target=S.DRAFT,
            guard=require_perm(Perm.EVALUATE),
        ),
        Transition(
            "submit",
            gettext_lazy("Submit for approval"),
            source=EDITABLE,
            target=S.SUBMITTED,
            guards=(require_perm(Perm.EVALUATE), has_items),
        ),
        Transition(
            "approve",
            gettext_lazy("Approve"),
            source={S.SUBMITTED},
            target=S.APPROVED,
            guards=(require_perm(Perm.APPROVE_SHEETS), not_the_drafter),
        ),
        Transition(
            "send_back",
            gettext_lazy("Return"),
            source={S.SUBMITTED},
            target=S.RETURNED,
            guards=(require_perm(Perm.APPROVE_SHEETS), not_the_drafter),
        ),
    ],
)


# ---- Manual review 人工复核 and the agent's appeal 申诉 -------------------------------------------


@role_guard
def not_own_conversation(actor: User | None, review: Review | None) -> str | None:
    if actor is not None and review is not None and actor.pk == review.inspection.agent_id:
        return _("nobody reviews or decides on their own conversation")
    return None


@role_guard
def the_agent(actor: User | None, review: Review | None) -> str | None:
    if actor is None or review is None or actor.pk != review.inspection.agent_id:
        return _("only the agent who served the conversation appeals")
    return None


def not_appealed_before(actor: User | None, review: Review | None) -> str | None:
    if review is not None and review.appealed_at is not None:
        return _("an appeal is allowed once")
    return None


def within_appeal_period(actor: User | None, review: Review | None) -> str | None:
    from kefu.quality.services.rubric import quality_settings

    if review is None or review.reviewed_at is None:
        return None
    days = quality_settings().appeal_days
    if timezone.now() > review.reviewed_at + dt.timedelta(days=days):
        return _("the %(days)d days for an appeal have passed") % {"days": days}
    return None


REVIEW_FLOW = StateMachine(
    subject=gettext_lazy("review"),
    states=R,
    transitions=[
        Transition(
            "review",
            gettext_lazy("Score the conversation"),
            source={R.PENDING},
            target=R.DONE,
            guards=(require_perm(Perm.INSPECT_QUALITY), not_own_conversation),
        ),
        Transition(
            "appeal",
            gettext_lazy("Appeal"),
            source={R.DONE, R.APPEALED, R.DECIDED},
            target=R.APPEALED,
            guards=(the_agent, not_appealed_before, within_appeal_period),
        ),
        Transition(
            "decide",
            gettext_lazy("Decide the appeal"),
            source={R.APPEALED},
            target=R.DECIDED,
            guards=(require_perm(Perm.EVALUATE), not_own_conversation),
        ),
    ],
)
