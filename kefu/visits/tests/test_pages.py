"""The pages of return visits, per role: who gets 200, who 403 or 404, and the journey through the
forms (a manager approves, a supervisor issues, an agent records)."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.accounts.roles import Role
from kefu.customers.models import Customer, Level
from kefu.visits import services
from kefu.visits.models import CampaignState, ReturnVisit, VisitCampaign, VisitRecord

pytestmark = pytest.mark.django_db


def _plan(actor, **kwargs):
    return services.create_campaign(
        actor=actor,
        title="会员回访",
        purpose="满意度回访",
        period_start=dt.date(2026, 12, 1),
        period_end=dt.date(2026, 12, 31),
        rules={"levels": ["member"]},
        **kwargs,
    )


@pytest.mark.parametrize(
    ("role", "today", "plans", "rules"),
    [
        (Role.AGENT, 200, 403, 403),
        (Role.SUPERVISOR, 200, 200, 403),
        (Role.MANAGER, 200, 200, 200),
        (Role.ADMINISTRATOR, 200, 200, 200),
        (Role.INSPECTOR, 403, 403, 403),
        (Role.DEPARTMENT_STAFF, 403, 403, 403),
    ],
)
def test_who_opens_which_page(client_for, role, today, plans, rules):
    client, _user = client_for(role)
    assert client.get("/visits/").status_code == today
    assert client.get("/visits/plans/").status_code == plans
    assert client.get("/visits/rules/").status_code == rules


def test_the_pages_speak_chinese(client_for):
    client, _user = client_for(Role.SUPERVISOR)
    assert "我的今日回访" in client.get("/visits/").content.decode()
    assert "回访计划" in client.get("/visits/plans/").content.decode()


def test_an_agent_cannot_open_a_plan_or_anothers_visit(client_for, make_user):
    supervisor = make_user(Role.SUPERVISOR)
    owner = make_user(Role.AGENT)
    Customer.objects.create(name="张三", level=Level.MEMBER, owner=owner)
    made = _plan(supervisor)
    client, _agent = client_for(Role.AGENT)
    assert client.get(f"/visits/plans/{made.pk}/").status_code == 403
    visit = ReturnVisit.objects.create(
        customer=Customer.objects.get(),
        assignee=owner,
        scheduled_at=dt.datetime(2026, 12, 7, 1, tzinfo=dt.UTC),
        due_at=dt.datetime(2026, 12, 31, tzinfo=dt.UTC),
    )
    assert client.get(f"/visits/{visit.pk}/").status_code == 404
    response = client.post(f"/visits/{visit.pk}/", {"reached": "yes", "satisfaction": "satisfied"})
    assert response.status_code == 404
    assert not VisitRecord.objects.exists()
    assert client.get("/visits/999999/").status_code == 404


def test_a_plan_through_its_pages(client_for, make_user, django_capture_on_commit_callbacks):
    Customer.objects.create(name="<script>alert(1)</script>", level=Level.MEMBER)
    sup_client, _supervisor = client_for(Role.SUPERVISOR)
    agent = make_user(Role.AGENT)
    response = sup_client.post(
        "/visits/plans/new/",
        {
            "title": "十二月会员回访",
            "purpose": "满意度回访",
            "channel": "phone",
            "period_start": "2026-12-01",
            "period_end": "2026-12-31",
            "planned_count": "0",
            "levels": ["member"],
        },
    )
    made = VisitCampaign.objects.get()
    assert response.status_code == 302
    page = sup_client.get(f"/visits/plans/{made.pk}/").content.decode()
    assert 'data-testid="preview-total">1<' in page
    sup_client.post(f"/visits/plans/{made.pk}/submit/", {"version": made.version + 0})
    made.refresh_from_db()
    assert made.state == CampaignState.SUBMITTED
    # the drafter cannot approve
    assert (
        sup_client.post(f"/visits/plans/{made.pk}/decide/", {"decision": "approve"}).status_code
        == 302
    )
    assert VisitCampaign.objects.get().state == CampaignState.SUBMITTED
    man_client, _manager = client_for(Role.MANAGER)
    man_client.post(f"/visits/plans/{made.pk}/decide/", {"decision": "approve"})
    assert VisitCampaign.objects.get().state == CampaignState.APPROVED
    with django_capture_on_commit_callbacks(execute=True):
        sup_client.post(f"/visits/plans/{made.pk}/issue/")
    made.refresh_from_db()
    assert made.state == CampaignState.ISSUED and made.issued_count == 1
    visit = ReturnVisit.objects.get()
    assert visit.assignee == agent
    page = sup_client.get(f"/visits/plans/{made.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


def test_an_agent_records_a_visit_through_the_form(client_for, make_user):
    client, agent = client_for(Role.AGENT)
    customer = Customer.objects.create(name="李四", level=Level.MEMBER)
    visit = ReturnVisit.objects.create(
        customer=customer,
        assignee=agent,
        scheduled_at=dt.datetime(2026, 1, 7, 1, tzinfo=dt.UTC),
        due_at=dt.datetime(2099, 12, 31, tzinfo=dt.UTC),
    )
    assert "李四" in client.get("/visits/").content.decode()
    page = client.get(f"/visits/{visit.pk}/").content.decode()
    assert 'data-testid="script-text"' in page and "李" in page
    # incomplete: a clear Chinese error, nothing saved
    response = client.post(f"/visits/{visit.pk}/", {"reached": "yes"})
    assert response.status_code == 400
    assert "请记录客户是否满意" in response.content.decode()
    assert not VisitRecord.objects.exists()
    response = client.post(
        f"/visits/{visit.pk}/",
        {"reached": "yes", "satisfaction": "dissatisfied", "service_opinion": "态度差"},
    )
    assert response.status_code == 302
    page = client.get(f"/visits/{visit.pk}/").content.decode()
    assert 'data-testid="open-complaint"' in page
    response = client.post(f"/visits/{visit.pk}/complaint/")
    record = VisitRecord.objects.get()
    assert record.complaint is not None
    assert response.url == f"/tickets/{record.complaint_id}/"


def test_the_workbench_shows_my_visits(client_for):
    client, agent = client_for(Role.AGENT)
    customer = Customer.objects.create(name="王五", level=Level.MEMBER)
    ReturnVisit.objects.create(
        customer=customer,
        assignee=agent,
        scheduled_at=dt.datetime(2026, 12, 1, 1, tzinfo=dt.UTC),
        due_at=dt.datetime(2026, 12, 2, tzinfo=dt.UTC),
    )
    page = client.get("/").content.decode()
    assert 'data-testid="card-my-visits"' in page and "王五" in page
    assert 'data-testid="card-overdue"' in page


def test_the_workbench_shows_the_planner_the_members_coverage_against_the_target(client_for):
    """三个必保's coverage as progress: a supervisor's card says how many members were visited this
    month against the target (red below it); an agent's card has no coverage."""
    client, supervisor = client_for(Role.SUPERVISOR)
    members = [Customer.objects.create(name=f"会员{i}", level=Level.MEMBER) for i in range(4)]
    Customer.objects.create(name="普通客户", level=Level.REGULAR)  # not counted
    visit = ReturnVisit.objects.create(
        customer=members[0],
        assignee=supervisor,
        scheduled_at=dt.datetime(2026, 12, 1, 1, tzinfo=dt.UTC),
        due_at=dt.datetime(2026, 12, 2, tzinfo=dt.UTC),
    )
    services.record_visit(
        actor=supervisor, visit_id=visit.pk, reached=True, satisfaction="satisfied"
    )
    card = (
        client.get("/").content.decode().split('data-testid="coverage"')[1].split("</div></div>")[0]
    )
    assert "本月会员回访覆盖率：25%（目标 80%）" in card
    assert "bg-orange" in card and 'style="width: 25%"' in card
    agent_client, _agent = client_for(Role.AGENT)
    assert 'data-testid="coverage"' not in agent_client.get("/").content.decode()


def test_the_plans_range_reads_in_chinese_on_its_page(client_for, make_user):
    from kefu.customers.models import Tag

    client, supervisor = client_for(Role.SUPERVISOR)
    owner = make_user(Role.AGENT, display_name="李娜")
    tag = Tag.objects.create(name="续卡<b>")
    made = _plan(supervisor)
    services.update_campaign(
        actor=supervisor,
        campaign_id=made.pk,
        title=made.title,
        purpose=made.purpose,
        period_start=made.period_start,
        period_end=made.period_end,
        channel=made.channel,
        rules={
            "levels": ["member", "vip"],
            "owner_id": owner.pk,
            "tag_id": tag.pk,
            "no_contact_days": 30,
            "birthday_in_period": True,
        },
    )
    page = client.get(f"/visits/plans/{made.pk}/").content.decode()
    shown = page.split('data-testid="rules"')[1].split("</dd>")[0]
    for text in (
        "会员等级：会员、VIP",
        "负责客服：李娜",
        "标签：续卡&lt;b&gt;",
        "超过多少天未联系：30",
        "生日在本期内：是",
    ):
        assert text in shown
    assert "owner_id" not in shown and "levels" not in shown


def test_the_rules_page_saves_quiet_hours(client_for):
    client, _manager = client_for(Role.MANAGER)
    response = client.post(
        "/visits/rules/",
        {
            "quiet_hours": "12:00-14:00, 22:00-08:00",
            "member_coverage_percent": "90",
            "days_after_complaint": "3",
        },
    )
    assert response.status_code == 302
    from kefu.visits.selectors import rules

    assert rules().quiet_hours == [["12:00", "14:00"], ["22:00", "08:00"]]
    response = client.post(
        "/visits/rules/",
        {"quiet_hours": "午饭", "member_coverage_percent": "90", "days_after_complaint": "3"},
    )
    assert response.status_code == 200
    assert rules().quiet_hours == [["12:00", "14:00"], ["22:00", "08:00"]]


@pytest.mark.parametrize(
    "action",
    ["submit", "decide", "issue", "close", "move", "edit"],
)
@pytest.mark.parametrize("role", [Role.AGENT, Role.INSPECTOR, Role.DEPARTMENT_STAFF])
def test_who_may_not_plan_gets_403_on_every_write(client_for, make_user, role, action):
    supervisor = make_user(Role.SUPERVISOR)
    Customer.objects.create(name="张三", level=Level.MEMBER)
    made = _plan(supervisor)
    client, _user = client_for(role)
    response = client.post(
        f"/visits/plans/{made.pk}/{action}/", {"decision": "approve", "agent": "1", "visit": "1"}
    )
    assert response.status_code == 403
    assert VisitCampaign.objects.get().state == CampaignState.DRAFT
    assert client.post("/visits/plans/new/", {"title": "x"}).status_code == 403
    assert client.post("/visits/rules/", {"quiet_hours": "00:00-23:00"}).status_code == 403
    assert VisitCampaign.objects.count() == 1


def test_a_supervisor_may_not_change_the_rules_nor_approve_their_own_plan(client_for):
    client, supervisor = client_for(Role.SUPERVISOR)
    assert client.post("/visits/rules/", {"quiet_hours": "00:00-23:00"}).status_code == 403
    Customer.objects.create(name="张三", level=Level.MEMBER)
    made = _plan(supervisor)
    services.submit_campaign(actor=supervisor, campaign_id=made.pk)
    client.post(f"/visits/plans/{made.pk}/decide/", {"decision": "approve"})
    assert VisitCampaign.objects.get().state == CampaignState.SUBMITTED
