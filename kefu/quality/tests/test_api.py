"""Item 1 of the gaps of issue 14: the performance sheets, the rosters and the leaderboard through
the API with a token — who sees which object by id (404 for the others), and periods the reports do
not cover answer 400, never 500."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kefu.accounts import services as accounts
from kefu.accounts.roles import Role
from kefu.quality.models import PerformanceSheet, RosterEntry, Shift
from kefu.quality.services import performance
from kefu.quality.services.roster import ensure_shifts, week_start
from kefu.quality.tests.test_leaderboard import in_team, switch_on
from kefu.quality.tests.test_performance import closed_ticket
from tests.clock import this_month
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)

OUT_OF_RANGE = ["0001-01", "9999-12", "1999-12", "2101-01"]


def api_for(user) -> Client:
    _token, raw = accounts.create_api_token(user=user, name="接口")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_sheets_by_month_and_by_id_an_agent_only_their_own_signed_one(make_user):
    supervisor = make_user(Role.SUPERVISOR)
    me = make_user(Role.AGENT, display_name="我自己")
    colleague = make_user(Role.AGENT, display_name="同事")
    closed_ticket(me)
    performance.generate_sheets(actor=supervisor, month=timezone.localdate())
    mine = PerformanceSheet.objects.get(agent=me)
    theirs = PerformanceSheet.objects.get(agent=colleague)
    boss, agent = api_for(supervisor), api_for(me)

    listed = boss.get(f"/api/v1/quality/performance?month={this_month()}")
    assert listed.status_code == 200
    assert {s["agent_id"]: s["state"] for s in listed.json()} == {
        me.pk: "draft",
        colleague.pk: "draft",
    }
    # A draft is the supervisor's: the agent sees nothing yet, not even by id.
    assert agent.get(f"/api/v1/quality/performance?month={this_month()}").json() == []
    assert agent.get(f"/api/v1/quality/performance/{mine.pk}").status_code == 404

    performance.sign_sheet(actor=supervisor, sheet_id=mine.pk, comment="继续保持")
    performance.sign_sheet(actor=supervisor, sheet_id=theirs.pk)
    [own] = agent.get(f"/api/v1/quality/performance?month={this_month()}").json()
    assert (own["id"], own["state"], own["comment"]) == (mine.pk, "signed", "继续保持")
    body = agent.get(f"/api/v1/quality/performance/{mine.pk}").json()
    handled = next(line for line in body["lines"] if line["indicator"] == "handled")
    assert handled["value"] == 1 and handled["label"]
    assert agent.get(f"/api/v1/quality/performance/{theirs.pk}").status_code == 404
    assert boss.get(f"/api/v1/quality/performance/{theirs.pk}").status_code == 200
    assert (
        api_for(make_user(Role.INSPECTOR))
        .get(f"/api/v1/quality/performance?month={this_month()}")
        .status_code
        == 403
    )

    for month in [*OUT_OF_RANGE, "2026-13", "abc", "2026-1-1-1"]:
        refused = boss.get(f"/api/v1/quality/performance?month={month}")
        assert refused.status_code == 400, month


def test_a_weeks_roster_every_agent_for_supervisors_their_own_for_an_agent(make_user):
    supervisor = make_user(Role.SUPERVISOR)
    me = make_user(Role.AGENT, display_name="我自己")
    colleague = make_user(Role.AGENT, display_name="同事")
    ensure_shifts()
    early, late = Shift.objects.get(name="早班"), Shift.objects.get(name="晚班")
    monday = week_start(timezone.localdate())
    RosterEntry.objects.create(agent=me, day=monday, shift=early)
    RosterEntry.objects.create(agent=colleague, day=monday + dt.timedelta(days=2), shift=late)
    RosterEntry.objects.create(agent=me, day=monday + dt.timedelta(days=7), shift=late)
    team = TeamFactory(name="售前组")
    in_team(colleague, team)

    # any day of the week names the week
    wednesday = (monday + dt.timedelta(days=2)).isoformat()
    everyone = api_for(supervisor).get(f"/api/v1/quality/roster?week={wednesday}").json()
    assert [(e["agent_id"], e["shift_name"]) for e in everyone] == [
        (me.pk, "早班"),
        (colleague.pk, "晚班"),
    ]
    assert (everyone[0]["starts"], everyone[0]["ends"]) == ("08:00:00", "16:00:00")
    teamed = api_for(supervisor).get(f"/api/v1/quality/roster?week={wednesday}&team={team.pk}")
    assert [e["agent_id"] for e in teamed.json()] == [colleague.pk]
    own = api_for(me).get(f"/api/v1/quality/roster?week={wednesday}").json()
    assert [(e["agent_id"], e["day"]) for e in own] == [(me.pk, monday.isoformat())]
    # an agent's team parameter changes nothing: still only their own
    assert api_for(me).get(f"/api/v1/quality/roster?week={wednesday}&team={team.pk}").json() == own
    assert (
        api_for(make_user(Role.INSPECTOR))
        .get(f"/api/v1/quality/roster?week={wednesday}")
        .status_code
        == 403
    )

    boss = api_for(supervisor)
    for day in ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"]:
        refused = boss.get(f"/api/v1/quality/roster?week={day}")
        assert refused.status_code == 400 and "2000-01-01" in refused.json()["detail"], day
    assert boss.get("/api/v1/quality/roster?week=2026-02-30").status_code in (400, 422)


def test_the_leaderboard_as_the_page_shows_it(make_user):
    team, other_team = TeamFactory(name="售前组"), TeamFactory(name="售后组")
    me = make_user(Role.AGENT, display_name="我自己")
    busy = make_user(Role.AGENT, display_name="忙碌的同事")
    stranger = make_user(Role.AGENT, display_name="别组的人")
    in_team(me, team)
    in_team(busy, team)
    in_team(stranger, other_team)
    for _n in range(3):
        closed_ticket(busy)
    closed_ticket(me)
    agent = api_for(me)
    off = agent.get(f"/api/v1/quality/leaderboard?month={this_month()}")
    assert off.status_code == 409 and "评比排行榜未开启" in off.json()["detail"]
    switch_on()

    board = agent.get(f"/api/v1/quality/leaderboard?month={this_month()}")
    assert board.status_code == 200
    body = board.json()
    assert body["team_id"] == team.pk
    assert [(r["agent_id"], r["rank"], r["handled"]) for r in body["rows"]] == [
        (busy.pk, 1, 3),
        (me.pk, 2, 1),
    ]
    # another team's board answers as a missing one
    assert (
        agent.get(
            f"/api/v1/quality/leaderboard?month={this_month()}&team={other_team.pk}"
        ).status_code
        == 404
    )
    supervisor = api_for(make_user(Role.SUPERVISOR))
    whole = supervisor.get(f"/api/v1/quality/leaderboard?month={this_month()}").json()
    assert {r["agent_id"] for r in whole["rows"]} == {me.pk, busy.pk, stranger.pk}
    other = supervisor.get(f"/api/v1/quality/leaderboard?month={this_month()}&team={other_team.pk}")
    assert [r["agent_id"] for r in other.json()["rows"]] == [stranger.pk]
    assert (
        api_for(make_user(Role.INSPECTOR))
        .get(f"/api/v1/quality/leaderboard?month={this_month()}")
        .status_code
        == 403
    )
    for month in OUT_OF_RANGE:
        refused = supervisor.get(f"/api/v1/quality/leaderboard?month={month}")
        assert refused.status_code == 400 and "2000-01-01" in refused.json()["detail"], month


def test_the_new_routes_are_in_the_schema():
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for route in [
        "performance",
        "performance/{sheet_id}",
        "roster",
        "leaderboard",
        "rubric",
        "reviews",
        "reward-sheets",
    ]:
        assert f"/api/v1/quality/{route}" in paths, route


def test_the_rubric_through_the_api_for_managers_and_inspectors(make_user):
    from kefu.quality.models import RubricItem

    assert api_for(make_user(Role.AGENT)).get("/api/v1/quality/rubric").status_code == 403
    items = api_for(make_user(Role.INSPECTOR)).get("/api/v1/quality/rubric").json()
    assert sum(i["weight"] for i in items if i["is_active"]) == 100
    forbidden = next(i for i in items if i["kind"] == "forbidden")
    assert forbidden["severe"] and "你自己看" in forbidden["phrases"]
    assert len(items) == RubricItem.objects.count()


def test_reviews_through_the_api_an_inspector_the_queue_an_agent_their_own(
    make_user, no_random_sample
):
    from kefu.quality.models import Review, ReviewState
    from kefu.quality.tests.conftest import old_agent
    from kefu.quality.tests.test_reviews import flagged

    me, colleague = old_agent(display_name="我自己"), old_agent(display_name="同事")
    mine, theirs = flagged(me), flagged(colleague)
    inspector = api_for(make_user(Role.INSPECTOR))
    pending = inspector.get("/api/v1/quality/reviews").json()
    assert {r["inspection_id"] for r in pending} == {mine.pk, theirs.pk}
    assert all(r["state"] == "pending" and r["reason"] == "severe" for r in pending)
    agent = api_for(me)
    assert agent.get("/api/v1/quality/reviews").json() == []  # not reviewed yet: not shown
    Review.objects.filter(inspection__in=[mine, theirs]).update(
        state=ReviewState.DONE, score=80, reviewed_at=timezone.now()
    )
    done = agent.get("/api/v1/quality/reviews?state=done").json()
    assert [(r["inspection_id"], r["score"]) for r in done] == [(mine.pk, 80)]
    for bad in ("state=whatever", "limit=0", "limit=100000", "limit=x"):
        assert inspector.get(f"/api/v1/quality/reviews?{bad}").status_code in (400, 422), bad
    staff = api_for(make_user(Role.DEPARTMENT_STAFF))
    assert staff.get("/api/v1/quality/reviews").status_code == 403


def test_reward_sheets_through_the_api_an_agent_only_their_own_approved_one(make_user):
    from kefu.quality.models import RewardPenaltySheet, SheetItem, SheetState

    supervisor, me, other = (
        make_user(Role.SUPERVISOR),
        make_user(Role.AGENT),
        make_user(Role.AGENT),
    )
    month = timezone.localdate().replace(day=1)
    mine = RewardPenaltySheet.objects.create(
        agent=me, month=month, drafted_by=supervisor, state=SheetState.APPROVED
    )
    SheetItem.objects.create(sheet=mine, points=5, reason="客户表扬")
    SheetItem.objects.create(sheet=mine, points=-2, reason="迟到")
    RewardPenaltySheet.objects.create(agent=other, month=month, drafted_by=supervisor)
    every = api_for(supervisor).get(f"/api/v1/quality/reward-sheets?month={this_month()}").json()
    assert {s["agent_id"] for s in every} == {me.pk, other.pk}
    own = api_for(me).get(f"/api/v1/quality/reward-sheets?month={this_month()}").json()
    assert [(s["id"], s["points"]) for s in own] == [(mine.pk, 3)]
    assert {i["reason"] for i in own[0]["items"]} == {"客户表扬", "迟到"}
    boss = api_for(supervisor)
    for month_raw in [*OUT_OF_RANGE, "x"]:
        assert boss.get(f"/api/v1/quality/reward-sheets?month={month_raw}").status_code == 400
    assert (
        boss.get(f"/api/v1/quality/reward-sheets?month={this_month()}&state=x").status_code == 400
    )
