"""Reward/penalty sheets 奖罚评分表 drafted from a manager's rules (issue 14 item 5): the month's facts
become lines marked as from a rule; the supervisor adjusts them before submitting; drafting again
refreshes only untouched drafts; the drafts are ready the day before payday without anyone."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.conversations.models import Conversation
from kefu.quality.models import (
    QualitySettings,
    RewardPenaltySheet,
    RewardRule,
    RuleKind,
    SheetItem,
    SheetState,
)
from kefu.quality.services import sheet_rules
from kefu.quality.tests.conftest import GOOD_CHAT, old_agent, served_chat
from kefu.quality.tests.test_performance import COMPLAINT_CHAT, closed_ticket
from tests.clock import this_month
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

RUDE_CHAT = [("visitor", "这个怎么用"), ("agent", "您好，你自己看说明书"), ("agent", "再见")]


def lines(sheet) -> dict[str, int]:
    return {i.rule: i.points for i in SheetItem.objects.filter(sheet=sheet) if i.rule}


def draft_now(client):
    return client.post("/quality/sheets/from-rules/", {"month": this_month()})


def a_month_of_facts(agent):
    """A chat where the customer complained (the rule counts none of it: no complaint is upheld
    against the agent), a complaint upheld against the agent, one chat with a forbidden word, one
    rated 5, a customer's praise on record, two tickets closed after a time limit was breached."""
    from kefu.quality.services import records
    from kefu.quality.tests.test_records import complaint

    supervisor = UserFactory(role=Role.SUPERVISOR)
    served_chat(agent, COMPLAINT_CHAT)
    upheld = complaint(agent)
    records.uphold_complaint(actor=supervisor, ticket_id=upheld.pk, agent_id=agent.pk, words="态度")
    served_chat(agent, RUDE_CHAT)
    rated, _made = served_chat(agent, GOOD_CHAT)
    Conversation.objects.filter(pk=rated.pk).update(rating=5)
    records.record_praise(actor=supervisor, agent_id=agent.pk, source="letter", words="表扬信")
    closed_ticket(agent, breached=True)
    closed_ticket(agent, breached=True)


def test_the_months_sheets_are_drafted_from_the_rules(client_for, no_random_sample):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    agent = old_agent(display_name="王芳")
    idle = old_agent(display_name="李娜")
    sheet_rules.rules()
    RewardRule.objects.filter(kind=RuleKind.QUALITY_BELOW).update(threshold=100)
    RewardRule.objects.filter(kind=RuleKind.QUALITY_AT_LEAST).update(is_active=False)
    a_month_of_facts(agent)

    response = draft_now(supervisor_client)
    assert response.status_code == 302
    sheet = RewardPenaltySheet.objects.get(agent=agent)
    assert (sheet.state, sheet.drafted_by, sheet.month.strftime("%Y-%m")) == (
        SheetState.DRAFT,
        None,
        this_month(),
    )
    assert lines(sheet) == {
        RuleKind.COMPLAINT: -5,
        RuleKind.SEVERE: -10,
        RuleKind.TIME_LIMIT: -4,  # two tickets × -2
        RuleKind.GOOD_RATING: 1,
        RuleKind.PRAISE: 5,
        RuleKind.QUALITY_BELOW: -10,  # a forbidden word: below 100
    }
    assert not RewardPenaltySheet.objects.filter(agent=idle).exists()  # no rule gave points
    html = supervisor_client.get(f"/quality/sheets/{sheet.pk}/").content.decode()
    assert 'data-testid="drafted-from-rules"' in html and "按规则起草" in html
    assert "2 × -2" in html and 'data-testid="total">-23<' in html
    listing = supervisor_client.get(f"/quality/sheets/?month={this_month()}").content.decode()
    assert f'data-testid="sheet-{sheet.pk}"' in listing


def test_drafting_again_refreshes_untouched_drafts_and_keeps_what_a_person_changed(
    client_for, make_user, no_random_sample
):
    supervisor_client, supervisor = client_for(Role.SUPERVISOR)
    manager_client, manager = client_for(Role.MANAGER)
    agent = old_agent(display_name="王芳")
    closed_ticket(agent, breached=True)
    draft_now(supervisor_client)
    sheet = RewardPenaltySheet.objects.get(agent=agent)
    assert lines(sheet) == {RuleKind.TIME_LIMIT: -2}

    closed_ticket(agent, breached=True)  # recorded late: the untouched draft follows
    draft_now(supervisor_client)
    assert lines(sheet) == {RuleKind.TIME_LIMIT: -4}

    # The manager adjusts the line: the sheet is theirs now, and the rules leave it alone.
    [item] = SheetItem.objects.filter(sheet=sheet)
    sheet.refresh_from_db()
    page = f"/quality/sheets/{sheet.pk}/"
    manager_client.post(
        f"{page}items/{item.pk}/",
        {"points": "-1", "reason": "一张超时工单系客户原因", "version": sheet.version},
    )
    item.refresh_from_db()
    assert (item.points, item.rule_points, item.rule) == (-1, -4, RuleKind.TIME_LIMIT)
    closed_ticket(agent, breached=True)
    draft_now(supervisor_client)
    assert lines(sheet) == {RuleKind.TIME_LIMIT: -1}
    html = manager_client.get(page).content.decode()
    assert f'data-testid="item-{item.pk}-adjusted"' in html and "规则给出 -4" in html

    # Who first changed it drafted it: the manager may not approve it, another manager may.
    manager_client.post(page + "submit/")
    manager_client.post(page + "decide/", {"decision": "approve"})
    sheet.refresh_from_db()
    assert (sheet.state, sheet.drafted_by) == (SheetState.SUBMITTED, manager)
    other_client, other = client_for(Role.MANAGER)
    other_client.post(page + "decide/", {"decision": "approve"})
    sheet.refresh_from_db()
    assert (sheet.state, sheet.decided_by) == (SheetState.APPROVED, other)
    # approved: locked, also for the rules
    supervisor_client.post(f"{page}items/{item.pk}/", {"points": "-9", "reason": "改"})
    closed_ticket(agent, breached=True)
    draft_now(supervisor_client)
    assert lines(sheet) == {RuleKind.TIME_LIMIT: -1}
    assert supervisor is not None


def test_an_agent_or_inspector_may_not_draft_from_the_rules(client_for, no_random_sample):
    agent = old_agent()
    closed_ticket(agent, breached=True)
    for role in (Role.AGENT, Role.INSPECTOR):
        client, _user = client_for(role)
        assert draft_now(client).status_code == 403
    assert not RewardPenaltySheet.objects.exists()


def test_a_manager_sets_the_rules_and_the_payday(client_for):
    manager_client, _manager = client_for(Role.MANAGER)
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    assert supervisor_client.get("/quality/sheets/rules/").status_code == 403
    html = manager_client.get("/quality/sheets/rules/").content.decode()
    assert "奖罚规则" in html and 'data-testid="rule-complaint"' in html
    form = {f"points_{r.kind}": r.points for r in sheet_rules.rules()}
    form |= {f"active_{r.kind}": "on" for r in sheet_rules.rules()}
    form |= {"threshold_quality_below": "70", "threshold_quality_at_least": "98"}

    manager_client.post(
        "/quality/sheets/rules/", {**form, "points_complaint": "-8", "payday": "15"}
    )
    assert RewardRule.objects.get(kind=RuleKind.COMPLAINT).points == -8
    assert RewardRule.objects.get(kind=RuleKind.QUALITY_BELOW).threshold == 70
    assert QualitySettings.objects.get().payday == 15
    assert AuditEntry.objects.filter(
        action=AuditAction.SETTINGS_CHANGED, object_type="quality.rewardrule"
    ).exists()

    for bad, field, error in (
        ({"payday": "31"}, "payday", "发薪日须为每月 2 日至 28 日"),
        ({"points_complaint": "-500"}, "points_complaint", "分数须在 -100 到 100 之间"),
        (
            {"threshold_quality_below": "abc"},
            "threshold_quality_below",
            "质检标准分须在 0 到 100 之间",
        ),
        (
            {"threshold_quality_below": "nan"},
            "threshold_quality_below",
            "质检标准分须在 0 到 100 之间",
        ),
        ({"points_severe": "x"}, "points_severe", "分数须为整数"),
        ({"points_severe": ""}, "points_severe", "请给出每条规则的分数"),
    ):
        page = manager_client.post("/quality/sheets/rules/", {**form, "payday": "15", **bad})
        assert page.status_code == 400
        shown = page.content.decode().split(f'data-testid="error-{field}">')[1].split("<")[0]
        assert error in shown, shown
        assert RewardRule.objects.get(kind=RuleKind.COMPLAINT).points == -8
        assert QualitySettings.objects.get().payday == 15
    denied = supervisor_client.post("/quality/sheets/rules/", {**form, "payday": "3"})
    assert denied.status_code == 403 and QualitySettings.objects.get().payday == 15


def test_the_drafts_are_ready_the_day_before_payday_without_anyone(monkeypatch, no_random_sample):
    """Frozen clock: payday the 11th. The scheduler runs daily at 16:40 UTC, 00:40 in China; on
    the 10th (China) it drafts November's sheets, on other days nothing."""
    from kefu.quality.tasks import prepare_reward_sheets

    shanghai = dt.timezone(dt.timedelta(hours=8))
    eve = dt.datetime(2026, 12, 10, 0, 40, tzinfo=shanghai)
    utc = eve.astimezone(dt.UTC).replace(tzinfo=None)
    assert prepare_reward_sheets.task_class().validate_datetime(utc)
    assert not prepare_reward_sheets.task_class().validate_datetime(utc + dt.timedelta(hours=1))
    QualitySettings.objects.update_or_create(pk=1, defaults={"payday": 11, "random_percent": 0})
    monkeypatch.setattr(timezone, "now", lambda: eve - dt.timedelta(days=1))
    agent = old_agent(display_name="王芳")
    closed_ticket(agent, breached=True)
    november = dt.datetime(2026, 11, 20, 10, 0, tzinfo=shanghai)
    from kefu.tickets.models import Ticket

    Ticket.objects.update(closed_at=november, first_breach_at=november)

    assert prepare_reward_sheets.call_local() == 0  # the 9th: not yet
    assert not RewardPenaltySheet.objects.exists()
    monkeypatch.setattr(timezone, "now", lambda: eve)
    assert prepare_reward_sheets.call_local() == 1
    sheet = RewardPenaltySheet.objects.get(agent=agent)
    assert sheet.month == dt.date(2026, 11, 1) and lines(sheet) == {RuleKind.TIME_LIMIT: -2}
    assert prepare_reward_sheets.call_local() == 1  # run twice: refreshed, not doubled
    assert SheetItem.objects.filter(sheet__agent=agent).count() == 1


def test_the_drafts_missed_on_the_eve_are_made_up_on_a_later_day(monkeypatch, no_random_sample):
    """The worker was down on the payday's eve: a later day of the month with no sheet of last
    month yet drafts them; once they exist, later days leave them (no refresh after payday)."""
    from kefu.quality.tasks import prepare_reward_sheets
    from kefu.tickets.models import Ticket

    shanghai = dt.timezone(dt.timedelta(hours=8))
    QualitySettings.objects.update_or_create(pk=1, defaults={"payday": 11, "random_percent": 0})
    agent = old_agent(display_name="王芳")
    closed_ticket(agent, breached=True)
    november = dt.datetime(2026, 11, 20, 10, 0, tzinfo=shanghai)
    Ticket.objects.update(closed_at=november, first_breach_at=november)
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 12, 14, 0, 40, tzinfo=shanghai))
    assert prepare_reward_sheets.call_local() == 1
    assert RewardPenaltySheet.objects.get(agent=agent).month == dt.date(2026, 11, 1)
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 12, 15, 0, 40, tzinfo=shanghai))
    assert prepare_reward_sheets.call_local() == 0


def test_the_rules_count_from_the_kpis_facts_alone(no_random_sample):
    """One source: the rules read the month's facts as the KPIs compute them (kpi.facts) and the
    rules themselves, nothing more (no second pass over the quality checks or the ratings)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kefu.quality import kpi

    agent = old_agent()
    a_month_of_facts(agent)
    sheet_rules.rules()
    month = timezone.localdate().replace(day=1)
    start, end = kpi.month_bounds(month)
    with CaptureQueriesContext(connection) as facts_alone:
        row = kpi.facts(start=start, end=end, agent_ids=[agent.pk])[agent.pk]
    with CaptureQueriesContext(connection) as drafting:
        lines = {ln.rule: ln for ln in sheet_rules.rule_lines(month, [agent.pk])[agent.pk]}
    assert len(drafting) == len(facts_alone) + 1  # + the rules
    assert (row.complaints_upheld, row.severe, row.good_ratings, row.praised) == (1, 1, 1, 1)
    assert lines[RuleKind.SEVERE].points == -10 and lines[RuleKind.GOOD_RATING].points == 1
