"""The leaderboard 评比: the month's ranking of a team's agents by their KPI score. Agents see the
boards of their own teams (names and scores of their teammates, their own rank), supervisors their
own teams' (every team's when in none, `selectors.performance_teams`), managers every team's. A manager switches the board on (the rubric page's settings); while it is off
the page says so and shows no ranking."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.core.reporting import EARLIEST_DAY, LATEST_DAY
from kefu.quality import selectors
from kefu.quality.kpi import parse_month
from kefu.quality.services.rubric import quality_settings


@login_required
def leaderboard(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not any(
        user.has_perm(p) for p in (Perm.SERVE_CUSTOMERS, Perm.EVALUATE, Perm.APPROVE_SHEETS)
    ):
        raise PermissionDenied
    if not quality_settings().leaderboard_on:
        return render(
            request,
            "quality/leaderboard.html",
            {"switched_off": True, "month": timezone.localdate().strftime("%Y-%m")},
        )
    month = parse_month(request.GET.get("month"))
    if month is None or not EARLIEST_DAY <= month <= LATEST_DAY:  # 9999-12 has no month's end
        month = timezone.localdate().replace(day=1)
    allowed = selectors.leaderboard_teams(user)
    raw = request.GET.get("team", "")
    team_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
    if allowed is None:
        from kefu.accounts.models import Team

        teams = list(Team.objects.order_by("name"))
    else:
        teams = list(allowed)
        if team_id is None and teams:
            team_id = teams[0].pk
        if team_id is not None and team_id not in {t.pk for t in teams}:
            raise Http404
    rows = selectors.leaderboard(month, team_id=team_id)
    mine = next((r for r in rows if r["agent"].pk == user.pk), None)
    return render(
        request,
        "quality/leaderboard.html",
        {
            "rows": rows,
            "mine": mine,
            "month": month.strftime("%Y-%m"),
            "teams": teams,
            "team_id": team_id,
            "all_teams": allowed is None,
        },
    )


urlpatterns = [path("leaderboard/", leaderboard, name="leaderboard")]
