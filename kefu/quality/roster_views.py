"""Pages of the rosters 排班/值班: the week's grid for supervisors (assign agents to shifts per day,
copy last week, who is on duty now, the swaps waiting, the leaves 请假), the shifts, and the agent's own shifts with
their swap requests."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.models import Team
from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.pages import perform
from kefu.quality import selectors
from kefu.quality.kpi import month_bounds, parse_month
from kefu.quality.services import roster


def _week(raw: str | None) -> dt.date:
    try:
        day = dt.date.fromisoformat(raw or "")
    except ValueError:
        day = timezone.localdate()
    return roster.week_start(day)


def _team(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


def _grid_url(week: dt.date, team_id: int | None, *, month: dt.date | None = None) -> str:
    url = f"{reverse('quality:roster')}?week={week.isoformat()}"
    if month is not None:
        url += f"&month={month:%Y-%m}"
    return f"{url}&team={team_id}" if team_id else url


def _cell_name(agent_id: int, day: dt.date) -> str:
    return f"cell-{agent_id}-{day:%Y%m%d}"


def _month(raw: str | None) -> dt.date | None:
    """The first day of the month given as 2026-12, within the years the calendar covers."""
    month = parse_month(raw) if raw and len(raw) <= 7 else None
    return month if month is not None and 2000 <= month.year <= 2100 else None


@require_perm(Perm.ASSIGN_WORK)
def roster_grid(request: AuthenticatedRequest) -> HttpResponse:
    """The week's grid, or the month's with ?month=2026-12 (值班表 by the month)."""
    month = _month(request.GET.get("month") or request.POST.get("month"))
    week = _week(request.GET.get("week") or request.POST.get("week"))
    team_id = _team(request.GET.get("team") or request.POST.get("team"))
    shifts = roster.ensure_shifts()
    if month is not None:
        first, last = month_bounds(month)
        after = _grid_url(week, team_id, month=month)
    else:
        first, last = week, week + dt.timedelta(days=6)
        after = _grid_url(week, team_id)
    grid = selectors.roster_grid(first, last, team_id=team_id)
    if request.method == "POST":
        cells: dict[tuple[int, dt.date], list[int]] = {}
        for row in grid["rows"]:
            for cell in row["cells"]:
                name = _cell_name(row["agent"].pk, cell["day"])
                if name not in request.POST:
                    continue
                raw = request.POST[name]
                if raw and not (raw.isdigit() and len(raw) < 10):
                    messages.error(request, _("Choose one of the shifts."))
                    return redirect(after)
                cells[(row["agent"].pk, cell["day"])] = [int(raw)] if raw else []
        try:
            changed = roster.save_days(
                actor=request.user, first_day=first, last_day=last, cells=cells, request=request
            )
        except DomainError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("Roster saved: %(n)d days changed.") % {"n": changed})
        return redirect(after)
    for row in grid["rows"]:
        for cell in row["cells"]:
            cell["name"] = _cell_name(row["agent"].pk, cell["day"])
    return render(
        request,
        "quality/roster_grid.html",
        {
            "week": week,
            "previous": week - dt.timedelta(days=7),
            "next": week + dt.timedelta(days=7),
            "month": month,
            "previous_month": (first - dt.timedelta(days=1)).replace(day=1),
            "next_month": last + dt.timedelta(days=1),
            "this_month": (month or week).replace(day=1),
            "grid": grid,
            "shifts": shifts,
            "shift_names": {s.pk: s.name for s in shifts},
            "teams": Team.objects.order_by("name"),
            "team_id": team_id,
            "on_duty": selectors.on_duty(),
            "swaps": selectors.swaps_waiting()[:50],
            "leaves": selectors.leaves(since=week)[:100],
            "agents": selectors.roster_agents(team_id),
        },
    )


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def roster_copy(request: AuthenticatedRequest) -> HttpResponseRedirect:
    week = _week(request.POST.get("week"))
    team_id = _team(request.POST.get("team"))
    try:
        made = roster.copy_previous_week(actor=request.user, first_day=week, request=request)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("%(n)d shifts copied from last week.") % {"n": made})
    return redirect(_grid_url(week, team_id))


def _day(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw or "")
    except ValueError:
        return None


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def leave_add(request: AuthenticatedRequest) -> HttpResponseRedirect:
    week = _week(request.POST.get("week"))
    agent = request.POST.get("agent", "")
    first, last = _day(request.POST.get("first_day")), _day(request.POST.get("last_day"))
    if not (agent.isdigit() and len(agent) < 12):
        messages.error(request, _("Choose an agent."))
    elif first is None or last is None:
        messages.error(request, _("Give the days as 2024-05-01."))
    else:
        try:
            roster.record_leave(
                actor=request.user,
                agent_id=int(agent),
                first_day=first,
                last_day=last,
                reason=request.POST.get("reason", ""),
                request=request,
            )
        except DomainError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("Leave recorded."))
    return redirect(_grid_url(week, _team(request.POST.get("team"))))


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def leave_cancel(request: AuthenticatedRequest, leave_id: int) -> HttpResponseRedirect:
    try:
        roster.cancel_leave(actor=request.user, leave_id=leave_id, request=request)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Leave taken back."))
    return redirect(_grid_url(_week(request.POST.get("week")), _team(request.POST.get("team"))))


def _time(raw: str | None) -> dt.time | None:
    try:
        return dt.time.fromisoformat(raw or "")
    except ValueError:
        return None


@require_perm(Perm.ASSIGN_WORK)
def shift_list(request: AuthenticatedRequest) -> HttpResponse:
    shifts = roster.ensure_shifts()
    if request.method == "POST":
        start, end = _time(request.POST.get("start")), _time(request.POST.get("end"))
        raw_id = request.POST.get("shift", "")
        if start is None or end is None:
            messages.error(request, _("Give the times as 08:00."))
            return redirect("quality:shifts")
        return perform(
            request,
            lambda: roster.save_shift(
                actor=request.user,
                shift_id=int(raw_id) if raw_id.isdigit() and len(raw_id) < 10 else None,
                name=request.POST.get("name", ""),
                start=start,
                end=end,
                is_active=request.POST.get("is_active", "on") == "on",
                request=request,
            ),
            success=_("Shift saved."),
            then="quality:shifts",
        )
    return render(request, "quality/shifts.html", {"shifts": shifts})


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def swap_decide(request: AuthenticatedRequest, swap_id: int) -> HttpResponseRedirect:
    approve = request.POST.get("decision") == "approve"
    try:
        roster.decide_swap(actor=request.user, swap_id=swap_id, approve=approve, request=request)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Swap approved.") if approve else _("Swap refused."))
    return redirect(_grid_url(_week(request.POST.get("week")), None))


@require_perm(Perm.SERVE_CUSTOMERS)
def my_shifts(request: AuthenticatedRequest) -> HttpResponse:
    today = timezone.localdate()
    start = roster.week_start(today)
    entries = list(selectors.my_shifts(request.user, start=start, days=28))
    return render(
        request,
        "quality/my_shifts.html",
        {
            "entries": entries,
            "today": today,
            "colleagues": selectors.roster_agents().exclude(pk=request.user.pk),
            "swaps": selectors.my_swaps(request.user),
            "leaves": selectors.leaves(since=today, agent=request.user),
            "on_duty": any(e.agent_id == request.user.pk for e in selectors.on_duty()),
        },
    )


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def swap_request(request: AuthenticatedRequest) -> HttpResponseRedirect:
    entry, colleague = request.POST.get("entry", ""), request.POST.get("colleague", "")
    if not (entry.isdigit() and colleague.isdigit() and len(entry) < 12 and len(colleague) < 12):
        messages.error(request, _("Choose your shift and a colleague."))
        return redirect("quality:my_shifts")
    return perform(
        request,
        lambda: roster.request_swap(
            actor=request.user,
            entry_id=int(entry),
            colleague_id=int(colleague),
            reason=request.POST.get("reason", ""),
            request=request,
        ),
        success=_("Swap requested: a supervisor decides."),
        then="quality:my_shifts",
    )


urlpatterns = [
    path("roster/", roster_grid, name="roster"),
    path("roster/copy/", roster_copy, name="roster_copy"),
    path("roster/shifts/", shift_list, name="shifts"),
    path("roster/leave/", leave_add, name="leave_add"),
    path("roster/leave/<int:leave_id>/cancel/", leave_cancel, name="leave_cancel"),
    path("roster/swaps/<int:swap_id>/decide/", swap_decide, name="swap_decide"),
    path("roster/mine/", my_shifts, name="my_shifts"),
    path("roster/mine/swap/", swap_request, name="swap_request"),
]
