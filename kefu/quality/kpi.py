"""KPIs 绩效指标 per agent for a month, from the facts already recorded: the chats' first response and
satisfaction (会话统计, kefu/conversations/statistics.py), the chats, tickets and calls handled,
tickets closed within their time limits, the quality score (`selectors.agent_quality`), the
customers' praise and the complaints upheld against the agent on record (AgentRecord: 投诉 counts
the complaints judged valid and upheld against the agent, not the chats where complaint words were
said) and the shifts kept as rostered (attendance.py). The reward/penalty rules
(services/sheet_rules.py) count from the same facts. Each indicator is scored against a manager's target and
weight (`KpiTarget`); the weighted sum over the indicators with data is the score out of 100."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.conversations.models import Conversation
from kefu.conversations.selectors import chat_totals
from kefu.core.sql_time import LocalDate
from kefu.quality.attendance import Attendance, attendance
from kefu.quality.models import AgentRecord, Indicator, KpiTarget, RecordKind
from kefu.telephony.models import Call, CallOutcome
from kefu.tickets.models import Ticket
from kefu.tickets.states import TicketState
from kefu.visits.models import ReturnVisit, VisitState

K = Indicator


@dataclass(frozen=True)
class Spec:
    indicator: str
    unit: Any
    higher_is_better: bool
    target: float
    weight: int
    digits: int = 1


SPECS: dict[str, Spec] = {
    K.FIRST_RESPONSE: Spec(K.FIRST_RESPONSE, _("seconds"), False, 30, 15, 0),
    K.HANDLED: Spec(K.HANDLED, "", True, 300, 20, 0),
    K.TIME_LIMITS: Spec(K.TIME_LIMITS, "%", True, 95, 15),
    K.SATISFACTION: Spec(K.SATISFACTION, pgettext_lazy("unit", "points"), True, 4.5, 20, 2),
    K.QUALITY: Spec(K.QUALITY, pgettext_lazy("unit", "points"), True, 90, 20),
    K.COMPLAINTS: Spec(K.COMPLAINTS, "", False, 1, 10, 0),
    # out of the score until a manager gives it a weight (the weights add up to 100)
    K.ATTENDANCE: Spec(K.ATTENDANCE, "%", True, 95, 0),
}


# The measures of the month shown beside the scored indicators (no target, no weight), stored on the
# sheet as the sums they come from (`AgentFacts.sums`) so that a team's totals add up exactly:
# key → (label, unit, digits).
MEASURES: dict[str, tuple[Any, Any, int]] = {
    "chats_per_day": (_("Chats per day worked"), "", 1),
    "calls_per_day": (_("Calls answered per day worked"), "", 1),
    "response": (_("Average response time"), _("seconds"), 0),
    "handling": (_("Average handling time of a chat"), _("seconds"), 0),
    "call_duration": (_("Average call duration"), _("seconds"), 0),
    "resolution": (_("Tickets resolved without reopening"), "%", 1),
    "visits": (_("Return visits done"), "", 0),
    "praise": (_("Praise from customers (5-star ratings and praise on record)"), "", 0),
}
SUMS = (
    "chats",
    "chat_days",
    "closed_chats",
    "handling_total",
    "responses",
    "response_total",
    "calls_answered",
    "call_days",
    "call_total",
    "tickets",
    "resolved",
    "visits",
    "praise",
)


def _ratio(part: float, whole: float, scale: float = 1.0, digits: int = 1) -> float | None:
    return round(scale * part / whole, digits) if whole else None


def measure_values(sums: dict[str, float]) -> dict[str, float | None]:
    """The measures from their sums (one agent's, or a team's added up)."""
    n = {key: sums.get(key) or 0 for key in SUMS}
    return {
        "chats_per_day": _ratio(n["chats"], n["chat_days"]),
        "calls_per_day": _ratio(n["calls_answered"], n["call_days"]),
        "response": _ratio(n["response_total"], n["responses"], digits=0),
        "handling": _ratio(n["handling_total"], n["closed_chats"], digits=0),
        "call_duration": _ratio(n["call_total"], n["calls_answered"], digits=0),
        "resolution": _ratio(n["resolved"], n["tickets"], 100),
        "visits": float(n["visits"]),
        "praise": float(n["praise"]),
    }


def add_up(many: list[dict[str, float]]) -> dict[str, float]:
    """The sums of several agents (a team's totals)."""
    return {key: sum(m.get(key) or 0 for m in many) for key in SUMS}


def parse_month(raw: str | None) -> dt.date | None:
    year, _dash, month = (raw or "").partition("-")
    if not (year.isdigit() and month.isdigit()):
        return None
    try:
        return dt.date(int(year), int(month), 1)
    except ValueError:
        return None


def default_month() -> dt.date:
    """Last month: the sheet is made in the first days of the following month (by the 5th)."""
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of `month`'s month."""
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def _start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass
class AgentFacts:
    agent_id: int
    chats: int = 0
    tickets: int = 0
    calls: int = 0
    tickets_in_time: int = 0
    first_response: float | None = None
    satisfaction: float | None = None
    quality: float | None = None
    severe: int = 0  # checked chats and calls with a forbidden word
    good_ratings: int = 0  # chats the customer rated 5 (非常满意)
    praised: int = 0  # customers' praise on record (AgentRecord)
    complaints_upheld: int = 0  # complaints upheld against the agent (AgentRecord, 投诉成立)
    attendance: Attendance = field(default_factory=Attendance)
    values: dict[str, float | None] = field(default_factory=dict)
    sums: dict[str, float] = field(default_factory=dict)  # the measures' sums (SUMS)

    def finish(self) -> AgentFacts:
        self.values = {
            K.FIRST_RESPONSE: self.first_response,
            K.HANDLED: float(self.chats + self.tickets + self.calls),
            K.TIME_LIMITS: (
                round(100 * self.tickets_in_time / self.tickets, 1) if self.tickets else None
            ),
            K.SATISFACTION: self.satisfaction,
            K.QUALITY: self.quality,
            # 投诉: the complaints upheld against the agent (a supervisor's AgentRecord of a
            # complaint judged valid), out of the score for an agent with no work and none upheld
            K.COMPLAINTS: (
                float(self.complaints_upheld)
                if self.chats or self.tickets or self.calls or self.complaints_upheld
                else None
            ),
            K.ATTENDANCE: self.attendance.kept_percent,
        }
        return self


def facts(*, start: dt.date, end: dt.date, agent_ids: list[int]) -> dict[int, AgentFacts]:
    """Each agent's facts over [start, end] (local days, both included). A handful of grouped
    queries, whatever the number of agents."""
    from kefu.quality.selectors import agent_quality

    wanted = set(agent_ids)
    rows = {pk: AgentFacts(pk) for pk in agent_ids}
    for pk in agent_ids:
        rows[pk].sums = dict.fromkeys(SUMS, 0)
    chat_handling: dict[int, float | None] = {}
    for total in chat_totals(since=start, until=end):
        if total.agent_id in wanted:
            row = rows[total.agent_id]
            row.chats = total.chats
            chat_handling[total.agent_id] = total.handling_seconds
            row.sums["chats"] = total.chats
            row.sums["responses"] = total.responses
            row.sums["response_total"] = round((total.response_seconds or 0) * total.responses)
            row.first_response = (
                round(total.first_response_seconds, 0)
                if total.first_response_seconds is not None
                else None
            )
            row.satisfaction = (
                round(total.satisfaction, 2) if total.satisfaction is not None else None
            )
    low, high = _start(start), _start(end + dt.timedelta(days=1))
    tickets = (
        Ticket.objects.filter(
            state=TicketState.CLOSED,
            closed_at__gte=low,
            closed_at__lt=high,
            assignee_id__in=wanted,
        )
        .values("assignee_id")
        .annotate(
            n=Count("id"),
            in_time=Count("id", filter=Q(first_breach_at__isnull=True)),
            resolved=Count("id", filter=Q(reopen_count=0)),
        )
        .order_by()
    )
    for r in tickets:
        rows[r["assignee_id"]].tickets = r["n"]
        rows[r["assignee_id"]].tickets_in_time = r["in_time"]
        rows[r["assignee_id"]].sums.update(tickets=r["n"], resolved=r["resolved"])
    tz = timezone.get_current_timezone()
    answered = Q(outcome=CallOutcome.ANSWERED)
    calls = (
        Call.objects.filter(started_at__gte=low, started_at__lt=high, agent_id__in=wanted)
        .values("agent_id")
        .annotate(
            n=Count("id"),
            answered=Count("id", filter=answered),
            days=Count(LocalDate("started_at", tzinfo=tz), distinct=True, filter=answered),
            talk=Avg("duration_seconds", filter=answered),
        )
        .order_by()
    )
    for r in calls:
        rows[r["agent_id"]].calls = r["n"]
        rows[r["agent_id"]].sums.update(
            calls_answered=r["answered"],
            call_days=r["days"],
            call_total=round((r["talk"] or 0) * r["answered"]),
        )
    # the same chats as 会话统计 (given to the agent in the period): the days worked, the closed
    # ones (for the handling time's total) and the customers' praise 表扬 (rated 5, 非常满意; the
    # praise on record is added below)
    chats = (
        Conversation.objects.filter(
            assigned_at__gte=low, assigned_at__lt=high, assignee_id__in=wanted
        )
        .values("assignee_id")
        .annotate(
            days=Count(LocalDate("assigned_at", tzinfo=tz), distinct=True),
            closed=Count("id", filter=Q(closed_at__isnull=False)),
            praise=Count("id", filter=Q(rating=5)),
        )
        .order_by()
    )
    for r in chats:
        rows[r["assignee_id"]].good_ratings = r["praise"]
        sums = rows[r["assignee_id"]].sums
        sums.update(chat_days=r["days"], closed_chats=r["closed"], praise=r["praise"])
        sums["handling_total"] = round((chat_handling.get(r["assignee_id"]) or 0) * r["closed"])
    visits = (
        ReturnVisit.objects.filter(
            state=VisitState.DONE,
            completed_at__gte=low,
            completed_at__lt=high,
            assignee_id__in=wanted,
        )
        .values("assignee_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in visits:
        rows[r["assignee_id"]].sums["visits"] = r["n"]
    for agent_id, quality in agent_quality(start=start, end=end, agent_ids=agent_ids).items():
        rows[agent_id].quality = (
            quality.review_score if quality.review_score is not None else quality.auto_score
        )
        rows[agent_id].severe = quality.severe
    # a supervisor's records: the customers' praise 表扬 and the complaints upheld 投诉成立
    records = (
        AgentRecord.objects.filter(recorded_at__gte=low, recorded_at__lt=high, agent_id__in=wanted)
        .values("agent_id")
        .annotate(
            praised=Count("id", filter=Q(kind=RecordKind.PRAISE)),
            upheld=Count("id", filter=Q(kind=RecordKind.COMPLAINT_UPHELD)),
        )
        .order_by()
    )
    for r in records:
        row = rows[r["agent_id"]]
        row.praised, row.complaints_upheld = r["praised"], r["upheld"]
        row.sums["praise"] += r["praised"]
    for agent_id, kept in attendance(start=start, end=end, agent_ids=agent_ids).items():
        rows[agent_id].attendance = kept
    return {pk: row.finish() for pk, row in rows.items()}


def targets() -> dict[str, KpiTarget]:
    """The managers' targets, one per indicator (the defaults stored on the first read)."""
    existing = {t.indicator: t for t in KpiTarget.objects.all()}
    missing = [
        KpiTarget(indicator=key, target=spec.target, weight=spec.weight)
        for key, spec in SPECS.items()
        if key not in existing
    ]
    if missing:
        KpiTarget.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.indicator: t for t in KpiTarget.objects.all()}
    return existing


def achievement(spec: Spec, value: float | None, target: float) -> float | None:
    """How much of the target is reached, 0–1 (None: no data)."""
    if value is None:
        return None
    if spec.higher_is_better:
        if target <= 0:
            return 1.0
        return max(0.0, min(1.0, value / target))
    if value <= target:
        return 1.0
    return max(0.0, min(1.0, target / value)) if target > 0 else 0.0


def score_sheet(
    values: dict[str, float | None], goals: dict[str, KpiTarget]
) -> tuple[list[dict[str, Any]], float | None]:
    """The sheet's lines and the score out of 100: each indicator's weight times its achievement,
    over the indicators with data (their weights scaled up to 100)."""
    lines = []
    present_weight = 0
    earned = 0.0
    for key, spec in SPECS.items():
        goal = goals[key]
        value = values.get(key)
        reached = achievement(spec, value, goal.target)
        points = None
        if reached is not None and goal.weight:
            present_weight += goal.weight
            earned += goal.weight * reached
            points = round(goal.weight * reached, 1)
        lines.append(
            {
                "indicator": key,
                "value": value,
                "target": goal.target,
                "weight": goal.weight,
                "achievement": round(100 * reached, 1) if reached is not None else None,
                "points": points,
            }
        )
    score = round(100 * earned / present_weight, 1) if present_weight else None
    return lines, score


def month_scores(
    month: dt.date, agent_ids: list[int]
) -> dict[int, tuple[dict[str, Any], list[dict[str, Any]], float | None]]:
    """Per agent: (facts, sheet lines, score) for `month`. The facts: chats, tickets, calls, the
    attendance (shifts, late, absent, left_early, unrecorded) and `sums`, the measures' sums (MEASURES)."""
    start, end = month_bounds(month)
    goals = targets()
    out = {}
    for agent_id, row in facts(start=start, end=end, agent_ids=agent_ids).items():
        lines, score = score_sheet(row.values, goals)
        kept = row.attendance
        detail = {
            "chats": row.chats,
            "tickets": row.tickets,
            "calls": row.calls,
            "shifts": kept.shifts,
            "late": kept.late,
            "absent": kept.absent,
            "left_early": kept.left_early,
            "unrecorded": kept.unrecorded,
            "sums": row.sums,
        }
        out[agent_id] = (detail, lines, score)
    return out
