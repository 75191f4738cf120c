"""Reads of quality and performance: who may see which sheet, check and review; the transcript with
its findings; per-agent quality figures over a date range (`agent_quality`, for reports and KPIs)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from kefu.accounts.models import Team, User
from kefu.accounts.roles import Perm
from kefu.conversations.models import Message
from kefu.quality.models import (
    AgentRecord,
    Finding,
    Indicator,
    Inspection,
    Leave,
    PerformanceSheet,
    PerformanceState,
    Review,
    ReviewState,
    RewardPenaltySheet,
    RosterEntry,
    SheetState,
    ShiftSwap,
    SwapState,
)


def may_open_sheets(user: User) -> bool:
    return user.has_perm(Perm.EVALUATE) or user.has_perm(Perm.APPROVE_SHEETS)


def visible_sheets(user: User) -> QuerySet[RewardPenaltySheet]:
    """Supervisors and managers see every sheet; an agent sees their own once it is approved;
    anyone else sees none."""
    qs = RewardPenaltySheet.objects.select_related("agent", "drafted_by", "decided_by")
    if may_open_sheets(user):
        return qs
    return qs.filter(Q(agent=user) & Q(state=SheetState.APPROVED))


def sheet_list(
    user: User, *, month: dt.date | None = None, state: str = ""
) -> QuerySet[RewardPenaltySheet]:
    qs = visible_sheets(user).annotate(points=Sum("items__points"))
    if month is not None:
        qs = qs.filter(month=month)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-month", "agent__display_name", "id")


def access_sheet(*, actor: User, sheet_id: int) -> RewardPenaltySheet:
    sheet = visible_sheets(actor).filter(pk=sheet_id).first()
    if sheet is None:
        raise Http404
    return sheet


# ---- Quality inspection 质检 -------------------------------------------------------------------


def may_inspect(user: User) -> bool:
    return user.has_perm(Perm.INSPECT_QUALITY)


def visible_inspections(user: User) -> QuerySet[Inspection]:
    """Inspectors, supervisors and managers see every check; an agent sees the checks of their own
    conversations once reviewed (the automatic score alone is a tool for the inspectors)."""
    qs = Inspection.objects.select_related("agent", "conversation", "call", "review")
    if may_inspect(user) or user.has_perm(Perm.EVALUATE):
        return qs
    return qs.filter(
        agent=user,
        review__state__in=[ReviewState.DONE, ReviewState.APPEALED, ReviewState.DECIDED],
    )


def inspection_list(
    user: User,
    *,
    agent_id: int | None = None,
    severe: bool = False,
    review_state: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[Inspection]:
    qs = visible_inspections(user)
    if agent_id:
        qs = qs.filter(agent_id=agent_id)
    if severe:
        qs = qs.filter(severe=True)
    if review_state == "none":
        qs = qs.filter(review__isnull=True)
    elif review_state in ReviewState.values:
        qs = qs.filter(review__state=review_state)
    if start is not None:
        qs = qs.filter(closed_at__gte=_day_start(start))
    if end is not None:
        qs = qs.filter(closed_at__lt=_day_start(end + dt.timedelta(days=1)))
    return qs.order_by("-closed_at", "-id")


def access_inspection(*, actor: User, inspection_id: int | str) -> Inspection:
    try:
        pk = int(inspection_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk < 2**63:
        raise Http404
    inspection = visible_inspections(actor).filter(pk=pk).first()
    if inspection is None:
        raise Http404
    return inspection


def review_of(inspection: Inspection) -> Review | None:
    return (
        Review.objects.filter(inspection=inspection)
        .select_related("reviewer", "decided_by")
        .first()
    )


def transcript(inspection: Inspection) -> list[dict[str, Any]]:
    """The conversation's messages (internal notes left out for nobody: inspectors read them too),
    each with its findings and the words to highlight."""
    findings = list(inspection.findings.all())
    if inspection.conversation_id is None:
        return _call_notes(inspection, findings)
    by_message: dict[int, list[Finding]] = {}
    for finding in findings:
        if finding.message_id:
            by_message.setdefault(finding.message_id, []).append(finding)
    rows = []
    for message in (
        Message.objects.filter(conversation_id=inspection.conversation_id)
        .select_related("author")
        .order_by("seq")
    ):
        found = by_message.get(message.pk, [])
        marks = [w for f in found for w in f.matched.split("、") if w]
        rows.append(
            {
                "message": message,
                "findings": found,
                "parts": highlight(message.body, marks),
            }
        )
    return rows


def _call_notes(inspection: Inspection, findings: list[Finding]) -> list[dict[str, Any]]:
    """A call has no transcript: its notes stand as one agent's line, with every finding."""
    from kefu.conversations.models import SenderKind

    call = inspection.call
    if call is None:
        return []
    note = Message(seq=1, sender=SenderKind.AGENT, body=call.notes, author=call.agent)
    note.created_at = call.started_at
    marks = [w for f in findings for w in f.matched.split("、") if w]
    return [{"message": note, "findings": findings, "parts": highlight(call.notes, marks)}]


def highlight(text: str, marks: list[str]) -> list[tuple[str, bool]]:
    """`text` cut into (part, marked) pairs at the words to highlight; the template escapes each."""
    marks = sorted({m for m in marks if m}, key=len, reverse=True)
    if not marks:
        return [(text, False)]
    pattern = re.compile("|".join(re.escape(m) for m in marks), re.IGNORECASE)
    parts: list[tuple[str, bool]] = []
    last = 0
    for match in pattern.finditer(text):
        if match.start() > last:
            parts.append((text[last : match.start()], False))
        parts.append((match.group(0), True))
        last = match.end()
    if last < len(text):
        parts.append((text[last:], False))
    return parts


def review_queue(user: User, *, state: str = ReviewState.PENDING) -> QuerySet[Review]:
    qs = Review.objects.select_related("inspection", "inspection__agent", "reviewer")
    if state in ReviewState.values:
        qs = qs.filter(state=state)
    if not (may_inspect(user) or user.has_perm(Perm.EVALUATE)):
        return qs.none()
    return qs.order_by("-created_at", "-id")


def my_reviews(user: User) -> QuerySet[Review]:
    """The agent's reviewed conversations: what they see and may appeal."""
    return (
        Review.objects.select_related("inspection", "reviewer", "decided_by")
        .filter(inspection__agent=user)
        .exclude(state=ReviewState.PENDING)
        .order_by("-reviewed_at", "-id")
    )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True)
class AgentQuality:
    """One agent's quality figures over a date range (for the reports and the KPIs)."""

    agent_id: int
    checked: int  # conversations checked automatically
    auto_score: float | None  # their average automatic score
    severe: int  # conversations with a severe finding (a forbidden word)
    findings: int
    reviewed: int  # conversations reviewed by hand
    review_score: float | None  # average final score of the reviews (after appeals)
    appeals: int
    appeals_changed: int  # appeals that changed the score


def agent_quality(
    *, start: dt.date, end: dt.date, agent_ids: list[int] | None = None
) -> dict[int, AgentQuality]:
    """Per agent, the quality figures of conversations closed from `start` to `end` (both days
    included, local time). Agents without a checked conversation are left out."""
    qs = Inspection.objects.filter(
        closed_at__gte=_day_start(start),
        closed_at__lt=_day_start(end + dt.timedelta(days=1)),
        agent__isnull=False,
    )
    if agent_ids is not None:
        qs = qs.filter(agent_id__in=agent_ids)
    done = [ReviewState.DONE, ReviewState.APPEALED, ReviewState.DECIDED]
    rows = qs.values("agent_id").annotate(
        checked=Count("id"),
        auto_score=Avg("score"),
        severe_count=Count("id", filter=Q(severe=True)),
        reviewed=Count("review", filter=Q(review__state__in=done)),
        review_score=Avg("review__final_score", filter=Q(review__state__in=done)),
        appeals=Count("review", filter=Q(review__appealed_at__isnull=False)),
        appeals_changed=Count(
            "review",
            filter=Q(review__state=ReviewState.DECIDED)
            & ~Q(review__final_score=F("review__score")),
        ),
    )
    findings = dict(
        Finding.objects.filter(inspection__in=qs)
        .values("inspection__agent_id")
        .annotate(n=Count("id"))
        .values_list("inspection__agent_id", "n")
    )
    return {
        row["agent_id"]: AgentQuality(
            agent_id=row["agent_id"],
            checked=row["checked"],
            auto_score=round(row["auto_score"], 1) if row["auto_score"] is not None else None,
            severe=row["severe_count"],
            findings=findings.get(row["agent_id"], 0),
            reviewed=row["reviewed"],
            review_score=(
                round(row["review_score"], 1) if row["review_score"] is not None else None
            ),
            appeals=row["appeals"],
            appeals_changed=row["appeals_changed"],
        )
        for row in rows
    }


# ---- KPIs and the performance sheet 绩效考核表 ----------------------------------------------------


def may_see_all_performance(user: User) -> bool:
    return user.has_perm(Perm.EVALUATE) or user.has_perm(Perm.APPROVE_SHEETS)


def performance_teams(user: User) -> QuerySet[Team] | None:
    """The teams whose agents' sheets and KPIs a supervisor sees: their own (the teams of their agent
    profile). None: every agent's — a manager (Perm.APPROVE_SHEETS), or a supervisor in no team (a
    small service with one supervisor over everyone)."""
    if user.has_perm(Perm.APPROVE_SHEETS):
        return None
    teams = Team.objects.filter(agents__user=user).order_by("name")
    return teams if teams.exists() else None


def team_agent_ids(teams: QuerySet[Team]) -> QuerySet[User, int]:
    return User.objects.filter(agent_profile__teams__in=teams).values_list("pk", flat=True)


def visible_performance(user: User) -> QuerySet[PerformanceSheet]:
    """Managers see every sheet; a supervisor the sheets of their teams' agents (every agent's when
    in no team: `performance_teams`); an agent their own once signed; nobody else sees any (the
    leaderboard is where agents see each other's scores)."""
    qs = PerformanceSheet.objects.select_related("agent", "signed_by", "approved_by", "adjusted_by")
    if may_see_all_performance(user):
        teams = performance_teams(user)
        return qs if teams is None else qs.filter(agent_id__in=team_agent_ids(teams))
    return qs.filter(agent=user, state__in=[PerformanceState.SIGNED, PerformanceState.ACKNOWLEDGED])


def access_performance(*, actor: User, sheet_id: int) -> PerformanceSheet:
    sheet = visible_performance(actor).filter(pk=sheet_id).first()
    if sheet is None:
        raise Http404
    return sheet


def performance_lines(sheet: PerformanceSheet) -> list[dict[str, Any]]:
    """The sheet's lines with the indicator's name and unit, for the page, the print view and the
    Excel file."""
    from kefu.quality.kpi import SPECS

    labels = dict(Indicator.choices)
    rows = []
    for line in sheet.figures:
        spec = SPECS.get(line["indicator"])
        if spec is None:
            continue
        rows.append(
            {
                **line,
                "label": labels[line["indicator"]],
                "unit": spec.unit,
                "higher_is_better": spec.higher_is_better,
                "shown": _shown(line["value"], spec.digits),
                "target_shown": _shown(line["target"], spec.digits),
            }
        )
    return rows


def performance_measures(sums: dict[str, float]) -> list[dict[str, Any]]:
    """The month's measures (kpi.MEASURES: per day, averages, resolution rate, visits, praise) from
    a sheet's sums, or a team's added up; empty for a sheet computed before they were kept."""
    from kefu.quality.kpi import MEASURES, measure_values

    if not sums:
        return []
    values = measure_values(sums)
    return [
        {
            "key": key,
            "label": label,
            "unit": unit,
            "value": values[key],
            "shown": _shown(values[key], digits),
        }
        for key, (label, unit, digits) in MEASURES.items()
    ]


def team_totals(user: User, month: dt.date) -> list[dict[str, Any]]:
    """The month's totals of each team the user oversees (`performance_teams`; every team for a
    manager), over the computed sheets of its agents: counts added up, averages weighted by what
    they average (a team's response time is its responses' average, not the agents')."""
    from kefu.accounts.models import AgentProfile
    from kefu.quality.kpi import add_up

    teams = performance_teams(user)
    if teams is None:
        teams = Team.objects.order_by("name")
    sums = dict(visible_performance(user).filter(month=month).values_list("agent_id", "measures"))
    members: dict[int, list[int]] = {}
    for team_id, agent_id in AgentProfile.teams.through.objects.filter(
        team__in=teams, agentprofile__user_id__in=list(sums)
    ).values_list("team_id", "agentprofile__user_id"):
        members.setdefault(team_id, []).append(agent_id)
    rows = []
    for team in teams:
        agents = members.get(team.pk, [])
        if agents:
            total = add_up([sums[a] for a in agents])
            rows.append(
                {
                    "team": team,
                    "agents": len(agents),
                    "sums": total,
                    "measures": performance_measures(total),
                }
            )
    return rows


def _shown(value: float | None, digits: int) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}"


# ---- The records naming an agent: praise 表扬 and complaints upheld 投诉成立 -----------------------


def visible_records(user: User) -> QuerySet[AgentRecord]:
    """Who sees which record: a supervisor the records of their teams' agents (every agent's when
    in no team, a manager every record: `performance_teams`); an agent their own; nobody else any."""
    qs = AgentRecord.objects.select_related("agent", "ticket", "recorded_by")
    if user.has_perm(Perm.EVALUATE):
        teams = performance_teams(user)
        return qs if teams is None else qs.filter(agent_id__in=team_agent_ids(teams))
    if user.has_perm(Perm.SERVE_CUSTOMERS):
        return qs.filter(agent=user)
    return qs.none()


def month_records(user: User, month: dt.date, *, kind: str = "") -> QuerySet[AgentRecord]:
    """The records of `month` (local days) the user sees, newest first."""
    from kefu.quality.kpi import month_bounds

    first, last = month_bounds(month)
    qs = visible_records(user).filter(recorded_at__date__gte=first, recorded_at__date__lte=last)
    return qs.filter(kind=kind) if kind else qs


def access_record(*, actor: User, record_id: int) -> AgentRecord:
    record = visible_records(actor).filter(pk=record_id).first()
    if record is None:
        raise Http404
    return record


def recordable_agents(actor: User) -> QuerySet[User]:
    """The agents the actor may name in a record, for the forms' choices (`may_record_for`)."""
    teams = performance_teams(actor)
    agents = roster_agents()
    return agents if teams is None else agents.filter(pk__in=team_agent_ids(teams))


def may_record_for(actor: User, agent_id: int) -> bool:
    """Whether `actor` may name this agent in a record: their teams' agents (any when in no team)."""
    teams = performance_teams(actor)
    return teams is None or team_agent_ids(teams).filter(pk=agent_id).exists()


# ---- Rosters 排班/值班 ---------------------------------------------------------------------------


def roster_agents(team_id: int | None = None) -> QuerySet[User]:
    from kefu.accounts.roles import Role

    qs = User.objects.filter(role=Role.AGENT, is_active=True)
    if team_id:
        qs = qs.filter(agent_profile__teams__id=team_id)
    return qs.order_by("display_name", "username", "id")


def roster_week(first_day: dt.date, *, team_id: int | None = None) -> dict[str, Any]:
    """The week's grid (7 days from `first_day`)."""
    return roster_grid(first_day, first_day + dt.timedelta(days=6), team_id=team_id)


def roster_grid(
    first_day: dt.date, last_day: dt.date, *, team_id: int | None = None
) -> dict[str, Any]:
    """The grid of a week or a month: its days (with the business calendar's holidays), the agents
    and each (agent, day) cell's shift ids and whether the agent is on leave that day."""
    from kefu.core.business_calendar import BusinessCalendar

    calendar = BusinessCalendar()
    days = [first_day + dt.timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    agents = list(roster_agents(team_id))
    cells: dict[tuple[int, dt.date], list[int]] = {}
    for agent_id, day, shift_id in RosterEntry.objects.filter(
        agent__in=agents, day__gte=days[0], day__lte=days[-1]
    ).values_list("agent_id", "day", "shift_id"):
        cells.setdefault((agent_id, day), []).append(shift_id)
    away = leave_days([a.pk for a in agents], days[0], days[-1])
    return {
        "days": [
            {"day": d, "name": calendar.day_name(d), "working": calendar.is_working_day(d)}
            for d in days
        ],
        "rows": [
            {
                "agent": a,
                "cells": [
                    {"day": d, "shifts": cells.get((a.pk, d), []), "leave": (a.pk, d) in away}
                    for d in days
                ],
            }
            for a in agents
        ],
    }


def my_shifts(user: User, *, start: dt.date, days: int = 28) -> QuerySet[RosterEntry]:
    return (
        RosterEntry.objects.filter(
            agent=user, day__gte=start, day__lt=start + dt.timedelta(days=days)
        )
        .select_related("shift")
        .order_by("day", "shift__start")
    )


def leave_days(agent_ids: Iterable[int], first: dt.date, last: dt.date) -> set[tuple[int, dt.date]]:
    """The (agent, day) pairs from `first` to `last` on which the agents are on leave 请假."""
    away: set[tuple[int, dt.date]] = set()
    for agent_id, start, end in Leave.objects.filter(
        agent_id__in=list(agent_ids), first_day__lte=last, last_day__gte=first
    ).values_list("agent_id", "first_day", "last_day"):
        day = max(start, first)
        while day <= min(end, last):
            away.add((agent_id, day))
            day += dt.timedelta(days=1)
    return away


def leaves(*, since: dt.date, agent: User | None = None) -> QuerySet[Leave]:
    """The leaves ending on or after `since` (one agent's, or everyone's), soonest first."""
    qs = Leave.objects.filter(last_day__gte=since).select_related("agent")
    return qs.filter(agent=agent) if agent is not None else qs


def _covers(entry: RosterEntry, moment: dt.datetime) -> bool:
    from kefu.quality.services.roster import interval

    start, end = interval(entry.day, entry.shift)
    return start <= moment < end


def on_duty(moment: dt.datetime | None = None) -> list[RosterEntry]:
    """Who is on shift now 值班: the entries of today and yesterday (a night shift) covering it,
    but not those of an agent on leave that day."""
    moment = moment or timezone.now()
    today = timezone.localtime(moment).date()
    entries = list(
        RosterEntry.objects.filter(
            day__gte=today - dt.timedelta(days=1), day__lte=today, agent__is_active=True
        ).select_related("shift", "agent")
    )
    away = leave_days({e.agent_id for e in entries}, today - dt.timedelta(days=1), today)
    return sorted(
        (e for e in entries if (e.agent_id, e.day) not in away and _covers(e, moment)),
        key=lambda e: (e.shift.start, str(e.agent)),
    )


def shift_status(agent_ids: list[int], moment: dt.datetime) -> dict[int, bool]:
    """For routing: True for the agents on shift at `moment`; False for those rostered on the day
    before, the day or the day after but not on shift now, and for those on leave 请假 today; agents
    with no entry in those three days and no leave are left out (not rostered: their team's hours
    stand for the shift)."""
    today = timezone.localtime(moment).date()
    first, last = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    status: dict[int, bool] = {}
    away = leave_days(agent_ids, first, last)
    for entry in RosterEntry.objects.filter(
        agent_id__in=agent_ids, day__gte=first, day__lte=last
    ).select_related("shift"):
        covers = (entry.agent_id, entry.day) not in away and _covers(entry, moment)
        status[entry.agent_id] = status.get(entry.agent_id, False) or covers
    for agent_id, day in away:  # on leave today and not rostered around now: still not at work
        if day == today:
            status.setdefault(agent_id, False)
    return status


def swaps_waiting() -> QuerySet[ShiftSwap]:
    return (
        ShiftSwap.objects.filter(state=SwapState.PENDING)
        .select_related("entry", "entry__shift", "requested_by", "colleague")
        .order_by("entry__day", "id")
    )


def my_swaps(user: User) -> QuerySet[ShiftSwap]:
    return (
        ShiftSwap.objects.filter(Q(requested_by=user) | Q(colleague=user))
        .select_related("entry", "entry__shift", "requested_by", "colleague", "decided_by")
        .order_by("-created_at", "-id")[:30]
    )


# ---- Leaderboards 评比 ---------------------------------------------------------------------------


def leaderboard_teams(user: User) -> QuerySet[Team] | None:
    """The teams whose board the user may open; None for every team and the whole company."""
    if may_see_all_performance(user) or user.has_perm(Perm.ASSIGN_WORK):
        return performance_teams(user)  # a supervisor: their teams' boards (every team: in none)
    return Team.objects.filter(agents__user=user).order_by("name")


def leaderboard(month: dt.date, *, team_id: int | None = None) -> list[dict[str, Any]]:
    """The month's ranking of the agents (of a team) by their KPI score. An agent's computed sheet
    gives their figures when it is final — signed, or a draft computed after the month ended —; the
    other agents' figures are computed from the facts now (a draft of a running month is stale).
    Ties share a rank."""
    from kefu.quality.kpi import month_bounds, month_scores

    agents = list(roster_agents(team_id))
    _first, last = month_bounds(month)
    month_over = _day_start(last + dt.timedelta(days=1))
    final = {
        sheet.agent_id: (sheet.figures, sheet.score, sheet.measures)
        for sheet in PerformanceSheet.objects.filter(month=month, agent__in=agents).only(
            "agent_id", "state", "figures", "score", "measures", "computed_at"
        )
        if sheet.state != PerformanceState.DRAFT or sheet.computed_at >= month_over
    }
    missing = [a.pk for a in agents if a.pk not in final]
    computed = month_scores(month, missing) if missing else {}
    rows: list[dict[str, Any]] = []
    for agent in agents:
        if agent.pk in final:
            lines, score, sums = final[agent.pk]
        else:
            detail, lines, score = computed[agent.pk]
            sums = detail["sums"]
        values = {line["indicator"]: line["value"] for line in lines}
        rows.append(
            {
                "agent": agent,
                "score": score,
                "handled": values.get(Indicator.HANDLED),
                "satisfaction": values.get(Indicator.SATISFACTION),
                "quality": values.get(Indicator.QUALITY),
                "first_response": values.get(Indicator.FIRST_RESPONSE),
                # customers' praise 表扬 (5-star ratings of the agent's chats); None: a sheet
                # computed before praise was counted
                "praise": sums.get("praise") if sums else None,
            }
        )
    rows.sort(key=lambda r: (r["score"] is None, -float(r["score"] or 0), str(r["agent"])))
    rank, previous = 0, object()
    for n, row in enumerate(rows, start=1):
        if row["score"] != previous:
            rank, previous = n, row["score"]
        row["rank"] = rank if row["score"] is not None else None
    return rows
