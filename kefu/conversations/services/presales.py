"""The pre-sales checklist 售前服务流程 (seed 002: 欢迎语→活动告知→宝贝介绍→订单确认→收藏店铺), kept
with the conversation: each tick is a PresalesTick row (who, when), so the transcript, supervisors
and the chat statistics see which steps were done. Ticked in the workspace (a box, or the canned
reply that serves the step) by the serving agent or a supervisor: the table's `tick`."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.conversations.models import Conversation, PresalesStep, PresalesTick
from kefu.conversations.states import CONVERSATION_FLOW
from kefu.core import timeline
from kefu.core.errors import DomainError


def ticks_of(conversation: Conversation) -> dict[str, PresalesTick]:
    """The steps done in `conversation`, by step."""
    return {
        t.step: t
        for t in PresalesTick.objects.filter(conversation=conversation).select_related("done_by")
    }


@transaction.atomic
def set_presales_step(
    *, actor: User, conversation: Conversation, step: str, done: bool
) -> PresalesTick | None:
    """Tick (or untick) one step. Ticking a step already done keeps its first tick. Returns the
    tick, or None once unticked."""
    if step not in PresalesStep.values:
        raise DomainError(_("Unknown step of the pre-sales flow."))
    locked = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("inbox")
        .get(pk=conversation.pk)
    )
    CONVERSATION_FLOW.check(locked.state, "tick", actor=actor, obj=locked)
    label = PresalesStep(step).label
    if not done:
        deleted, _rows = PresalesTick.objects.filter(conversation=locked, step=step).delete()
        if deleted and locked.customer_id is not None:
            timeline.record(
                subject=locked,
                customer_id=locked.customer_id,
                kind="conversations.presales_unticked",
                actor=actor,
                summary=_("Chat #%(id)s: pre-sales step “%(step)s” unticked")
                % {"id": locked.pk, "step": label},
                data={"step": step},
            )
        return None
    tick, created = PresalesTick.objects.get_or_create(
        conversation=locked, step=step, defaults={"done_by": actor}
    )
    if created and locked.customer_id is not None:
        timeline.record(
            subject=locked,
            customer_id=locked.customer_id,
            kind="conversations.presales_ticked",
            actor=actor,
            summary=_("Chat #%(id)s: pre-sales step “%(step)s” done")
            % {"id": locked.pk, "step": label},
            data={"step": step},
        )
    return tick
