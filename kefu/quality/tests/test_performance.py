"""Item 1 of the rest of issue 14: the KPIs from the recorded facts, the managers' targets and
weights, the monthly performance sheet 绩效考核表 (page, print view, Excel), the supervisor's
signature and the agent's acknowledgement (audited); who sees which sheet, by id."""

import pytest
from django.utils import timezone

from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.quality.models import KpiTarget, PerformanceSheet, PerformanceState
from kefu.quality.tests.conftest import GOOD_CHAT, old_agent, served_chat
from kefu.telephony.models import Call, CallDirection, CallOutcome
from kefu.tickets.models import Ticket
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketState, TicketType
from tests.clock import this_month
from tests.spreadsheets import xlsx_rows

pytestmark = pytest.mark.django_db(transaction=True)

COMPLAINT_CHAT = [
    ("visitor", "你们太慢了，我要投诉"),
    ("agent", "您好，很高兴为您服务，我帮您查一下"),
    ("agent", "感谢您的咨询，祝您生活愉快"),
]


def closed_ticket(agent, *, breached=False):
    ticket = create_ticket(
        actor=agent, type=TicketType.CONSULTATION, subject="发货咨询", assignee_id=agent.pk
    )
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(
        state=TicketState.CLOSED, closed_at=now, first_breach_at=now if breached else None
    )


def a_call(agent):
    Call.objects.create(
        direction=CallDirection.INBOUND,
        number="13800000000",
        agent=agent,
        started_at=timezone.now(),
        outcome=CallOutcome.ANSWERED,
        created_by=agent,
    )


def compute(client):
    return client.post("/quality/performance/compute/", {"month": this_month()})


def line(sheet, key):
    return next(x for x in sheet.figures if x["indicator"] == key)


def test_the_sheet_is_computed_from_the_recorded_facts(client_for, no_random_sample):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    agent = old_agent(display_name="王芳")
    served_chat(agent, GOOD_CHAT)
    served_chat(agent, COMPLAINT_CHAT)
    closed_ticket(agent)
    closed_ticket(agent, breached=True)
    a_call(agent)
    response = compute(supervisor_client)
    assert response.status_code == 302
    sheet = PerformanceSheet.objects.get(agent=agent)
    assert sheet.state == PerformanceState.DRAFT
    handled = line(sheet, "handled")
    assert handled["value"] == 5  # two chats, two tickets, one call
    assert handled["detail"] == {"chats": 2, "tickets": 2, "calls": 1}
    assert line(sheet, "time_limits")["value"] == 50.0
    assert (
        line(sheet, "complaints")["value"] == 0
    )  # complaint words, but nothing upheld against her
    assert line(sheet, "quality")["value"] is not None
    assert line(sheet, "satisfaction")["value"] is None  # nobody rated: left out of the score
    assert sheet.score is not None and 0 <= sheet.score <= 100
    page = supervisor_client.get(f"/quality/performance/{sheet.pk}/")
    assert page.status_code == 200
    assert "王芳" in page.content.decode()
    assert 'data-testid="performance-sign"' in page.content.decode()


def test_targets_and_weights_change_the_score_and_must_add_up_to_100(client_for):
    manager_client, _manager = client_for(Role.MANAGER)
    assert manager_client.get("/quality/kpi/targets/").status_code == 200
    before = {t.indicator: (t.target, t.weight) for t in KpiTarget.objects.all()}
    bad = {f"target_{k}": "10" for k in before} | {f"weight_{k}": "10" for k in before}
    response = manager_client.post("/quality/kpi/targets/", bad)
    assert "100" in response.content.decode()
    assert {t.indicator: (t.target, t.weight) for t in KpiTarget.objects.all()} == before
    good = {f"target_{k}": "10" for k in before} | {f"weight_{k}": "0" for k in before}
    good["weight_handled"] = "100"
    assert manager_client.post("/quality/kpi/targets/", good).status_code == 302
    assert KpiTarget.objects.get(indicator="handled").weight == 100
    assert AuditEntry.objects.filter(
        action=AuditAction.SETTINGS_CHANGED, object_type="quality.kpitarget"
    ).exists()
    agent = old_agent()
    closed_ticket(agent)
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    compute(supervisor_client)
    assert PerformanceSheet.objects.get(agent=agent).score == 10.0  # 1 handled of a target of 10


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT, Role.INSPECTOR])
def test_only_managers_set_the_targets(client_for, role):
    client, _user = client_for(role)
    assert client.get("/quality/kpi/targets/").status_code == 403


def test_signed_then_acknowledged_each_step_audited_and_locked(client_for):
    supervisor_client, supervisor = client_for(Role.SUPERVISOR)
    agent_client, agent = client_for(Role.AGENT)
    compute(supervisor_client)
    sheet = PerformanceSheet.objects.get(agent=agent)
    # The agent does not see the draft, nor acknowledge it.
    assert agent_client.get(f"/quality/performance/{sheet.pk}/").status_code == 404
    assert agent_client.post(f"/quality/performance/{sheet.pk}/acknowledge/").status_code == 404
    supervisor_client.post(f"/quality/performance/{sheet.pk}/sign/", {"comment": "继续保持"})
    sheet.refresh_from_db()
    assert sheet.state == PerformanceState.SIGNED and sheet.signed_by == supervisor
    # A signed sheet is not recomputed.
    closed_ticket(agent)
    compute(supervisor_client)
    sheet.refresh_from_db()
    assert sheet.state == PerformanceState.SIGNED and sheet.version == 2
    # The supervisor cannot acknowledge for the agent; the agent can.
    supervisor_client.post(f"/quality/performance/{sheet.pk}/acknowledge/")
    sheet.refresh_from_db()
    assert sheet.state == PerformanceState.SIGNED
    page = agent_client.get(f"/quality/performance/{sheet.pk}/")
    assert "继续保持" in page.content.decode()
    agent_client.post(f"/quality/performance/{sheet.pk}/acknowledge/")
    sheet.refresh_from_db()
    assert sheet.state == PerformanceState.ACKNOWLEDGED and sheet.acknowledged_at
    steps = list(
        AuditEntry.objects.filter(
            action=AuditAction.QUALITY_REVIEW, object_id=str(sheet.pk)
        ).values_list("details__step", "actor_id")
    )
    assert ("performance_signed", supervisor.pk) in steps
    assert ("performance_acknowledged", agent.pk) in steps
    # A second signature changes nothing.
    response = supervisor_client.post(f"/quality/performance/{sheet.pk}/sign/", follow=True)
    assert "已签" in response.content.decode() or "signed" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.state == PerformanceState.ACKNOWLEDGED


def test_an_agent_never_sees_another_agents_sheet(client_for, make_user):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    agent_client, agent = client_for(Role.AGENT)
    other = make_user(Role.AGENT, display_name="赵强")
    compute(supervisor_client)
    theirs = PerformanceSheet.objects.get(agent=other)
    supervisor_client.post(f"/quality/performance/{theirs.pk}/sign/")
    assert agent_client.get(f"/quality/performance/{theirs.pk}/").status_code == 404
    assert agent_client.get(f"/quality/performance/{theirs.pk}/?print=1").status_code == 404
    assert agent_client.post(f"/quality/performance/{theirs.pk}/acknowledge/").status_code == 404
    listing = agent_client.get(f"/quality/performance/?month={this_month()}").content.decode()
    assert "赵强" not in listing
    assert agent_client.get(f"/quality/performance/export/?month={this_month()}").status_code == 403
    inspector_client, _inspector = client_for(Role.INSPECTOR)
    assert inspector_client.get("/quality/performance/").status_code == 403
    assert inspector_client.get(f"/quality/performance/{theirs.pk}/").status_code == 404
    # An agent cannot compute or sign.
    mine = PerformanceSheet.objects.get(agent=agent)
    assert (
        agent_client.post("/quality/performance/compute/", {"month": this_month()}).status_code
        == 403
    )
    agent_client.post(f"/quality/performance/{mine.pk}/sign/")
    mine.refresh_from_db()
    assert mine.state == PerformanceState.DRAFT


def test_the_month_in_excel_and_the_print_view(client_for, make_user):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    agent = make_user(Role.AGENT, display_name="=HYPERLINK(1)", username="wangfang")
    closed_ticket(agent)
    compute(supervisor_client)
    response = supervisor_client.get(f"/quality/performance/export/?month={this_month()}")
    assert response.status_code == 200
    rows = xlsx_rows(response)
    header = [str(c) for c in rows[0] if c is not None]
    assert header[:5] == ["月份", "工号（用户名）", "姓名", "部门", "班组"]
    assert {"调整分", "调整原因", "最终分数", "批准人"} <= set(header)
    body = next(r for r in rows if "wangfang" in r)
    assert body[0] == this_month()
    assert "'=HYPERLINK(1)" in body
    sheet = PerformanceSheet.objects.get(agent=agent)
    assert body[5 + 1] == "1"  # handled, the second indicator
    assert next(c for c in rows[-1] if c is not None) == "制表人"  # the signature line
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()
    printed = supervisor_client.get(f"/quality/performance/{sheet.pk}/?print=1")
    assert 'data-testid="performance-print-view"' in printed.content.decode()


def test_last_months_sheets_are_made_ready_by_the_5th_without_anyone(monkeypatch, make_user):
    import datetime as dt

    from kefu.quality.tasks import prepare_last_months_sheets

    agent = make_user(Role.AGENT, display_name="王芳")
    signed_agent = make_user(Role.AGENT, display_name="李娜")
    closed_ticket(agent)
    this_month = timezone.localdate().replace(day=1)
    PerformanceSheet.objects.create(
        agent=signed_agent,
        month=this_month,
        state=PerformanceState.SIGNED,
        figures=[],
        score=88,
        computed_at=timezone.now(),
    )
    next_month = (this_month + dt.timedelta(days=32)).replace(day=1)
    # The 6th of next month: too late for the scheduler, nothing made.
    monkeypatch.setattr(timezone, "localdate", lambda *a: next_month.replace(day=6))
    assert prepare_last_months_sheets.call_local() == 0
    assert not PerformanceSheet.objects.filter(agent=agent).exists()
    # The 3rd: this month's sheets are computed for every agent; a signed one stays as signed.
    monkeypatch.setattr(timezone, "localdate", lambda *a: next_month.replace(day=3))
    assert prepare_last_months_sheets.call_local() == 1
    sheet = PerformanceSheet.objects.get(agent=agent, month=this_month)
    assert sheet.state == PerformanceState.DRAFT and line(sheet, "handled")["value"] == 1
    kept = PerformanceSheet.objects.get(agent=signed_agent)
    assert (kept.state, kept.score) == (PerformanceState.SIGNED, 88)
    # Again on the 4th: the draft is refreshed, not doubled.
    assert prepare_last_months_sheets.call_local() == 1
    assert PerformanceSheet.objects.filter(agent=agent).count() == 1


def scored_sheet(agent, **kwargs):
    return PerformanceSheet.objects.create(
        agent=agent,
        month=timezone.localdate().replace(day=1),
        figures=[],
        score=kwargs.pop("score", 80.0),
        computed_at=timezone.now(),
        **kwargs,
    )


def test_a_manager_adjusts_with_a_reason_then_a_superior_approves_and_the_sheet_is_locked(
    client_for, make_user
):
    """Issue 14 item 5: adjusted (a reason, audited), approved by a superior who did not sign it
    (Perm.APPROVE_SHEETS), then locked: every change is refused with a clear message, nothing
    changed."""
    from kefu.core.errors import DomainError, PermissionRefused
    from kefu.quality.services import performance

    supervisor_client, supervisor = client_for(Role.SUPERVISOR)
    manager_client, manager = client_for(Role.MANAGER)
    agent_client, agent = client_for(Role.AGENT)
    sheet = scored_sheet(agent)
    url = f"/quality/performance/{sheet.pk}"
    supervisor_client.post(f"{url}/sign/", {"comment": "稳定"})
    agent_client.post(f"{url}/acknowledge/")
    sheet.refresh_from_db()
    assert sheet.state == PerformanceState.ACKNOWLEDGED
    page = manager_client.get(f"{url}/").content.decode()
    assert (
        'data-testid="performance-adjust"' in page and 'data-testid="performance-approve"' in page
    )
    # Bad input: no reason, out of range, not a number — each refused, nothing changed.
    for data in (
        {"points": "-5", "reason": " "},
        {"points": "150", "reason": "多"},
        {"points": "x"},
    ):
        response = manager_client.post(f"{url}/adjust/", data, follow=True)
        assert response.status_code == 200
        sheet.refresh_from_db()
        assert (sheet.adjustment, sheet.version) == (0, 3)
    response = manager_client.post(
        f"{url}/adjust/", {"points": "-5", "reason": "客户投诉成立", "version": "3"}, follow=True
    )
    assert "得分已调整" in response.content.decode()
    sheet.refresh_from_db()
    assert (sheet.adjustment, sheet.final_score, sheet.adjusted_by) == (-5, 75.0, manager)
    # adjusted after the agent acknowledged: back to the agent to acknowledge again
    assert sheet.state == PerformanceState.SIGNED and sheet.acknowledged_at is None
    entry = AuditEntry.objects.get(details__step="performance_adjusted")
    assert entry.actor == manager and entry.details["before"]["final_score"] == 80.0
    assert (
        entry.details["after"]["final_score"] == 75.0 and entry.details["reason"] == "客户投诉成立"
    )
    # A supervisor has no right to approve; the one who signed may not approve either.
    assert (
        'data-testid="performance-approve"' not in supervisor_client.get(f"{url}/").content.decode()
    )
    supervisor_client.post(f"{url}/approve/")
    with pytest.raises(PermissionRefused):
        performance.approve_sheet(actor=supervisor, sheet_id=sheet.pk)
    sheet.refresh_from_db()
    assert sheet.approved_at is None
    response = manager_client.post(f"{url}/approve/", {"version": str(sheet.version)}, follow=True)
    sheet.refresh_from_db()
    assert sheet.approved_by == manager and sheet.approved_at is not None
    assert 'data-testid="performance-approved"' in response.content.decode()
    assert AuditEntry.objects.filter(
        details__step="performance_approved", actor=manager, object_id=str(sheet.pk)
    ).exists()
    # Locked: adjusting, approving again, signing — refused with the reason, nothing changed.
    version = sheet.version
    response = manager_client.post(f"{url}/adjust/", {"points": "3", "reason": "再调"}, follow=True)
    assert "锁定，不能再作任何修改" in response.content.decode()
    for step in (
        lambda: performance.adjust_sheet(actor=manager, sheet_id=sheet.pk, points=1, reason="r"),
        lambda: performance.approve_sheet(actor=manager, sheet_id=sheet.pk),
        lambda: performance.sign_sheet(actor=supervisor, sheet_id=sheet.pk),
    ):
        with pytest.raises(DomainError) as refused:
            step()
        assert "locked" in refused.value.message or "锁定" in refused.value.message
    sheet.refresh_from_db()
    assert (sheet.version, sheet.adjustment, sheet.approved_by) == (version, -5, manager)
    page = manager_client.get(f"{url}/").content.decode()
    assert 'data-testid="performance-adjust"' not in page
    assert 'data-testid="performance-approve"' not in page


def test_approval_needs_a_signed_sheet_and_nobody_adjusts_their_own(client_for, make_user):
    from kefu.core.errors import DomainError, PermissionRefused
    from kefu.quality.services import performance

    _client, manager = client_for(Role.MANAGER)
    agent = make_user(Role.AGENT)
    draft = scored_sheet(agent)
    with pytest.raises(DomainError, match="签字"):
        performance.approve_sheet(actor=manager, sheet_id=draft.pk)
    with pytest.raises(PermissionRefused):
        performance.adjust_sheet(actor=agent, sheet_id=draft.pk, points=10, reason="我很好")
    empty = scored_sheet(make_user(Role.AGENT), score=None)
    with pytest.raises(DomainError, match="没有得分"):
        performance.adjust_sheet(actor=manager, sheet_id=empty.pk, points=1, reason="r")
    # a stale version is a conflict; 0 takes an adjustment back (no reason needed)
    performance.adjust_sheet(actor=manager, sheet_id=draft.pk, points=30, reason="表扬")
    with pytest.raises(DomainError):
        performance.adjust_sheet(
            actor=manager, sheet_id=draft.pk, points=0, reason="", expected_version=1
        )
    draft.refresh_from_db()
    assert draft.final_score == 100.0  # within 0–100
    performance.adjust_sheet(actor=manager, sheet_id=draft.pk, points=0, reason="")
    draft.refresh_from_db()
    assert (draft.adjustment, draft.adjustment_reason, draft.final_score) == (0, "", 80.0)
    # a draft adjusted and then recomputed from the facts keeps the adjustment
    performance.adjust_sheet(actor=manager, sheet_id=draft.pk, points=-4, reason="迟到")
    performance.generate_sheets(actor=manager, month=draft.month)
    draft.refresh_from_db()
    assert draft.adjustment == -4 and draft.adjustment_reason == "迟到"


def test_the_api_adjusts_and_approves(client_for, make_user):
    from kefu.quality.tests.test_api_writes import call

    supervisor_client, supervisor = client_for(Role.SUPERVISOR)
    client, manager = client_for(Role.MANAGER)
    agent = make_user(Role.AGENT)
    sheet = scored_sheet(agent, state=PerformanceState.SIGNED, signed_by=supervisor)
    base = f"/api/v1/quality/performance/{sheet.pk}"
    assert call(client, "post", f"{base}/adjust", {"points": 2}).status_code == 400  # no reason
    assert call(client, "post", f"{base}/adjust", {"points": 101, "reason": "r"}).status_code in {
        400,
        422,
    }
    adjusted = call(client, "post", f"{base}/adjust", {"points": 2.5, "reason": "加班支援"})
    assert adjusted.status_code == 200, adjusted.content
    body = adjusted.json()
    assert (body["adjustment"], body["final_score"], body["approved_at"]) == (2.5, 82.5, None)
    assert call(supervisor_client, "post", f"{base}/approve", {}).status_code == 403
    approved = call(client, "post", f"{base}/approve", {"version": body["version"]})
    assert approved.status_code == 200 and approved.json()["approved_by_id"] == manager.pk
    again = call(client, "post", f"{base}/adjust", {"points": 1, "reason": "r"})
    assert again.status_code == 400 and "锁定" in again.json()["detail"]
    sheet.refresh_from_db()
    assert sheet.adjustment == 2.5


def test_last_months_sheets_are_made_up_after_the_5th_when_none_were_made(monkeypatch, make_user):
    import datetime as dt

    from kefu.quality.tasks import prepare_last_months_sheets

    agent = make_user(Role.AGENT)
    closed_ticket(agent)
    this_month = timezone.localdate().replace(day=1)
    next_month = (this_month + dt.timedelta(days=32)).replace(day=1)
    monkeypatch.setattr(timezone, "localdate", lambda *a: next_month.replace(day=9))
    assert prepare_last_months_sheets.call_local() == 1  # the worker was down the 1st–5th
    assert PerformanceSheet.objects.filter(agent=agent, month=this_month).exists()
    assert prepare_last_months_sheets.call_local() == 0  # made once; later days leave them
