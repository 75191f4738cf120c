"""Issue 14 items 4 and 7: the month's measures beside the scored KPIs — chats and calls per day
worked, average response and handling time, call duration, tickets resolved without reopening,
return visits done, customers' praise (5-star ratings) — on the sheet page, its Excel and the API;
the team totals; a supervisor sees only their own teams' agents (pages, Excel and API, 404 by id);
the praise on the leaderboard."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.accounts.models import AgentProfile
from kefu.accounts.roles import Role
from kefu.conversations.models import Conversation
from kefu.conversations.services.lifecycle import rate_conversation
from kefu.customers.models import Customer
from kefu.quality.models import PerformanceSheet, QualitySettings
from kefu.quality.tests.conftest import GOOD_CHAT, old_agent, served_chat
from kefu.quality.tests.test_performance import closed_ticket, compute
from kefu.telephony.models import Call, CallDirection, CallOutcome
from kefu.tickets.models import Ticket
from kefu.visits.models import ReturnVisit, VisitSource, VisitState
from tests.clock import this_month
from tests.factories import TeamFactory
from tests.spreadsheets import xlsx_rows

pytestmark = pytest.mark.django_db(transaction=True)


def in_team(user, team):
    profile, _ = AgentProfile.objects.get_or_create(user=user)
    profile.teams.add(team)


def chat(agent, *, responses, handled_minutes, rating=None):
    conversation, _messages = served_chat(
        agent, GOOD_CHAT, response_seconds={1: responses[0], 3: responses[1]}
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        closed_at=conversation.assigned_at + dt.timedelta(minutes=handled_minutes)
    )
    if rating is not None:
        rate_conversation(visitor=conversation.visitor, conversation=conversation, rating=rating)


def call(agent, *, outcome=CallOutcome.ANSWERED, seconds=0):
    Call.objects.create(
        direction=CallDirection.INBOUND,
        number="13800000000",
        agent=agent,
        started_at=timezone.now(),
        outcome=outcome,
        duration_seconds=seconds,
        created_by=agent,
    )


def visit_done(agent):
    customer = Customer.objects.create(name="黄伟")
    now = timezone.now()
    ReturnVisit.objects.create(
        customer=customer,
        assignee=agent,
        source=VisitSource.MANUAL,
        state=VisitState.DONE,
        scheduled_at=now,
        due_at=now,
        completed_at=now,
    )


def measures(payload):
    return {m["key"]: m["value"] for m in payload["measures"]}


def test_the_months_measures_from_the_recorded_facts(client_for, no_random_sample):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    agent = old_agent(display_name="王芳")
    chat(agent, responses=(20, 40), handled_minutes=10, rating=5)
    chat(agent, responses=(30, 30), handled_minutes=20, rating=4)  # liked, not praised
    call(agent, seconds=100)
    call(agent, seconds=200)
    call(agent, outcome=CallOutcome.MISSED)  # not handled
    closed_ticket(agent)
    closed_ticket(agent)
    Ticket.objects.filter(pk=Ticket.objects.filter(assignee=agent).first().pk).update(
        reopen_count=1
    )
    visit_done(agent)
    assert compute(supervisor_client).status_code == 302
    sheet = PerformanceSheet.objects.get(agent=agent)
    expected = {
        "chats_per_day": 2.0,  # two chats on one day worked
        "calls_per_day": 2.0,  # two answered calls on one day
        "response": 30.0,  # (20 + 40 + 30 + 30) / 4 responses
        "handling": 900.0,  # 10 and 20 minutes
        "call_duration": 150.0,
        "resolution": 50.0,  # one of the two closed tickets was reopened
        "visits": 1.0,
        "praise": 1.0,  # the 5-star rating
    }
    page = supervisor_client.get(f"/quality/performance/{sheet.pk}/").content.decode()
    for key in expected:
        assert f'data-testid="measure-{key}"' in page
    assert "30 秒" in page.split('data-testid="measure-response"')[1].split("</tr>")[0]
    api = supervisor_client.get(f"/api/v1/quality/performance/{sheet.pk}").json()
    assert measures(api) == expected
    listed = supervisor_client.get(f"/api/v1/quality/performance?month={this_month()}").json()
    assert measures(next(s for s in listed if s["agent_id"] == agent.pk)) == expected
    rows = xlsx_rows(supervisor_client.get(f"/quality/performance/export/?month={this_month()}"))
    header = [str(c) for c in rows[0]]
    body = next(r for r in rows if agent.username in r)
    assert body[header.index("日均处理会话数")] == "2.0"
    assert body[header.index("工单解决率（未重开）")] == "50.0"
    assert body[header.index("客户表扬（5星评价及记录在案的表扬）")] == "1"


def test_an_agent_with_no_facts_has_no_averages(client_for):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    agent = old_agent()
    compute(supervisor_client)
    values = measures(
        supervisor_client.get(
            f"/api/v1/quality/performance/{PerformanceSheet.objects.get(agent=agent).pk}"
        ).json()
    )
    assert values["chats_per_day"] is None and values["resolution"] is None
    assert values["visits"] == 0 and values["praise"] == 0


def test_a_supervisor_sees_only_their_teams_sheets_and_totals(client_for, make_user):
    north, south = TeamFactory(name="北区组"), TeamFactory(name="南区组")
    supervisor_client, supervisor = client_for(Role.SUPERVISOR)
    in_team(supervisor, north)
    mine_a = make_user(Role.AGENT, display_name="北区甲")
    mine_b = make_user(Role.AGENT, display_name="北区乙")
    theirs = make_user(Role.AGENT, display_name="南区丙")
    in_team(mine_a, north)
    in_team(mine_b, north)
    in_team(theirs, south)
    closed_ticket(mine_a)
    closed_ticket(mine_b)
    closed_ticket(mine_b)
    Ticket.objects.filter(pk=Ticket.objects.filter(assignee=mine_b).first().pk).update(
        reopen_count=2
    )
    closed_ticket(theirs)
    compute(supervisor_client)
    other = PerformanceSheet.objects.get(agent=theirs)
    # pages: the list, the sheet by id, its print view, signing it
    listing = supervisor_client.get(f"/quality/performance/?month={this_month()}").content.decode()
    assert "北区甲" in listing and "北区乙" in listing and "南区丙" not in listing
    assert supervisor_client.get(f"/quality/performance/{other.pk}/").status_code == 404
    assert supervisor_client.get(f"/quality/performance/{other.pk}/?print=1").status_code == 404
    assert supervisor_client.post(f"/quality/performance/{other.pk}/sign/").status_code == 404
    other.refresh_from_db()
    assert other.signed_by is None
    # the team's totals: 2 of the 3 tickets resolved without reopening
    totals = listing.split('data-testid="team-totals"')[1]
    assert (
        f'data-testid="team-{north.pk}"' in totals
        and f'data-testid="team-{south.pk}"' not in totals
    )
    assert "66.7" in totals.split(f'data-testid="team-{north.pk}-resolution"')[1][:20]
    # the API
    listed = supervisor_client.get(f"/api/v1/quality/performance?month={this_month()}").json()
    assert {s["agent_id"] for s in listed} == {mine_a.pk, mine_b.pk}
    assert supervisor_client.get(f"/api/v1/quality/performance/{other.pk}").status_code == 404
    teams = supervisor_client.get(f"/api/v1/quality/performance-teams?month={this_month()}").json()
    assert [(t["team_id"], t["agents"]) for t in teams] == [(north.pk, 2)]
    assert measures(teams[0])["resolution"] == 66.7
    # the Excel file
    rows = xlsx_rows(supervisor_client.get(f"/quality/performance/export/?month={this_month()}"))
    names = {r[1] for r in rows[1:]}
    assert mine_a.username in names and theirs.username not in names
    # the leaderboard: their teams' boards only
    QualitySettings.objects.update_or_create(pk=1, defaults={"leaderboard_on": True})
    assert supervisor_client.get(f"/quality/leaderboard/?team={south.pk}").status_code == 404
    board = supervisor_client.get(
        f"/api/v1/quality/leaderboard?month={this_month()}&team={south.pk}"
    )
    assert board.status_code == 404
    # a manager sees every agent and every team
    manager_client, _manager = client_for(Role.MANAGER)
    assert manager_client.get(f"/quality/performance/{other.pk}/").status_code == 200
    teams = manager_client.get(f"/api/v1/quality/performance-teams?month={this_month()}").json()
    assert {t["team_id"] for t in teams} == {north.pk, south.pk}
    # an agent sees no team totals
    agent_client, _agent = client_for(Role.AGENT)
    assert (
        agent_client.get(f"/api/v1/quality/performance-teams?month={this_month()}").status_code
        == 403
    )
    assert (
        supervisor_client.get("/api/v1/quality/performance-teams?month=2026-13").status_code == 400
    )


def test_a_supervisor_in_no_team_sees_every_agent(client_for, make_user):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    agent = make_user(Role.AGENT, display_name="任何组")
    in_team(agent, TeamFactory(name="某组"))
    compute(supervisor_client)
    sheet = PerformanceSheet.objects.get(agent=agent)
    assert supervisor_client.get(f"/quality/performance/{sheet.pk}/").status_code == 200


def test_customers_praise_is_linked_to_the_agent_on_the_leaderboard(client_for, no_random_sample):
    QualitySettings.objects.update_or_create(pk=1, defaults={"leaderboard_on": True})
    team = TeamFactory(name="售前组")
    praised = old_agent(display_name="被表扬的")
    other = old_agent(display_name="没被表扬的")
    in_team(praised, team)
    in_team(other, team)
    chat(praised, responses=(10, 10), handled_minutes=5, rating=5)
    chat(praised, responses=(10, 10), handled_minutes=5, rating=5)
    chat(other, responses=(10, 10), handled_minutes=5, rating=3)
    client, _manager = client_for(Role.MANAGER)
    page = client.get(f"/quality/leaderboard/?team={team.pk}").content.decode()
    assert page.split(f'data-testid="praise-{praised.pk}">')[1].startswith("2<")
    assert page.split(f'data-testid="praise-{other.pk}">')[1].startswith("0<")
    board = client.get(f"/api/v1/quality/leaderboard?month={this_month()}&team={team.pk}").json()
    assert {r["agent_id"]: r["praise"] for r in board["rows"]} == {praised.pk: 2, other.pk: 0}
