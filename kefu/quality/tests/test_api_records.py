"""Issue 14 item 8, the rest of the API: the records naming an agent (praise 表扬, complaints upheld
投诉成立), the sampling rules of the manual review and the month's roster grid 值班表 — what the pages
do, through the same services, for the same people. Another team's record is 404, a write the role
may not make 403 with nothing changed, a value a rule refuses 422 naming the field."""

import datetime as dt
import json

import pytest
from django.test import Client

from conftest import sign_in
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.quality.models import AgentRecord, QualitySettings, RecordKind, RosterEntry
from kefu.quality.services import records
from kefu.quality.services.roster import ensure_shifts
from kefu.quality.services.rubric import quality_settings
from tests.clock import this_month
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

RECORDS = "/api/v1/quality/records"


def client(user) -> Client:
    return sign_in(Client(), user)


def call(c: Client, method: str, url: str, body=None):
    return getattr(c, method)(url, data=json.dumps(body or {}), content_type="application/json")


def in_team(user, team):
    user.agent_profile.teams.add(team)
    return user


@pytest.fixture
def teams():
    """Two teams, each with a supervisor and an agent; a manager over both."""
    one, two = TeamFactory(name="一组"), TeamFactory(name="二组")

    class T:
        pass

    t = T()
    t.boss1 = in_team(UserFactory(role=Role.SUPERVISOR), one)
    t.boss2 = in_team(UserFactory(role=Role.SUPERVISOR), two)
    t.agent1 = in_team(UserFactory(role=Role.AGENT, display_name="王芳"), one)
    t.agent2 = in_team(UserFactory(role=Role.AGENT, display_name="李雷"), two)
    t.manager = UserFactory(role=Role.MANAGER)
    t.one, t.two = one, two
    return t


def test_a_supervisor_records_praise_through_the_api_and_reads_it_back(teams):
    boss = client(teams.boss1)
    made = call(
        boss,
        "post",
        f"{RECORDS}/praise",
        {"agent_id": teams.agent1.pk, "source": "letter", "words": "送来锦旗：耐心细致"},
    )
    assert made.status_code == 201, made.content
    body = made.json()
    record = AgentRecord.objects.get()
    assert body["id"] == record.pk
    assert (body["kind"], body["agent_id"], body["agent_name"]) == (
        "praise",
        teams.agent1.pk,
        "王芳",
    )
    assert (body["source"], body["words"], body["recorded_by_id"]) == (
        "letter",
        "送来锦旗：耐心细致",
        teams.boss1.pk,
    )
    assert body["survey_answer_id"] is None
    assert AuditEntry.objects.filter(
        action=AuditAction.QUALITY_REVIEW, object_id=str(record.pk)
    ).exists()

    listed = boss.get(f"{RECORDS}?month={this_month()}")
    assert [r["id"] for r in listed.json()] == [record.pk]
    assert boss.get(f"{RECORDS}?month={this_month()}&kind=complaint_upheld").json() == []
    assert boss.get(f"{RECORDS}/{record.pk}").json()["words"] == "送来锦旗：耐心细致"
    # the agent reads their own; the other team's agent sees nothing of it
    assert [
        r["id"] for r in client(teams.agent1).get(f"{RECORDS}?month={this_month()}").json()
    ] == [record.pk]
    assert client(teams.agent2).get(f"{RECORDS}/{record.pk}").status_code == 404


def test_another_teams_record_answers_404_and_nothing_changes(teams):
    record = records.record_praise(
        actor=teams.manager, agent_id=teams.agent1.pk, source="phone", words="电话表扬"
    )
    other = client(teams.boss2)
    assert other.get(f"{RECORDS}/{record.pk}").status_code == 404
    assert other.get(f"{RECORDS}?month={this_month()}").json() == []
    gone = call(other, "post", f"{RECORDS}/{record.pk}/withdraw", {"reason": "记错了"})
    assert gone.status_code == 404
    assert AgentRecord.objects.filter(pk=record.pk).exists()
    # naming another team's agent is refused on the field, nothing recorded
    refused = call(
        other,
        "post",
        f"{RECORDS}/praise",
        {"agent_id": teams.agent1.pk, "source": "phone", "words": "谢谢"},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"][-1] == "agent_id"
    assert AgentRecord.objects.count() == 1
    # the manager sees and withdraws it, with the reason audited
    manager = client(teams.manager)
    assert manager.get(f"{RECORDS}/{record.pk}").status_code == 200
    done = call(manager, "post", f"{RECORDS}/{record.pk}/withdraw", {"reason": "记错了"})
    assert done.json() == {"id": record.pk, "withdrawn": True}
    assert not AgentRecord.objects.exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.INSPECTOR, Role.DEPARTMENT_STAFF])
def test_a_role_that_does_not_evaluate_may_not_record(teams, role):
    user = teams.agent1 if role == Role.AGENT else UserFactory(role=role)
    c = client(user)
    praise = {"agent_id": teams.agent1.pk, "source": "phone", "words": "谢谢"}
    assert call(c, "post", f"{RECORDS}/praise", praise).status_code == 403
    upheld = {"ticket_id": 1, "agent_id": teams.agent1.pk, "words": "态度问题"}
    assert call(c, "post", f"{RECORDS}/complaints", upheld).status_code == 403
    assert not AgentRecord.objects.exists()
    if role != Role.AGENT:
        assert c.get(f"{RECORDS}?month={this_month()}").status_code == 403


def test_a_complaint_not_judged_valid_is_refused_on_its_field(teams):
    boss = client(teams.boss1)
    refused = call(
        boss,
        "post",
        f"{RECORDS}/complaints",
        {"ticket_id": 999_999, "agent_id": teams.agent1.pk, "words": "态度问题"},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"][-1] == "ticket_id"
    bad_month = boss.get(f"{RECORDS}?month=2026-13")
    assert bad_month.status_code == 400
    assert not AgentRecord.objects.filter(kind=RecordKind.COMPLAINT_UPHELD).exists()


# ---- The sampling rules 抽检规则 ------------------------------------------------------------------

SAMPLING = "/api/v1/quality/sampling"
RULES = {
    "random_percent": 10,
    "sample_complaints": True,
    "sample_low_ratings": False,
    "low_rating_max": 3,
    "new_agent_days": 14,
    "sample_severe": True,
    "appeal_days": 5,
    "leaderboard_on": True,
    "fen_per_point": 2000,
}


def test_a_manager_sets_the_sampling_rules_and_an_inspector_reads_them():
    manager = client(UserFactory(role=Role.MANAGER))
    saved = call(manager, "put", SAMPLING, RULES)
    assert saved.status_code == 200, saved.content
    assert saved.json() == RULES
    current = quality_settings()
    assert (current.random_percent, current.new_agent_days, current.appeal_days) == (10, 14, 5)
    assert current.sample_low_ratings is False
    assert AuditEntry.objects.filter(
        action=AuditAction.SETTINGS_CHANGED, object_type="quality.qualitysettings"
    ).exists()
    inspector = client(UserFactory(role=Role.INSPECTOR))
    assert inspector.get(SAMPLING).json() == RULES


@pytest.mark.parametrize(
    ("field", "value"),
    [("random_percent", 101), ("low_rating_max", 0), ("appeal_days", 31), ("new_agent_days", 91)],
)
def test_a_sampling_value_out_of_range_is_422_and_nothing_saved(field, value):
    before = QualitySettings.objects.get_or_create(pk=1)[0].random_percent
    refused = call(client(UserFactory(role=Role.MANAGER)), "put", SAMPLING, RULES | {field: value})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"][-1] == field
    assert quality_settings().random_percent == before


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT, Role.INSPECTOR])
def test_only_managers_change_the_sampling_rules(role):
    before = quality_settings().random_percent
    assert call(client(UserFactory(role=role)), "put", SAMPLING, RULES).status_code == 403
    assert quality_settings().random_percent == before
    # supervisors and inspectors read them (as the rubric page shows them); an agent does not
    reads = client(UserFactory(role=role)).get(SAMPLING).status_code
    assert reads == (403 if role == Role.AGENT else 200)


# ---- The month's roster grid 值班表 ---------------------------------------------------------------


def test_a_supervisor_reads_and_edits_the_month_as_a_grid(teams):
    boss = client(teams.boss1)
    early, late = ensure_shifts()[:2]
    url = "/api/v1/quality/roster/months/2027-02"
    grid = boss.get(f"{url}?team={teams.one.pk}")
    assert grid.status_code == 200, grid.content
    body = grid.json()
    assert body["month"] == "2027-02" and body["team_id"] == teams.one.pk
    assert [d["day"] for d in body["days"]][0::27] == ["2027-02-01", "2027-02-28"]
    assert [r["agent_id"] for r in body["rows"]] == [teams.agent1.pk]
    assert all(c["shift_ids"] == [] for c in body["rows"][0]["cells"])

    cells = [
        {"agent_id": teams.agent1.pk, "day": "2027-02-01", "shift_ids": [early.pk]},
        {"agent_id": teams.agent1.pk, "day": "2027-02-28", "shift_ids": [late.pk]},
        {"agent_id": teams.agent2.pk, "day": "2027-02-15", "shift_ids": [early.pk]},
    ]
    saved = call(boss, "put", f"{url}?team={teams.one.pk}", {"cells": cells})
    assert saved.status_code == 200, saved.content
    assert saved.json()["changed"] == 3
    row = saved.json()["grid"]["rows"][0]
    assert row["cells"][0]["shift_ids"] == [early.pk]
    assert row["cells"][27]["shift_ids"] == [late.pk]
    assert set(RosterEntry.objects.values_list("agent_id", "day", "shift_id")) == {
        (teams.agent1.pk, dt.date(2027, 2, 1), early.pk),
        (teams.agent1.pk, dt.date(2027, 2, 28), late.pk),
        (teams.agent2.pk, dt.date(2027, 2, 15), early.pk),
    }
    # a day off: the cell emptied
    call(boss, "put", url, {"cells": [{**cells[0], "shift_ids": []}]})
    assert not RosterEntry.objects.filter(day=dt.date(2027, 2, 1)).exists()


def test_the_month_grid_refuses_what_the_page_refuses(teams):
    boss = client(teams.boss1)
    shifts = ensure_shifts()
    url = "/api/v1/quality/roster/months/2027-02"
    outside = [{"agent_id": teams.agent1.pk, "day": "2027-03-01", "shift_ids": [shifts[0].pk]}]
    assert call(boss, "put", url, {"cells": outside}).status_code == 400
    early, middle = shifts[0], shifts[1]  # 早班 08–16 and 中班 12–20 overlap
    overlapping = [
        {"agent_id": teams.agent1.pk, "day": "2027-02-01", "shift_ids": [early.pk, middle.pk]},
    ]
    refused = call(boss, "put", url, {"cells": overlapping})
    assert refused.status_code == 400
    assert not RosterEntry.objects.exists()
    assert boss.get(f"{url}?team=999999").status_code == 404
    assert boss.get("/api/v1/quality/roster/months/1999-13").status_code == 400
    agent = client(teams.agent1)
    assert agent.get(url).status_code == 403
    assert call(agent, "put", url, {"cells": outside}).status_code == 403
    assert not RosterEntry.objects.exists()
