"""Item 3 of the rest of issue 14: the leaderboard 评比 — a team's agents ranked by the month's KPI
score; an agent sees their teams' boards and their own rank, never another team's."""

import pytest

from kefu.accounts.models import AgentProfile
from kefu.accounts.roles import Role
from kefu.quality.tests.test_performance import closed_ticket
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


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
