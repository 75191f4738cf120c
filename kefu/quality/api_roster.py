"""Quality API of the rosters 排班/值班 beyond the week's grid (api_writes.py): the shifts (early,
late, night…), the month's grid 值班表 read and edited as the page does (?month=2026-12), last week copied, the swaps 换班 an agent asks for and a supervisor decides, the
leaves 请假 and who is on duty now. The pages' people: supervisors and managers
(Perm.ASSIGN_WORK) everything, an agent their own shifts, swaps and leaves. Through the roster
services, so every change is audited as on the page; a swap the user may not see is 404."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from ninja import Field, P, QueryEx, Router, Schema, Status

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.models import Team, User
from kefu.accounts.roles import Perm
from kefu.core.reporting import checked_period
from kefu.quality import api as reads
from kefu.quality import selectors
from kefu.quality.api_writes import CellIn
from kefu.quality.kpi import month_bounds
from kefu.quality.models import Shift, ShiftSwap, SwapState
from kefu.quality.services import roster

router = Router(tags=["quality"])


def _assigns_work(user: User) -> bool:
    return user.has_perm(Perm.ASSIGN_WORK)


def _require(user: User, *perms: str) -> None:
    if not any(user.has_perm(p) for p in perms):
        raise PermissionDenied


# ---- Shifts 班次 ---------------------------------------------------------------------------------


class ShiftOut(Schema):
    id: int
    name: str
    starts: reads.TimeOfDay
    ends: reads.TimeOfDay  # not after `starts`: the shift runs past midnight
    is_active: bool


HOURS = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


class ShiftIn(Schema):
    name: str = Field(min_length=1, max_length=30)
    starts: str = Field(pattern=HOURS, description="08:00, local time")
    ends: str = Field(pattern=HOURS, description="16:00; not after `starts`: past midnight")
    is_active: bool = True


def _shift_out(shift: Shift) -> dict[str, Any]:
    return {
        "id": shift.pk,
        "name": shift.name,
        "starts": reads.clock(shift.start),
        "ends": reads.clock(shift.end),
        "is_active": shift.is_active,
    }


@router.get(
    "/quality/shifts",
    response=list[ShiftOut],
    summary="The kinds of shift 班次 (早班, 中班, 晚班 made on the first read)",
)
def shifts(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    _require(request.user, Perm.ASSIGN_WORK, Perm.SERVE_CUSTOMERS)
    return [_shift_out(s) for s in roster.ensure_shifts()]


@router.post(
    "/quality/shifts",
    response={201: ShiftOut},
    summary="Add a shift (at most 20; a unique name)",
)
def add_shift(request: AuthenticatedRequest, body: ShiftIn) -> Status[Any]:
    _require(request.user, Perm.ASSIGN_WORK)
    shift = roster.save_shift(
        actor=request.user,
        name=body.name,
        start=dt.time.fromisoformat(body.starts),
        end=dt.time.fromisoformat(body.ends),
        is_active=body.is_active,
        request=request,
    )
    return Status(201, _shift_out(shift))


@router.put(
    "/quality/shifts/{shift_id}",
    response=ShiftOut,
    summary="Change a shift: its name, whether it is offered; its hours only while nobody is "
    "rostered on it from today",
)
def change_shift(request: AuthenticatedRequest, shift_id: int, body: ShiftIn) -> dict[str, Any]:
    _require(request.user, Perm.ASSIGN_WORK)
    if not Shift.objects.filter(pk=shift_id).exists():
        raise Http404
    shift = roster.save_shift(
        actor=request.user,
        shift_id=shift_id,
        name=body.name,
        start=dt.time.fromisoformat(body.starts),
        end=dt.time.fromisoformat(body.ends),
        is_active=body.is_active,
        request=request,
    )
    return _shift_out(shift)


# ---- The week 排班 --------------------------------------------------------------------------------


class GridDayOut(Schema):
    day: dt.date
    name: str  # the business calendar's name of a holiday or adjusted working day, or ""
    working: bool


class GridCellOut(Schema):
    day: dt.date
    shift_ids: list[int]  # empty: a day off
    leave: bool  # on leave 请假 that day


class GridRowOut(Schema):
    agent_id: int
    agent_name: str
    cells: list[GridCellOut]  # one per day of the month, in order


class RosterMonthOut(Schema):
    month: str  # 2026-12
    team_id: int | None
    days: list[GridDayOut]
    rows: list[GridRowOut]


class RosterMonthIn(Schema):
    cells: list[CellIn] = Field(max_length=5000)


def _month_grid(month: dt.date, team_id: int | None) -> dict[str, Any]:
    first, last = month_bounds(month)
    grid = selectors.roster_grid(first, last, team_id=team_id)
    return {
        "month": f"{month:%Y-%m}",
        "team_id": team_id,
        "days": [
            {"day": d["day"], "name": str(d["name"] or ""), "working": d["working"]}
            for d in grid["days"]
        ],
        "rows": [
            {
                "agent_id": row["agent"].pk,
                "agent_name": str(row["agent"]),
                "cells": [
                    {"day": c["day"], "shift_ids": sorted(c["shifts"]), "leave": c["leave"]}
                    for c in row["cells"]
                ],
            }
            for row in grid["rows"]
        ],
    }


def _team_id(team: int | None) -> int | None:
    if team is not None and not Team.objects.filter(pk=team).exists():
        raise Http404
    return team


@router.get(
    "/quality/roster/months/{month}",
    response=RosterMonthOut,
    summary="The month's roster 值班表 (2026-12) as the page's grid: each agent (of a team) by "
    "day, their shifts and leaves, the holidays marked",
)
def roster_month(
    request: AuthenticatedRequest, month: str, team: int | None = None
) -> dict[str, Any]:
    _require(request.user, Perm.ASSIGN_WORK)
    return _month_grid(reads._checked_month(month), _team_id(team))


class RosterMonthSavedOut(Schema):
    changed: int  # cells whose shifts changed
    grid: RosterMonthOut


@router.put(
    "/quality/roster/months/{month}",
    response=RosterMonthSavedOut,
    summary="Save cells of the month's grid (2026-12): each cell given gets exactly its shifts "
    "(empty: a day off), the others stay; overlapping shifts refuse the whole month, nothing "
    "saved",
)
def save_roster_month(
    request: AuthenticatedRequest, month: str, body: RosterMonthIn, team: int | None = None
) -> dict[str, Any]:
    _require(request.user, Perm.ASSIGN_WORK)
    first_month = reads._checked_month(month)
    team_id = _team_id(team)
    first, last = month_bounds(first_month)
    changed = roster.save_days(
        actor=request.user,
        first_day=first,
        last_day=last,
        cells={(c.agent_id, c.day): c.shift_ids for c in body.cells},
        request=request,
    )
    return {"changed": changed, "grid": _month_grid(first_month, team_id)}


class CopiedOut(Schema):
    copied: int  # entries made, for the days of agents who had nothing rostered
    entries: list[reads.RosterEntryOut]


@router.post(
    "/quality/roster/weeks/{week}/copy-previous",
    response=CopiedOut,
    summary="Copy last week's roster into the week holding `week`, for the days of agents with "
    "nothing rostered yet",
)
def copy_previous_week(request: AuthenticatedRequest, week: dt.date) -> dict[str, Any]:
    _require(request.user, Perm.ASSIGN_WORK)
    first = roster.week_start(week)
    checked_period(first - dt.timedelta(days=7), first + dt.timedelta(days=6))
    made = roster.copy_previous_week(actor=request.user, first_day=first, request=request)
    return {"copied": made, "entries": reads.roster(request, first)}


class OnDutyOut(Schema):
    agent_id: int
    agent_name: str
    day: dt.date  # the shift's day: yesterday for a night shift running past midnight
    shift_id: int
    shift_name: str
    starts: reads.TimeOfDay
    ends: reads.TimeOfDay


@router.get(
    "/quality/on-duty",
    response=list[OnDutyOut],
    summary="Who is on shift now 值班 (agents on leave left out): everyone for supervisors, "
    "oneself for an agent",
)
def on_duty(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    user = request.user
    _require(user, Perm.ASSIGN_WORK, Perm.SERVE_CUSTOMERS)
    entries = selectors.on_duty()
    if not _assigns_work(user):
        entries = [e for e in entries if e.agent_id == user.pk]
    return [
        {
            "agent_id": e.agent_id,
            "agent_name": str(e.agent),
            "day": e.day,
            "shift_id": e.shift_id,
            "shift_name": e.shift.name,
            "starts": reads.clock(e.shift.start),
            "ends": reads.clock(e.shift.end),
        }
        for e in entries
    ]


# ---- Swaps 换班 ----------------------------------------------------------------------------------


class SwapOut(Schema):
    id: int
    state: str  # pending, approved or refused
    entry_id: int
    day: dt.date
    shift_id: int
    shift_name: str
    requested_by_id: int
    requested_by_name: str
    colleague_id: int
    colleague_name: str
    reason: str
    created_at: dt.datetime
    decided_by_id: int | None
    decided_at: dt.datetime | None


class SwapIn(Schema):
    entry_id: int = Field(ge=1, description="one of your shifts (a roster entry), today or later")
    colleague_id: int = Field(ge=1, description="the agent who takes it")
    reason: str = Field("", max_length=200)


class SwapDecisionIn(Schema):
    decision: Literal["approve", "refuse"]


def _swaps(user: User) -> QuerySet[ShiftSwap]:
    found = ShiftSwap.objects.select_related(
        "entry", "entry__shift", "requested_by", "colleague", "decided_by"
    )
    if _assigns_work(user):
        return found
    return found.filter(Q(requested_by=user) | Q(colleague=user))


def _swap_out(swap: ShiftSwap) -> dict[str, Any]:
    return {
        "id": swap.pk,
        "state": swap.state,
        "entry_id": swap.entry_id,
        "day": swap.entry.day,
        "shift_id": swap.entry.shift_id,
        "shift_name": swap.entry.shift.name,
        "requested_by_id": swap.requested_by_id,
        "requested_by_name": str(swap.requested_by),
        "colleague_id": swap.colleague_id,
        "colleague_name": str(swap.colleague),
        "reason": swap.reason,
        "created_at": swap.created_at,
        "decided_by_id": swap.decided_by_id,
        "decided_at": swap.decided_at,
    }


def _visible_swap(user: User, swap_id: int) -> ShiftSwap:
    swap = _swaps(user).filter(pk=swap_id).first()
    if swap is None:
        raise Http404
    return swap


@router.get(
    "/quality/swaps",
    response=list[SwapOut],
    summary="Shift swaps 换班 in a state (all by default), the oldest day first: every swap for "
    "supervisors, those an agent asked for or was asked to take",
)
def swaps(
    request: AuthenticatedRequest,
    state: SwapState | None = None,
    limit: QueryEx[int, P(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    _require(request.user, Perm.ASSIGN_WORK, Perm.SERVE_CUSTOMERS)
    found = _swaps(request.user)
    if state is not None:
        found = found.filter(state=state)
    return [_swap_out(s) for s in found.order_by("entry__day", "id")[:limit]]


@router.get("/quality/swaps/{swap_id}", response=SwapOut, summary="One shift swap")
def swap(request: AuthenticatedRequest, swap_id: int) -> dict[str, Any]:
    _require(request.user, Perm.ASSIGN_WORK, Perm.SERVE_CUSTOMERS)
    return _swap_out(_visible_swap(request.user, swap_id))


@router.post(
    "/quality/swaps",
    response={201: SwapOut},
    summary="Ask to give one of your shifts to a colleague (taking theirs of that day, if any); a "
    "supervisor decides",
)
def request_swap(request: AuthenticatedRequest, body: SwapIn) -> Status[Any]:
    _require(request.user, Perm.SERVE_CUSTOMERS)
    made = roster.request_swap(
        actor=request.user,
        entry_id=body.entry_id,
        colleague_id=body.colleague_id,
        reason=body.reason,
        request=request,
    )
    return Status(201, _swap_out(_visible_swap(request.user, made.pk)))


@router.post(
    "/quality/swaps/{swap_id}/decide",
    response=SwapOut,
    summary="Approve a waiting swap (the shifts of the day change hands; overlaps refuse it) or "
    "refuse it",
)
def decide_swap(
    request: AuthenticatedRequest, swap_id: int, body: SwapDecisionIn
) -> dict[str, Any]:
    _require(request.user, Perm.ASSIGN_WORK)
    _visible_swap(request.user, swap_id)
    roster.decide_swap(
        actor=request.user, swap_id=swap_id, approve=body.decision == "approve", request=request
    )
    return _swap_out(_visible_swap(request.user, swap_id))
