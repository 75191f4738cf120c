"""Demo quality inspection: the rubric, the automatic checks of the demo's closed chats (their
events were muted when they closed), a few forbidden words and slow replies among them, reviews by
the inspector, and one appeal waiting for a supervisor. Idempotent: nothing when checks exist."""

from __future__ import annotations

from kefu.accounts.models import User
from kefu.accounts.roles import Role
from kefu.conversations.models import Conversation, ConversationState, Message, SenderKind
from kefu.core.events import muted
from kefu.quality.models import Inspection, Review, ReviewState
from kefu.quality.services import reviews
from kefu.quality.services.checks import check_conversation
from kefu.quality.services.rubric import active_items, quality_settings, rubric_items

MAX_CHECKED = 300
RUDE = ["你自己看说明书", "这个不归我管", "保证赔偿，百分之百没问题"]


def build(*, password: str) -> None:
    if Inspection.objects.exists():
        return
    rubric_items()
    quality_settings()
    closed = list(
        Conversation.objects.filter(state=ConversationState.CLOSED, assignee__isnull=False)
        .order_by("-closed_at")
        .values_list("pk", flat=True)[:MAX_CHECKED]
    )
    # a few agents slipped: a forbidden word or a slow reply in some chats
    for n, conversation_id in enumerate(closed[:12]):
        reply = (
            Message.objects.filter(conversation_id=conversation_id, sender=SenderKind.AGENT)
            .order_by("-seq")
            .first()
        )
        if reply is None:
            continue
        if n % 4 == 0:
            reply.body = f"{reply.body} {RUDE[(n // 4) % len(RUDE)]}"
            reply.save(update_fields=["body"])
        else:
            Message.objects.filter(pk=reply.pk).update(response_seconds=300 + n)
    with muted():
        for conversation_id in closed:
            check_conversation(conversation_id)
        inspector = User.objects.filter(role=Role.INSPECTOR, is_active=True).first()
        if inspector is None:
            return
        items = active_items()
        pending = list(
            Review.objects.filter(state=ReviewState.PENDING)
            .select_related("inspection")
            .order_by("id")[:6]
        )
        for n, review in enumerate(pending[:4]):
            if review.inspection.agent_id == inspector.pk:
                continue
            lost = {f.item_id: f.points for f in review.inspection.findings.all()}
            reviews.review_conversation(
                actor=inspector,
                review_id=review.pk,
                item_points={i.pk: max(0, i.weight - lost.get(i.pk, 0)) for i in items},
                comment="请注意服务用语" if review.inspection.severe else "整体良好",
            )
            if n == 0 and review.inspection.agent_id:
                agent = User.objects.get(pk=review.inspection.agent_id)
                reviews.appeal_review(
                    actor=agent, review_id=review.pk, reason="客户先情绪激动，我在解释规则"
                )
