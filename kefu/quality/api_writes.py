"""Quality API writes: what the pages do, through the same services and the same access checks (a
sheet the user may not see answers 404, an action their role may not take 403): sign, adjust (a
manager, with a reason), approve (a superior; it is locked) and acknowledge a performance sheet
绩效考核表; draft the month's reward/penalty sheets 奖罚评分表 from
the rules, adjust a line, submit, approve or return a sheet; save a roster week 排班; list, record and
take back the leaves 请假. Each answers with the object read again, as the reads of api.py show it."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.core.reporting import checked_period
from kefu.quality import api as reads
from kefu.quality import selectors, services
from kefu.quality.services import performance, roster, sheet_rules

router = Router(tags=["quality"])


class VersionIn(Schema):
    version: int | None = Field(None, description="the version read; another answers 409")


class SignIn(VersionIn):
    comment: str = Field("", max_length=300)


@router.post(
    "/quality/performance/{sheet_id}/sign",
    response=reads.PerformanceSheetDetailOut,
    summary="Sign a computed performance sheet (a supervisor, never their own): it is locked and "
    "shown to the agent",
)
def sign_performance(request: AuthenticatedRequest, sheet_id: int, body: SignIn) -> dict[str, Any]:
    selectors.access_performance(actor=request.user, sheet_id=sheet_id)
    performance.sign_sheet(
        actor=request.user,
        sheet_id=sheet_id,
        comment=body.comment,
        expected_version=body.version,
        request=request,
    )
    return reads.performance_sheet(request, sheet_id)


@router.post(
    "/quality/performance/{sheet_id}/acknowledge",
    response=reads.PerformanceSheetDetailOut,
    summary="The agent acknowledges their signed performance sheet 签字确认",
)
def acknowledge_performance(
    request: AuthenticatedRequest, sheet_id: int, body: VersionIn
) -> dict[str, Any]:
    selectors.access_performance(actor=request.user, sheet_id=sheet_id)
    performance.acknowledge_sheet(
        actor=request.user, sheet_id=sheet_id, expected_version=body.version, request=request
    )
    return reads.performance_sheet(request, sheet_id)


class AdjustIn(VersionIn):
    points: float = Field(
        ge=-performance.MAX_ADJUSTMENT,
        le=performance.MAX_ADJUSTMENT,
        description="points added to the computed score (negative: deducted; 0 takes it back)",
    )
    reason: str = Field("", max_length=300, description="required unless points is 0")


@router.post(
    "/quality/performance/{sheet_id}/adjust",
    response=reads.PerformanceSheetDetailOut,
    summary="Adjust the score of a performance sheet by some points with a reason (a manager or "
    "supervisor, never their own; audited), until it is approved; an acknowledged sheet goes back "
    "to the agent",
)
def adjust_performance(
    request: AuthenticatedRequest, sheet_id: int, body: AdjustIn
) -> dict[str, Any]:
    selectors.access_performance(actor=request.user, sheet_id=sheet_id)
    performance.adjust_sheet(
        actor=request.user,
        sheet_id=sheet_id,
        points=body.points,
        reason=body.reason,
        expected_version=body.version,
        request=request,
    )
    return reads.performance_sheet(request, sheet_id)


@router.post(
    "/quality/performance/{sheet_id}/approve",
    response=reads.PerformanceSheetDetailOut,
    summary="Approve a signed performance sheet (a superior who did not sign it): it is locked, "
    "nothing on it changes after",
)
def approve_performance(
    request: AuthenticatedRequest, sheet_id: int, body: VersionIn
) -> dict[str, Any]:
    selectors.access_performance(actor=request.user, sheet_id=sheet_id)
    performance.approve_sheet(
        actor=request.user, sheet_id=sheet_id, expected_version=body.version, request=request
    )
    return reads.performance_sheet(request, sheet_id)


def _reward_sheet(request: AuthenticatedRequest, sheet_id: int) -> dict[str, Any]:
    sheet = selectors.access_sheet(actor=request.user, sheet_id=sheet_id)
    return reads._reward_sheet_out(sheet, points=sheet.total, rate=services.sheet_rate(sheet))


class DraftedOut(Schema):
    made: int
    refreshed: int
    kept: int  # changed, submitted or approved by a person: left as they are


@router.post(
    "/quality/reward-sheets/drafts",
    response=DraftedOut,
    summary="Draft the month's reward/penalty sheets (2026-11) from the rules now (the scheduler "
    "does it the day before payday); drafts nobody has changed are refreshed",
)
def draft_reward_sheets(request: AuthenticatedRequest, month: str) -> dict[str, Any]:
    first = reads._checked_month(month)
    drafted = sheet_rules.draft_from_rules(actor=request.user, month=first)
    return vars(drafted)


class ItemIn(VersionIn):
    points: int = Field(ge=-services.MAX_POINTS, le=services.MAX_POINTS)
    reason: str = Field(max_length=200)


@router.put(
    "/quality/reward-sheets/{sheet_id}/items/{item_id}",
    response=reads.RewardSheetOut,
    summary="Adjust a line of a draft or returned sheet (a line from a rule keeps the rule's points)",
)
def change_reward_item(
    request: AuthenticatedRequest, sheet_id: int, item_id: int, body: ItemIn
) -> dict[str, Any]:
    selectors.access_sheet(actor=request.user, sheet_id=sheet_id)
    services.change_item(
        actor=request.user,
        sheet_id=sheet_id,
        item_id=item_id,
        points=body.points,
        reason=body.reason,
        expected_version=body.version,
    )
    return _reward_sheet(request, sheet_id)


@router.post(
    "/quality/reward-sheets/{sheet_id}/submit",
    response=reads.RewardSheetOut,
    summary="Submit a reward/penalty sheet for a manager's approval",
)
def submit_reward_sheet(
    request: AuthenticatedRequest, sheet_id: int, body: VersionIn
) -> dict[str, Any]:
    selectors.access_sheet(actor=request.user, sheet_id=sheet_id)
    services.submit_sheet(actor=request.user, sheet_id=sheet_id, expected_version=body.version)
    return _reward_sheet(request, sheet_id)


class DecisionIn(VersionIn):
    decision: Literal["approve", "return"]
    note: str = Field("", max_length=300, description="why it goes back (needed to return)")


@router.post(
    "/quality/reward-sheets/{sheet_id}/decide",
    response=reads.RewardSheetOut,
    summary="Approve a submitted sheet (locked, its amount per point fixed) or return it with a "
    "reason; never by whoever drafted it",
)
def decide_reward_sheet(
    request: AuthenticatedRequest, sheet_id: int, body: DecisionIn
) -> dict[str, Any]:
    selectors.access_sheet(actor=request.user, sheet_id=sheet_id)
    services.decide_sheet(
        actor=request.user,
        sheet_id=sheet_id,
        approve=body.decision == "approve",
        note=body.note,
        expected_version=body.version,
    )
    return _reward_sheet(request, sheet_id)


class CellIn(Schema):
    agent_id: int
    day: dt.date
    shift_ids: list[int] = Field(max_length=5, description="empty: a day off")


class RosterWeekIn(Schema):
    cells: list[CellIn] = Field(max_length=2000)


class RosterWeekOut(Schema):
    changed: int  # cells whose shifts changed
    entries: list[reads.RosterEntryOut]


@router.put(
    "/quality/roster/weeks/{week}",
    response=RosterWeekOut,
    summary="Save the roster of the week holding `week` (Monday to Sunday): each cell given gets "
    "exactly its shifts; overlapping shifts refuse the whole week, nothing saved",
)
def save_roster_week(
    request: AuthenticatedRequest, week: dt.date, body: RosterWeekIn
) -> dict[str, Any]:
    checked_period(week, week)
    first = roster.week_start(week)
    changed = roster.save_week(
        actor=request.user,
        first_day=first,
        cells={(c.agent_id, c.day): c.shift_ids for c in body.cells},
        request=request,
    )
    return {"changed": changed, "entries": reads.roster(request, first)}


class LeaveIn(Schema):
    agent_id: int
    first_day: dt.date
    last_day: dt.date
    reason: str = Field("", max_length=200)


class LeaveOut(Schema):
    id: int
    agent_id: int
    first_day: dt.date
    last_day: dt.date
    reason: str


class LeaveListOut(LeaveOut):
    agent_name: str


@router.get(
    "/quality/leaves",
    response=list[LeaveListOut],
    summary="The leaves ending on or after `since` (today by default), soonest first: everyone's "
    "for supervisors (or one agent's), their own for an agent",
)
def leaves(
    request: AuthenticatedRequest, since: dt.date | None = None, agent: int | None = None
) -> list[dict[str, Any]]:
    user = request.user
    if not (user.has_perm(Perm.ASSIGN_WORK) or user.has_perm(Perm.SERVE_CUSTOMERS)):
        raise PermissionDenied
    since = since or timezone.localdate()
    checked_period(since, since)
    found = selectors.leaves(since=since)
    if not user.has_perm(Perm.ASSIGN_WORK):
        found = found.filter(agent=user)
    elif agent is not None:
        found = found.filter(agent_id=agent)
    return [
        {
            "id": leave.pk,
            "agent_id": leave.agent_id,
            "agent_name": str(leave.agent),
            "first_day": leave.first_day,
            "last_day": leave.last_day,
            "reason": leave.reason,
        }
        for leave in found.order_by("first_day", "agent_id", "id")[:1000]
    ]


@router.post(
    "/quality/leaves",
    response={201: LeaveOut},
    summary="Record an agent's leave 请假 (both days included): their shifts on those days do not count",
)
def record_leave(request: AuthenticatedRequest, body: LeaveIn) -> Status[Any]:
    checked_period(min(body.first_day, body.last_day), max(body.first_day, body.last_day))
    leave = roster.record_leave(
        actor=request.user,
        agent_id=body.agent_id,
        first_day=body.first_day,
        last_day=body.last_day,
        reason=body.reason,
        request=request,
    )
    return Status(201, leave)


class CancelledOut(Schema):
    id: int
    cancelled: bool


@router.delete(
    "/quality/leaves/{leave_id}",
    response=CancelledOut,
    summary="Take back a leave recorded by mistake",
)
def cancel_leave(request: AuthenticatedRequest, leave_id: int) -> dict[str, Any]:
    roster.cancel_leave(actor=request.user, leave_id=leave_id, request=request)
    return {"id": leave_id, "cancelled": True}
