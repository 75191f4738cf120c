"""Demo quality inspection: the rubric, the automatic checks of the demo's closed chats (their
events were muted when they closed), a few forbidden words and slow replies among them, reviews by
the inspector, and one appeal waiting for a supervisor; the roster of this week and next for the
demo agents on the three shifts; last month's performance sheets computed from the facts, some
signed by a supervisor and some acknowledged. Each part idempotent: nothing when it exists. Bulk
writes: the demo runs in several tests."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kefu.accounts.models import User
from kefu.accounts.roles import Role
from kefu.conversations.models import Conversation, ConversationState, Message, SenderKind
from kefu.core.events import muted
from kefu.quality.kpi import default_month
from kefu.quality.models import (
    Inspection,
    PerformanceSheet,
    PerformanceState,
    QualitySettings,
    Review,
    ReviewState,
    RosterEntry,
)
from kefu.quality.services import performance, reviews
from kefu.quality.services.checks import check_conversation
from kefu.quality.services.roster import ensure_shifts, week_start
from kefu.quality.services.rubric import active_items, quality_settings, rubric_items

MAX_CHECKED = 300
RUDE = ["你自己看说明书", "这个不归我管", "保证赔偿，百分之百没问题"]


def build(*, password: str) -> None:
    _checks()
    _rosters()
    _sheets()


def _demo_agents() -> list[int]:
    return list(
        User.objects.filter(role=Role.AGENT, is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )


def _rosters() -> None:
    """This week and next: each agent works five days of seven (their two days off move along the
    team), on 早班, 中班 or 晚班 in turn, one shift a day (so never overlapping)."""
    if RosterEntry.objects.exists():
        return
    shifts = [s for s in ensure_shifts() if s.is_active][:3]
    if not shifts:
        return
    monday = week_start(timezone.localdate())
    RosterEntry.objects.bulk_create(
        [
            RosterEntry(
                agent_id=agent_id,
                day=monday + dt.timedelta(days=day),
                shift=shifts[(n + day // 7) % len(shifts)],
            )
            for n, agent_id in enumerate(_demo_agents())
            for day in range(14)
            if (day + n) % 7 not in (5, 6)
        ],
        ignore_conflicts=True,
    )


def _sheets() -> None:
    """Last month's sheets computed from the facts (one query set for every agent); of them, two
    in three signed by the supervisor and one in three of those acknowledged by the agent."""
    month = default_month()
    supervisor = User.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("id").first()
    if supervisor is None or PerformanceSheet.objects.filter(month=month).exists():
        return
    performance.generate_sheets(actor=supervisor, month=month)
    now = timezone.now()
    sheets = list(PerformanceSheet.objects.filter(month=month).order_by("agent_id"))
    for n, sheet in enumerate(sheets):
        if n % 3 == 2 or sheet.agent_id == supervisor.pk:
            continue
        sheet.state = PerformanceState.ACKNOWLEDGED if n % 3 == 0 else PerformanceState.SIGNED
        sheet.signed_by, sheet.signed_at = supervisor, now
        sheet.comment = "本月表现稳定，继续保持" if n % 2 == 0 else ""
        sheet.acknowledged_at = now if sheet.state == PerformanceState.ACKNOWLEDGED else None
        sheet.version += 1
    PerformanceSheet.objects.bulk_update(
        sheets, ["state", "signed_by", "signed_at", "comment", "acknowledged_at", "version"]
    )


def _checks() -> None:
    if Inspection.objects.exists():
        return
    rubric_items()
    quality_settings()
    QualitySettings.objects.filter(pk=1).update(leaderboard_on=True)  # the demo's 评比 is on
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
