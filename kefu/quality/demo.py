"""Demo quality inspection: the rubric, the automatic checks of the demo's closed chats (their
events were muted when they closed; the chats span the last month, and each check is dated when its
chat closed), a few forbidden words and slow replies among them, reviews by the inspector spread over
the month, and one appeal waiting for a supervisor; the roster from the first of last month to the
end of next week for the demo agents on the three shifts, and their presence changes 考勤 over the
shifts that have ended (most kept, some late, a few left early or missed); last month's performance
sheets computed from the facts, some signed by a supervisor and some acknowledged. Each part idempotent: nothing when it exists. Bulk
writes: the demo runs in several tests."""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import F
from django.utils import timezone

from kefu.accounts.models import AgentProfile, Presence, User
from kefu.accounts.roles import Role
from kefu.conversations.models import Conversation, ConversationState, Message, SenderKind
from kefu.core.events import muted
from kefu.quality.kpi import default_month
from kefu.quality.models import (
    AgentRecord,
    Inspection,
    PerformanceSheet,
    PerformanceState,
    PraiseSource,
    PresenceLog,
    QualitySettings,
    Review,
    ReviewState,
    RosterEntry,
)
from kefu.quality.services import performance, records, reviews
from kefu.quality.services.checks import check_conversation
from kefu.quality.services.roster import ensure_shifts, interval, week_start
from kefu.quality.services.rubric import active_items, quality_settings, rubric_items

MAX_CHECKED = 300
REVIEWED = 6  # reviews by the inspector, spread over the checked chats' month
CHECK_DELAY = dt.timedelta(minutes=2)
RUDE = ["你自己看说明书", "这个不归我管", "保证赔偿，百分之百没问题"]


def build(*, password: str) -> None:
    _checks()
    _rosters()
    _presence()
    _records()
    _sheets()


def _demo_agents() -> list[int]:
    return list(
        User.objects.filter(role=Role.AGENT, is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )


def _rosters() -> None:
    """From the first of last month to the end of next week: each agent works five days of seven
    (their two days off move along the team), on 早班, 中班 or 晚班 in turn week by week, one shift
    a day (so never overlapping)."""
    if RosterEntry.objects.exists():
        return
    shifts = [s for s in ensure_shifts() if s.is_active][:3]
    if not shifts:
        return
    monday = week_start(timezone.localdate())
    first = default_month()
    RosterEntry.objects.bulk_create(
        [
            RosterEntry(
                agent_id=agent_id,
                day=monday + dt.timedelta(days=day),
                shift=shifts[(n + day // 7) % len(shifts)],
            )
            for n, agent_id in enumerate(_demo_agents())
            for day in range((first - monday).days, 14)
            if (day + n) % 7 not in (5, 6)
        ],
        ignore_conflicts=True,
    )


MINUTE = dt.timedelta(minutes=1)


def _shift_changes(
    rng: random.Random, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, str]]:
    """One shift's presence changes as an agent makes them: most sign in a few minutes early and
    out a little after the end, with a break (away) or a busy spell; some come late, a few leave
    early, now and then one does not come."""
    draw = rng.random()
    if draw < 0.03:
        return []  # missed the shift
    came = start + rng.randint(-12, 3) * MINUTE
    left = end + rng.randint(0, 15) * MINUTE
    if draw < 0.11:
        came = start + rng.randint(8, 45) * MINUTE  # late
    elif draw < 0.15:
        left = end - rng.randint(30, 120) * MINUTE  # left early
    changes = [(came, Presence.ONLINE.value)]
    middle = came + (left - came) / 2
    pause = rng.choice([Presence.AWAY.value, Presence.BUSY.value])
    changes += [(middle, pause), (middle + rng.randint(10, 30) * MINUTE, Presence.ONLINE.value)]
    changes.append((left, Presence.OFFLINE.value))
    return changes


def _presence() -> None:
    """The rostered agents' presence changes over their shifts that have ended (the attendance
    against the roster reads them), each agent's first change an hour before their first shift;
    then the presence each agent has now (signed in at the start of a shift in progress). Seeded:
    the same demo each time."""
    agents = _demo_agents()
    if PresenceLog.objects.filter(agent_id__in=agents).exists():
        return
    rng = random.Random(14)
    now = timezone.now()
    changes: dict[int, list[tuple[dt.datetime, str]]] = {pk: [] for pk in agents}
    first_shift: dict[int, dt.datetime] = {}
    in_progress: dict[int, dt.datetime] = {}
    entries = RosterEntry.objects.filter(agent_id__in=agents).select_related("shift")
    for entry in entries.order_by("day", "shift__start"):
        start, end = interval(entry.day, entry.shift)
        first_shift.setdefault(entry.agent_id, start)
        if end <= now:
            changes[entry.agent_id] += _shift_changes(rng, start, end)
        elif start <= now:
            in_progress[entry.agent_id] = start
    for agent_id, presence in AgentProfile.objects.filter(user_id__in=agents).values_list(
        "user_id", "presence"
    ):
        mine = changes[agent_id]
        if agent_id in first_shift:
            mine.insert(0, (first_shift[agent_id] - 60 * MINUTE, Presence.OFFLINE.value))
        if presence != Presence.OFFLINE and agent_id in in_progress:
            mine.append((in_progress[agent_id] - rng.randint(1, 10) * MINUTE, Presence.ONLINE))
        was = mine[-1][1] if mine else None
        if mine and presence != was:
            mine.append((max(now, mine[-1][0] + MINUTE), presence))
    PresenceLog.objects.bulk_create(
        PresenceLog(agent_id=agent_id, presence=str(presence), at=at)
        for agent_id, mine in changes.items()
        for at, presence in mine
    )


PRAISE = [
    (PraiseSource.LETTER, "送来锦旗：耐心细致，帮我们把退款办下来了"),
    (PraiseSource.PHONE, "电话里专门表扬：一次就把问题说清楚了"),
    (PraiseSource.SURVEY, "回访时说客服态度特别好，下次还找她"),
]


def _records() -> None:
    """表扬与投诉成立 on record (the rules and the sheets count them): praise for the first agents,
    last month and this, and the newest complaint judged valid upheld against its assignee."""
    supervisor = User.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("id").first()
    agents = _demo_agents()
    if supervisor is None or not agents or AgentRecord.objects.exists():
        return
    first = default_month()
    with muted():
        for n, (source, words) in enumerate(PRAISE):
            day = first + dt.timedelta(days=3 + 7 * n)
            records.record_praise(
                actor=supervisor,
                agent_id=agents[n % len(agents)],
                source=source,
                words=words,
                at=timezone.make_aware(dt.datetime.combine(day, dt.time(15, 30))),
            )
        complaint = next((t for t in records.upheld_complaints() if t.assignee_id in agents), None)
        if complaint is not None and complaint.assignee_id is not None:
            records.uphold_complaint(
                actor=supervisor,
                ticket_id=complaint.pk,
                agent_id=complaint.assignee_id,
                words="核实属实：答应的回电没有回",
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
    # the check runs as a chat closes: the demo's checks carry their chats' days, over the year
    Inspection.objects.filter(conversation_id__in=closed).update(
        checked_at=F("closed_at") + CHECK_DELAY
    )
    sampled = list(
        Review.objects.filter(inspection__conversation_id__in=closed).select_related("inspection")
    )
    for review in sampled:
        review.created_at = review.inspection.closed_at + CHECK_DELAY
    Review.objects.bulk_update(sampled, ["created_at"], batch_size=500)
    _reviews()


def _reviews() -> None:
    """An inspector reviews sampled chats spread over the demo's chats, the day after each closed; the
    agent of the newest one appeals it (within the appeal period, so it waits for a supervisor)."""
    inspector = User.objects.filter(role=Role.INSPECTOR, is_active=True).first()
    if inspector is None:
        return
    items = active_items()
    pending = list(
        Review.objects.filter(state=ReviewState.PENDING)
        .exclude(inspection__agent=inspector)
        .select_related("inspection")
        .order_by("inspection__closed_at", "id")
    )
    if not pending:
        return
    step = max(1, len(pending) // REVIEWED)
    chosen = pending[::step][:REVIEWED]
    now = timezone.now()
    with muted():
        for review in chosen:
            lost = {f.item_id: f.points for f in review.inspection.findings.all()}
            reviews.review_conversation(
                actor=inspector,
                review_id=review.pk,
                item_points={i.pk: max(0, i.weight - lost.get(i.pk, 0)) for i in items},
                comment="请注意服务用语" if review.inspection.severe else "整体良好",
            )
        for review in chosen[:-1]:
            Review.objects.filter(pk=review.pk).update(
                reviewed_at=min(now, review.inspection.closed_at + dt.timedelta(days=1))
            )
        newest = chosen[-1]
        if newest.inspection.agent_id:
            agent = User.objects.get(pk=newest.inspection.agent_id)
            reviews.appeal_review(
                actor=agent, review_id=newest.pk, reason="客户先情绪激动，我在解释规则"
            )
