"""The reward/penalty sheet 奖罚评分表 (seed 002: the supervisor drafts it, a superior approves it):
who may draft, submit, approve and return, what each sees, and that refusals change nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.accounts.roles import Role
from kefu.notifications.models import Notification
from kefu.quality.models import RewardPenaltySheet, SheetItem, SheetState
from tests.clock import last_month

pytestmark = pytest.mark.django_db(transaction=True)  # notifications are sent after commit


def draft(client, agent, month=None):
    return client.post("/quality/sheets/new/", {"agent": agent.pk, "month": month or last_month()})


def sheet_of(agent) -> RewardPenaltySheet:
    return RewardPenaltySheet.objects.get(agent=agent)


@pytest.mark.parametrize(
    ("role", "may"),
    [
        (Role.SUPERVISOR, True),
        (Role.MANAGER, True),
        (Role.ADMINISTRATOR, True),
        (Role.AGENT, False),
        (Role.INSPECTOR, False),
        (Role.DEPARTMENT_STAFF, False),
    ],
)
def test_supervisors_and_managers_draft_sheets_nobody_else(client_for, make_user, role, may):
    client, _user = client_for(role)
    agent = make_user(Role.AGENT)
    response = draft(client, agent)
    assert RewardPenaltySheet.objects.filter(agent=agent).exists() == may
    if not may:
        assert response.status_code == 403


def test_the_supervisor_drafts_and_submits_and_a_manager_approves(client_for, make_user):
    supervisor_client, supervisor = client_for(Role.SUPERVISOR)
    manager_client, manager = client_for(Role.MANAGER)
    agent = make_user(Role.AGENT, display_name="李娜")
    draft(supervisor_client, agent)
    sheet = sheet_of(agent)
    page = f"/quality/sheets/{sheet.pk}/"
    supervisor_client.post(page + "items/", {"points": "5", "reason": "顾客表扬信"})
    supervisor_client.post(page + "items/", {"points": "-3", "reason": "首次响应超时两次"})
    html = supervisor_client.get(page).content.decode()
    assert 'data-testid="total">2<' in html and "顾客表扬信" in html
    assert 'data-testid="approve"' not in html  # the supervisor may not approve

    supervisor_client.post(page + "submit/")
    assert sheet_of(agent).state == SheetState.SUBMITTED
    [notice] = Notification.objects.filter(recipient=manager)
    assert "李娜" in notice.title and notice.link == page

    # the supervisor holds no approval right, so a forged approval changes nothing
    supervisor_client.post(page + "decide/", {"decision": "approve"})
    assert sheet_of(agent).state == SheetState.SUBMITTED

    html = manager_client.get(page).content.decode()
    assert 'data-testid="approve"' in html
    manager_client.post(page + "decide/", {"decision": "approve"})
    sheet = sheet_of(agent)
    assert (sheet.state, sheet.decided_by) == (SheetState.APPROVED, manager)
    assert Notification.objects.filter(recipient=supervisor, link=page).exists()

    # approved: locked
    supervisor_client.post(page + "items/", {"points": "10", "reason": "补加"})
    assert SheetItem.objects.filter(sheet=sheet).count() == 2


def test_a_return_needs_a_reason_and_makes_the_sheet_editable_again(client_for, make_user):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    manager_client, _manager = client_for(Role.MANAGER)
    agent = make_user(Role.AGENT)
    draft(supervisor_client, agent)
    page = f"/quality/sheets/{sheet_of(agent).pk}/"
    supervisor_client.post(page + "items/", {"points": "-5", "reason": "服务态度投诉"})
    supervisor_client.post(page + "submit/")

    html = manager_client.post(page + "decide/", {"decision": "return"}, follow=True)
    assert "说明退回的原因" in html.content.decode()
    assert sheet_of(agent).state == SheetState.SUBMITTED

    manager_client.post(
        page + "decide/", {"decision": "return", "note": "投诉未核实，请核实后再扣分"}
    )
    assert sheet_of(agent).state == SheetState.RETURNED
    html = supervisor_client.get(page).content.decode()
    assert "投诉未核实" in html and 'data-testid="item-form"' in html


def test_a_manager_does_not_approve_a_sheet_they_drafted(client_for, make_user):
    client, _manager = client_for(Role.MANAGER)
    agent = make_user(Role.AGENT)
    draft(client, agent)
    page = f"/quality/sheets/{sheet_of(agent).pk}/"
    client.post(page + "items/", {"points": "2", "reason": "好评"})
    client.post(page + "submit/")
    html = client.post(page + "decide/", {"decision": "approve"}, follow=True).content.decode()
    assert sheet_of(agent).state == SheetState.SUBMITTED
    assert "须由起草人以外的人审批" in html


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"points": "0", "reason": "x"}, "-100"),
        ({"points": "101", "reason": "x"}, "-100"),
        ({"points": "3", "reason": ""}, "-100"),
    ],
)
def test_bad_lines_are_refused_with_a_message(client_for, make_user, post, message):
    client, _supervisor = client_for(Role.SUPERVISOR)
    agent = make_user(Role.AGENT)
    draft(client, agent)
    page = f"/quality/sheets/{sheet_of(agent).pk}/"
    html = client.post(page + "items/", post, follow=True).content.decode()
    assert message in html
    assert not SheetItem.objects.exists()


def test_an_empty_sheet_cannot_be_submitted_and_a_month_has_one_sheet(client_for, make_user):
    client, _supervisor = client_for(Role.SUPERVISOR)
    agent = make_user(Role.AGENT)
    draft(client, agent)
    page = f"/quality/sheets/{sheet_of(agent).pk}/"
    client.post(page + "submit/")
    assert sheet_of(agent).state == SheetState.DRAFT
    html = client.post(
        "/quality/sheets/new/", {"agent": agent.pk, "month": last_month()}, follow=True
    ).content.decode()
    assert f"{last_month()} 评分表已存在" in html
    assert RewardPenaltySheet.objects.filter(agent=agent).count() == 1


def test_an_agent_sees_only_their_own_approved_sheets(client_for, make_user):
    agent_client, agent = client_for(Role.AGENT)
    other = make_user(Role.AGENT)
    supervisor = make_user(Role.SUPERVISOR)
    month = timezone.localdate().replace(day=1)
    mine = RewardPenaltySheet.objects.create(
        agent=agent, month=month, drafted_by=supervisor, state=SheetState.APPROVED
    )
    draft_of_mine = RewardPenaltySheet.objects.create(
        agent=agent, month=month - dt.timedelta(days=40), drafted_by=supervisor
    )
    theirs = RewardPenaltySheet.objects.create(
        agent=other, month=month, drafted_by=supervisor, state=SheetState.APPROVED
    )
    html = agent_client.get("/quality/sheets/").content.decode()
    assert f'data-testid="sheet-{mine.pk}"' in html
    assert f'data-testid="sheet-{theirs.pk}"' not in html
    assert f'data-testid="sheet-{draft_of_mine.pk}"' not in html
    assert agent_client.get(f"/quality/sheets/{theirs.pk}/").status_code == 404
    assert agent_client.get(f"/quality/sheets/{draft_of_mine.pk}/").status_code == 404


def test_points_become_amounts_fixed_when_the_sheet_is_approved(client_for, make_user):
    from kefu.quality.models import QualitySettings

    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    manager_client, _manager = client_for(Role.MANAGER)
    agent = make_user(Role.AGENT)
    QualitySettings.objects.update_or_create(pk=1, defaults={"fen_per_point": 550})  # ¥5.50
    draft(supervisor_client, agent)
    sheet = sheet_of(agent)
    page = f"/quality/sheets/{sheet.pk}/"
    supervisor_client.post(page + "items/", {"points": "5", "reason": "顾客表扬信"})
    supervisor_client.post(page + "items/", {"points": "-8", "reason": "服务禁语"})
    html = supervisor_client.get(page).content.decode()
    assert "每分 5.50 元" in html and ">27.50<" in html and ">-44.00<" in html
    assert 'data-testid="total-amount">-16.50<' in html
    supervisor_client.post(page + "submit/")
    manager_client.post(page + "decide/", {"decision": "approve"})
    assert sheet_of(agent).fen_per_point == 550
    # a later rate leaves the approved sheet as paid; a new draft takes the new rate
    QualitySettings.objects.filter(pk=1).update(fen_per_point=1000)
    assert 'data-testid="total-amount">-16.50<' in manager_client.get(page).content.decode()
    from kefu.quality.tests.test_api import api_for

    [out] = api_for(agent).get(f"/api/v1/quality/reward-sheets?month={last_month()}").json()
    assert (out["points"], out["fen_per_point"], out["amount_fen"]) == (-3, 550, -1650)
    # the rate is the manager's setting, refused out of range with nothing changed
    settings = {
        "random_percent": 5,
        "low_rating_max": 2,
        "new_agent_days": 7,
        "appeal_days": 3,
        "fen_per_point": "2000000",
    }
    manager_client.post("/quality/rubric/sampling/", settings)
    assert QualitySettings.objects.get(pk=1).fen_per_point == 1000
    manager_client.post("/quality/rubric/sampling/", {**settings, "fen_per_point": "800"})
    assert QualitySettings.objects.get(pk=1).fen_per_point == 800


def test_the_months_sheets_in_excel_for_payroll(client_for, make_user):
    from kefu.accounts.models import AgentProfile, AuditAction, AuditEntry
    from kefu.quality.models import QualitySettings
    from tests.factories import TeamFactory
    from tests.spreadsheets import xlsx_rows

    supervisor_client, supervisor = client_for(Role.SUPERVISOR)
    manager = make_user(Role.MANAGER, display_name="周经理")
    QualitySettings.objects.update_or_create(pk=1, defaults={"fen_per_point": 1000})
    agent = make_user(Role.AGENT, username="lina", display_name="李娜")
    AgentProfile.objects.get_or_create(user=agent)[0].teams.add(TeamFactory(name="售前组"))
    month = dt.date.fromisoformat(f"{last_month()}-01")
    sheet = RewardPenaltySheet.objects.create(
        agent=agent,
        month=month,
        drafted_by=supervisor,
        decided_by=manager,
        state=SheetState.APPROVED,
        fen_per_point=250,
    )
    SheetItem.objects.create(sheet=sheet, points=-1, reason="=HYPERLINK(1)")
    SheetItem.objects.create(sheet=sheet, points=6, reason="表扬信")
    listing = supervisor_client.get(f"/quality/sheets/?month={last_month()}").content.decode()
    assert f"/quality/sheets/export/?month={last_month()}" in listing
    response = supervisor_client.get(f"/quality/sheets/export/?month={last_month()}")
    assert response.status_code == 200
    rows = xlsx_rows(response)
    assert "奖励分" in [str(c) for c in rows[0]] or "奖励分" in str(rows[:3])
    body = next(r for r in rows if "lina" in r)
    assert body[0] == last_month() and "李娜" in body
    at = body.index("lina")  # 工号, 姓名, 部门, 班组, then the points and the amounts
    department = agent.department.name
    assert body[at : at + 9] == ["lina", "李娜", department, "售前组", 6, -1, 5, "2.50", "12.50"]
    assert body[-1] == "'=HYPERLINK(1)（-1）；表扬信（+6）"  # a formula is written as text
    # under the rows, the line signed on paper: prepared by, approved by, the date
    signed = [c for c in rows[-1] if c is not None]
    assert signed[:4] == ["制表人", str(supervisor), "批准人", "周经理"]
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()
    agent_client, _agent = client_for(Role.AGENT)
    assert agent_client.get(f"/quality/sheets/export/?month={last_month()}").status_code == 403
