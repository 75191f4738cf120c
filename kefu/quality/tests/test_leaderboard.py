"""Item 3 of the rest of issue 14: the leaderboard 评比 — a team's agents ranked by the month's KPI
score; an agent sees their teams' boards and their own rank, never another team's. The board shows
only once a manager has switched it on."""

import pytest

from kefu.accounts.models import AgentProfile
from kefu.accounts.roles import Role
from kefu.quality.models import QualitySettings
from kefu.quality.tests.test_performance import closed_ticket
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


def switch_on(on: bool = True) -> None:
    QualitySettings.objects.update_or_create(pk=1, defaults={"leaderboard_on": on})


@pytest.fixture(autouse=True)
def _leaderboard_on():
    switch_on()


def in_team(user, team):
    profile, _ = AgentProfile.objects.get_or_create(user=user)
    profile.teams.add(team)


def test_the_team_is_ranked_and_the_agent_sees_their_rank(client_for, make_user):
    team, other_team = TeamFactory(name="售前组"), TeamFactory(name="售后组")
    client, me = client_for(Role.AGENT, display_name="我自己")
    busy = make_user(Role.AGENT, display_name="忙碌的同事")
    stranger = make_user(Role.AGENT, display_name="别组的人")
    in_team(me, team)
    in_team(busy, team)
    in_team(stranger, other_team)
    for _n in range(3):
        closed_ticket(busy)
    closed_ticket(me)
    page = client.get("/quality/leaderboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "忙碌的同事" in html and "我自己" in html
    assert "别组的人" not in html
    assert html.index("忙碌的同事") < html.index(f'data-testid="rank-{me.pk}"')
    rank = html.split('data-testid="my-rank">')[1].split("</div>")[0]
    assert "2" in rank and "1" not in rank  # second of two
    # A month no calendar can end (found by a probe: 9999-12 gave a 500) shows this month's board.
    for month in ("9999-12", "0001-01"):
        assert client.get(f"/quality/leaderboard/?month={month}").status_code == 200
    # Another team's board answers as a missing one.
    assert client.get(f"/quality/leaderboard/?team={other_team.pk}").status_code == 404


def test_supervisors_see_every_team_and_inspectors_none(client_for, make_user):
    team = TeamFactory(name="售后组")
    agent = make_user(Role.AGENT, display_name="售后的人")
    in_team(agent, team)
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    assert (
        "售后的人"
        in supervisor_client.get(f"/quality/leaderboard/?team={team.pk}").content.decode()
    )
    assert "售后的人" in supervisor_client.get("/quality/leaderboard/").content.decode()
    inspector_client, _inspector = client_for(Role.INSPECTOR)
    assert inspector_client.get("/quality/leaderboard/").status_code == 403


def test_a_final_sheet_gives_the_board_its_figures_a_running_months_draft_does_not(
    client_for, make_user
):
    from django.utils import timezone

    from kefu.quality.kpi import default_month
    from kefu.quality.models import PerformanceSheet
    from kefu.quality.services import performance

    supervisor_client, supervisor = client_for(Role.SUPERVISOR)
    agent = make_user(Role.AGENT, display_name="王芳")
    closed_ticket(agent)
    this_month = timezone.localdate()
    last_month = default_month()
    for month in (this_month, last_month):
        performance.generate_sheets(actor=supervisor, month=month)
    # Last month is over: its sheet, computed since, is what the board shows (here edited, to tell
    # it from the facts, which hold no ticket of last month).
    sheet = PerformanceSheet.objects.get(agent=agent, month=last_month)
    sheet.figures = [
        {**line, "value": 7} if line["indicator"] == "handled" else line for line in sheet.figures
    ]
    sheet.score = 88.5
    sheet.save()
    board = supervisor_client.get(f"/api/v1/quality/leaderboard?month={last_month:%Y-%m}").json()
    [row] = board["rows"]
    assert (row["handled"], row["score"], row["rank"]) == (7, 88.5, 1)
    # This month is running: its draft is stale as soon as another ticket closes; the board counts.
    closed_ticket(agent)
    board = supervisor_client.get(f"/api/v1/quality/leaderboard?month={this_month:%Y-%m}").json()
    assert board["rows"][0]["handled"] == 2


def test_the_board_is_off_until_a_manager_switches_it_on(client_for, make_user):
    switch_on(False)
    team = TeamFactory(name="售前组")
    agent_client, me = client_for(Role.AGENT, display_name="我自己")
    in_team(me, team)
    closed_ticket(me)
    off = agent_client.get("/quality/leaderboard/").content.decode()
    assert 'data-testid="leaderboard-off"' in off and "评比排行榜未开启" in off
    assert 'data-testid="leaderboard"' not in off
    # an agent may not switch it on
    agent_client.post("/quality/rubric/sampling/", {"leaderboard_on": "on", "appeal_days": 3})
    assert not QualitySettings.objects.get(pk=1).leaderboard_on
    manager_client, _manager = client_for(Role.MANAGER)
    rubric = manager_client.get("/quality/rubric/").content.decode()
    assert 'name="leaderboard_on"' in rubric and "开启评比排行榜" in rubric
    saved = manager_client.post(
        "/quality/rubric/sampling/",
        {
            "random_percent": 5,
            "sample_complaints": "on",
            "sample_low_ratings": "on",
            "low_rating_max": 2,
            "new_agent_days": 7,
            "sample_severe": "on",
            "appeal_days": 3,
            "leaderboard_on": "on",
            "fen_per_point": 1000,
        },
    )
    assert saved.status_code == 302
    assert QualitySettings.objects.get(pk=1).leaderboard_on
    on = agent_client.get("/quality/leaderboard/").content.decode()
    assert 'data-testid="leaderboard-off"' not in on and f'data-testid="rank-{me.pk}"' in on
