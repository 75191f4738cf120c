"""Quality API: the per-agent quality figures over a date range, one checked conversation with its
findings and review, the rubric 质检标准, the reviews (an inspector's queue, an agent's own), the
reward/penalty sheets 奖罚评分表, the month's performance sheets 绩效考核表 and one sheet, a week's roster
排班 and the month's leaderboard 评比. Reads only; the writes are in api_writes.py. Who
sees what is the pages' rule: an agent their own signed sheets, their own shifts, their teams'
boards; an object the user may not see answers 404."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, P, QueryEx, Router, Schema

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.core.errors import DomainError, InvalidState
from kefu.core.reporting import checked_period
from kefu.quality import selectors
from kefu.quality.kpi import month_bounds, parse_month
from kefu.quality.models import (
    PerformanceSheet,
    ReviewState,
    RewardPenaltySheet,
    RosterEntry,
    SheetState,
)
from kefu.quality.services.rubric import quality_settings

router = Router(tags=["quality"])


class AgentQualityOut(Schema):
    agent_id: int
    checked: int
    auto_score: float | None
    severe: int
    findings: int
    reviewed: int
    review_score: float | None
    appeals: int
    appeals_changed: int


class FindingOut(Schema):
    id: int
    kind: str
    label: str
    message_id: int | None
    matched: str
    detail: str
    points: int
    severe: bool


class ReviewOut(Schema):
    state: str
    reason: str
    score: int | None
    final_score: int | None
    comment: str
    reviewed_at: dt.datetime | None
    appeal_reason: str
    appealed_at: dt.datetime | None
    decision_note: str
    decided_at: dt.datetime | None
    item_points: dict[str, int]  # rubric item id → the points the inspector gave
    version: int  # sent back with a review or a decision (another answers 409)


class InspectionOut(Schema):
    id: int
    conversation_id: int | None  # a chat's check; empty for a call's
    call_id: int | None  # a telephony call's check (by its notes)
    agent_id: int | None
    channel: str
    score: int
    severe: bool
    closed_at: dt.datetime
    findings: list[FindingOut]
    review: ReviewOut | None


@router.get(
    "/quality/agents",
    response=list[AgentQualityOut],
    summary="Per-agent quality figures of the conversations closed from start to end (days included)",
)
def agent_figures(
    request: AuthenticatedRequest, start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    user = request.user
    if not any(user.has_perm(p) for p in (Perm.VIEW_REPORTS, Perm.EVALUATE, Perm.INSPECT_QUALITY)):
        raise PermissionDenied
    checked_period(start, end)
    figures = selectors.agent_quality(start=start, end=end)
    return [vars(f) for f in figures.values()]


@router.get(
    "/quality/checks/{inspection_id}",
    response=InspectionOut,
    summary="One checked conversation: its automatic score, findings and review",
)
def inspection_detail(request: AuthenticatedRequest, inspection_id: int) -> dict[str, Any]:
    inspection = selectors.access_inspection(actor=request.user, inspection_id=inspection_id)
    review = selectors.review_of(inspection)
    return {
        "id": inspection.pk,
        "conversation_id": inspection.conversation_id,
        "call_id": inspection.call_id,
        "agent_id": inspection.agent_id,
        "channel": inspection.channel,
        "score": inspection.score,
        "severe": inspection.severe,
        "closed_at": inspection.closed_at,
        "findings": list(inspection.findings.all()),
        "review": review,
    }


class RubricItemOut(Schema):
    id: int
    kind: str
    label: str
    weight: int
    is_active: bool
    severe: bool  # a finding alerts the supervisor at once
    phrases: list[str]
    triggers: list[str]
    limit: int | None


@router.get(
    "/quality/rubric",
    response=list[RubricItemOut],
    summary="The rubric 质检标准: its scoring items with their weights and the phrase lists managers edit",
)
def rubric(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    from kefu.quality.services.rubric import rubric_items

    user = request.user
    if not any(user.has_perm(p) for p in (Perm.MANAGE_SETTINGS, Perm.INSPECT_QUALITY)):
        raise PermissionDenied
    return [
        {
            "id": item.pk,
            "kind": item.kind,
            "label": item.label,
            "weight": item.weight,
            "is_active": item.is_active,
            "severe": item.is_severe,
            "phrases": item.phrase_list(),
            "triggers": item.trigger_list(),
            "limit": item.limit,
        }
        for item in rubric_items()
    ]


class ReviewListOut(ReviewOut):
    inspection_id: int
    agent_id: int | None
    channel: str


@router.get(
    "/quality/reviews",
    response=list[ReviewListOut],
    summary="Manual reviews, newest first: inspectors, supervisors and managers every review (in "
    "the state asked, pending by default); an agent their own reviewed ones",
)
def reviews(
    request: AuthenticatedRequest,
    state: QueryEx[str, P(description="pending, done, appealed or decided")] = ReviewState.PENDING,
    limit: QueryEx[int, P(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    if state not in ReviewState.values:
        raise DomainError(_("Choose one of the review states."))
    user = request.user
    if selectors.may_inspect(user) or user.has_perm(Perm.EVALUATE):
        found = selectors.review_queue(user, state=state)
    elif user.has_perm(Perm.SERVE_CUSTOMERS):
        found = selectors.my_reviews(user).filter(state=state)
    else:
        raise PermissionDenied
    return [
        {
            **{name: getattr(review, name) for name in ReviewOut.model_fields},
            "inspection_id": review.inspection_id,
            "agent_id": review.inspection.agent_id,
            "channel": review.inspection.channel,
        }
        for review in found.select_related("inspection")[:limit]
    ]


class SheetItemOut(Schema):
    id: int
    points: int
    reason: str
    rule: str  # the rule that drafted the line (api_writes, sheet_rules); empty: typed by hand
    rule_points: int | None  # what the rule gave, if the supervisor adjusted it since


class RewardSheetOut(Schema):
    id: int
    agent_id: int
    agent_name: str
    month: str  # 2026-11
    state: str
    points: int
    fen_per_point: int  # as approved; the current setting before
    amount_fen: int  # points × fen_per_point: the reward (or, negative, the penalty) in fen
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    decision_note: str
    version: int
    items: list[SheetItemOut]


@router.get(
    "/quality/reward-sheets",
    response=list[RewardSheetOut],
    summary="The month's reward/penalty sheets 奖罚评分表 with their items: supervisors and managers "
    "every agent's, an agent their own approved one",
)
def reward_sheets(
    request: AuthenticatedRequest, month: str, state: str = ""
) -> list[dict[str, Any]]:
    first = _checked_month(month)
    if state and state not in SheetState.values:
        raise DomainError(_("Choose one of the sheet states."))
    sheets = selectors.sheet_list(request.user, month=first, state=state).prefetch_related("items")
    current = quality_settings().fen_per_point
    out = []
    for sheet in sheets:
        points = sum(item.points for item in sheet.items.all())
        rate = sheet.fen_per_point if sheet.fen_per_point is not None else current
        out.append(_reward_sheet_out(sheet, points=points, rate=rate))
    return out


def _reward_sheet_out(sheet: RewardPenaltySheet, *, points: int, rate: int) -> dict[str, Any]:
    return {
        "id": sheet.pk,
        "agent_id": sheet.agent_id,
        "agent_name": str(sheet.agent),
        "month": sheet.month.strftime("%Y-%m"),
        "state": sheet.state,
        "points": points,
        "fen_per_point": rate,
        "amount_fen": points * rate,
        "submitted_at": sheet.submitted_at,
        "decided_at": sheet.decided_at,
        "decision_note": sheet.decision_note,
        "version": sheet.version,
        "items": [
            {
                "id": i.pk,
                "points": i.points,
                "reason": i.reason,
                "rule": i.rule,
                "rule_points": i.rule_points,
            }
            for i in sheet.items.all()
        ],
    }


# ---- Performance sheets 绩效考核表, rosters 排班, leaderboards 评比 ----------------------------------


def _checked_month(raw: str) -> dt.date:
    """The first day of the month given as 2026-11; a 400 for anything else or a month outside
    the days the reports cover (checked before its bounds are computed: 9999-12 has no end)."""
    month = parse_month(raw) if len(raw) <= 7 else None
    if month is None:
        raise DomainError(_("Give the month as 2026-11."))
    checked_period(month, month)
    checked_period(*month_bounds(month))
    return month


class PerformanceLineOut(Schema):
    indicator: str
    label: str
    unit: str
    value: float | None
    target: float | None
    weight: int | None
    achievement: float | None
    points: float | None


class PerformanceMeasureOut(Schema):
    key: str  # kpi.MEASURES: chats_per_day, calls_per_day, response, handling, call_duration, …
    label: str
    unit: str
    value: float | None


def _measures_out(sums: dict[str, float]) -> list[dict[str, Any]]:
    return [
        {"key": m["key"], "label": str(m["label"]), "unit": str(m["unit"]), "value": m["value"]}
        for m in selectors.performance_measures(sums)
    ]


class PerformanceSheetOut(Schema):
    id: int
    agent_id: int
    agent_name: str
    month: str  # 2026-11
    state: str
    score: float | None
    computed_at: dt.datetime
    signed_by_id: int | None
    signed_at: dt.datetime | None
    comment: str
    acknowledged_at: dt.datetime | None
    adjustment: float  # a manager's points added to the score (negative: deducted)
    adjustment_reason: str
    final_score: float | None  # the score with the adjustment, within 0–100
    approved_by_id: int | None
    approved_at: dt.datetime | None  # set: approved and locked
    version: int
    measures: list[PerformanceMeasureOut]  # empty: computed before the measures were kept


class PerformanceSheetDetailOut(PerformanceSheetOut):
    lines: list[PerformanceLineOut]


def _sheet_out(sheet: PerformanceSheet) -> dict[str, Any]:
    return {
        "id": sheet.pk,
        "agent_id": sheet.agent_id,
        "agent_name": str(sheet.agent),
        "month": sheet.month.strftime("%Y-%m"),
        "state": sheet.state,
        "score": sheet.score,
        "computed_at": sheet.computed_at,
        "signed_by_id": sheet.signed_by_id,
        "signed_at": sheet.signed_at,
        "comment": sheet.comment,
        "acknowledged_at": sheet.acknowledged_at,
        "adjustment": sheet.adjustment,
        "adjustment_reason": sheet.adjustment_reason,
        "final_score": sheet.final_score,
        "approved_by_id": sheet.approved_by_id,
        "approved_at": sheet.approved_at,
        "version": sheet.version,
        "measures": _measures_out(sheet.measures),
    }


@router.get(
    "/quality/performance",
    response=list[PerformanceSheetOut],
    summary="The month's performance sheets (2026-11) with the month's measures: every agent's for "
    "managers, their teams' agents' for supervisors, an agent's own signed one for an agent",
)
def performance_sheets(request: AuthenticatedRequest, month: str) -> list[dict[str, Any]]:
    user = request.user
    if not (selectors.may_see_all_performance(user) or user.has_perm(Perm.SERVE_CUSTOMERS)):
        raise PermissionDenied
    first = _checked_month(month)
    sheets = (
        selectors.visible_performance(user)
        .filter(month=first)
        .order_by("-score", "agent__display_name", "id")[:1000]
    )
    return [_sheet_out(sheet) for sheet in sheets]


class TeamTotalsOut(Schema):
    team_id: int
    team_name: str
    agents: int  # the team's agents with a sheet of the month
    measures: list[PerformanceMeasureOut]


@router.get(
    "/quality/performance-teams",
    response=list[TeamTotalsOut],
    summary="The month's (2026-11) KPI totals of each team, from its agents' computed sheets: a "
    "supervisor their own teams', a manager every team's",
)
def performance_teams(request: AuthenticatedRequest, month: str) -> list[dict[str, Any]]:
    if not selectors.may_see_all_performance(request.user):
        raise PermissionDenied
    first = _checked_month(month)
    return [
        {
            "team_id": row["team"].pk,
            "team_name": row["team"].name,
            "agents": row["agents"],
            "measures": _measures_out(row["sums"]),
        }
        for row in selectors.team_totals(request.user, first)
    ]


@router.get(
    "/quality/performance/{sheet_id}",
    response=PerformanceSheetDetailOut,
    summary="One performance sheet with its lines (an agent: their own, once signed)",
)
def performance_sheet(request: AuthenticatedRequest, sheet_id: int) -> dict[str, Any]:
    sheet = selectors.access_performance(actor=request.user, sheet_id=sheet_id)
    lines = [
        {
            **{key: line.get(key) for key in PerformanceLineOut.model_fields},
            "label": str(line["label"]),
            "unit": str(line["unit"]),
        }
        for line in selectors.performance_lines(sheet)
    ]
    return {**_sheet_out(sheet), "lines": lines}


# A time of day as the shifts keep it, 08:00:00 (no offset: the business's local time). Not
# `dt.time`, whose OpenAPI format "time" (RFC 3339) wants an offset the shifts do not have.
CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"
TimeOfDay = Annotated[str, Field(pattern=CLOCK, examples=["08:00:00"])]


def clock(time: dt.time) -> str:
    return time.strftime("%H:%M:%S")


class RosterEntryOut(Schema):
    id: int
    day: dt.date
    agent_id: int
    agent_name: str
    shift_id: int
    shift_name: str
    starts: TimeOfDay
    ends: TimeOfDay  # not after `starts`: the shift runs past midnight


@router.get(
    "/quality/roster",
    response=list[RosterEntryOut],
    summary="The shifts of the week holding `week` (Monday to Sunday): every agent's (of a team) "
    "for supervisors, their own for an agent",
)
def roster(
    request: AuthenticatedRequest, week: dt.date, team: int | None = None
) -> list[dict[str, Any]]:
    user = request.user
    sees_all = user.has_perm(Perm.ASSIGN_WORK)
    if not (sees_all or user.has_perm(Perm.SERVE_CUSTOMERS)):
        raise PermissionDenied
    checked_period(week, week)
    first = week - dt.timedelta(days=week.weekday())
    last = first + dt.timedelta(days=6)
    checked_period(first, last)
    entries = RosterEntry.objects.filter(day__gte=first, day__lte=last).select_related(
        "agent", "shift"
    )
    if not sees_all:
        entries = entries.filter(agent=user)
    elif team is not None:
        entries = entries.filter(agent__agent_profile__teams__id=team)
    return [
        {
            "id": e.pk,
            "day": e.day,
            "agent_id": e.agent_id,
            "agent_name": str(e.agent),
            "shift_id": e.shift_id,
            "shift_name": e.shift.name,
            "starts": clock(e.shift.start),
            "ends": clock(e.shift.end),
        }
        for e in entries.order_by("day", "shift__start", "agent__display_name", "id")[:5000]
    ]


class LeaderboardRowOut(Schema):
    rank: int | None
    agent_id: int
    agent_name: str
    score: float | None
    handled: float | None
    satisfaction: float | None
    quality: float | None
    first_response: float | None
    praise: float | None  # the month's 5-star ratings of the agent's chats


class LeaderboardOut(Schema):
    month: str
    team_id: int | None  # empty: the whole company
    rows: list[LeaderboardRowOut]


@router.get(
    "/quality/leaderboard",
    response=LeaderboardOut,
    summary="The month's ranking (2026-11) of a team's agents by their KPI score, as the page "
    "shows it: an agent sees their own teams' boards (the first one by default); 409 while a "
    "manager has not switched the leaderboard on",
)
def leaderboard(
    request: AuthenticatedRequest, month: str, team: int | None = None
) -> dict[str, Any]:
    user = request.user
    if not any(
        user.has_perm(p) for p in (Perm.SERVE_CUSTOMERS, Perm.EVALUATE, Perm.APPROVE_SHEETS)
    ):
        raise PermissionDenied
    if not quality_settings().leaderboard_on:
        raise InvalidState(_("The leaderboard is switched off: a manager switches it on."))
    first = _checked_month(month)
    allowed = selectors.leaderboard_teams(user)
    if allowed is not None:
        team_ids = list(allowed.values_list("pk", flat=True))
        if team is None and team_ids:
            team = team_ids[0]
        if team is not None and team not in team_ids:
            raise Http404
        if team is None:  # an agent in no team sees no board
            return {"month": first.strftime("%Y-%m"), "team_id": None, "rows": []}
    rows = selectors.leaderboard(first, team_id=team)
    return {
        "month": first.strftime("%Y-%m"),
        "team_id": team,
        "rows": [
            {
                "rank": r["rank"],
                "agent_id": r["agent"].pk,
                "agent_name": str(r["agent"]),
                "score": r["score"],
                "handled": r["handled"],
                "satisfaction": r["satisfaction"],
                "quality": r["quality"],
                "first_response": r["first_response"],
                "praise": r["praise"],
            }
            for r in rows
        ],
    }
