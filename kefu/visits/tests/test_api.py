"""The visits API: plans, today's tasks, the record (complete or refused), the figures; per role."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kefu.accounts.roles import Role
from kefu.customers.models import Customer, Level
from kefu.visits import services
from kefu.visits.models import ReturnVisit, VisitRecord

pytestmark = pytest.mark.django_db


def api(client, method, url, body=None):
    kwargs = (
        {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    )
    return getattr(client, method)(f"/api/v1{url}", **kwargs)


def test_the_visits_api(client_for, make_user):
    client, agent = client_for(Role.AGENT)
    other_client, _other = client_for(Role.AGENT)
    sup_client, supervisor = client_for(Role.SUPERVISOR)
    customer = Customer.objects.create(name="黄伟", level=Level.MEMBER)
    plan = services.create_campaign(
        actor=supervisor,
        title="会员回访",
        purpose="满意度回访",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    visit = ReturnVisit.objects.create(
        campaign=plan,
        customer=customer,
        assignee=agent,
        scheduled_at=dt.datetime(2026, 1, 5, 1, tzinfo=dt.UTC),
        due_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
    )
    assert api(client, "get", "/visits/plans").status_code == 403
    listed = api(sup_client, "get", "/visits/plans").json()
    assert [p["number"] for p in listed["items"]] == [plan.number]
    assert api(sup_client, "get", f"/visits/plans/{plan.pk}").json()["state"] == "draft"
    today = api(client, "get", "/visits/today").json()["items"]
    assert [v["id"] for v in today] == [visit.pk]
    assert api(other_client, "get", f"/visits/tasks/{visit.pk}").status_code == 404
    refused = api(client, "post", f"/visits/tasks/{visit.pk}/record", {"reached": True})
    assert refused.status_code == 400
    assert not VisitRecord.objects.exists()
    assert (
        api(
            other_client,
            "post",
            f"/visits/tasks/{visit.pk}/record",
            {"reached": True, "satisfaction": "satisfied"},
        ).status_code
        == 404
    )
    saved = api(
        client,
        "post",
        f"/visits/tasks/{visit.pk}/record",
        {"reached": True, "satisfaction": "satisfied", "suggestions": "<b>好</b>"},
    )
    assert saved.status_code == 201
    assert saved.json()["satisfaction"] == "satisfied"
    assert (
        api(client, "get", f"/visits/tasks/{visit.pk}/record").json()["suggestions"] == "<b>好</b>"
    )
    assert api(client, "get", "/visits/figures?start=2026-01-01&end=2099-12-31").status_code == 403
    figures = api(sup_client, "get", "/visits/figures?start=2026-01-01&end=2026-12-31")
    assert figures.status_code == 200
    assert (
        api(sup_client, "get", "/visits/figures?start=2026-02-01&end=2026-01-01").status_code == 400
    )
    schema = api(sup_client, "get", "/openapi.json").json()
    assert "/api/v1/visits/tasks/{visit_id}/record" in schema["paths"]


def test_a_plan_drafted_previewed_approved_issued_and_its_tasks_moved_through_the_api(
    client_for, make_user, django_capture_on_commit_callbacks
):
    """The API's writes are the pages' services: the drafter may not approve their own plan, an
    agent may not draft, approve, issue or move (403), a plan or task of nobody's business is 404,
    a task moved to an agent outside the plan's team is refused whole (422, nothing moved)."""
    from kefu.accounts.models import AgentProfile, Department, Team
    from kefu.visits.models import VisitCampaign

    sup_client, _supervisor = client_for(Role.SUPERVISOR)
    boss_client, _manager = client_for(Role.MANAGER)
    agent_client, agent = client_for(Role.AGENT)
    department = Department.objects.create(code="members", name="会员服务部")
    team = Team.objects.create(name="会员组", department=department)
    outsider = make_user(Role.AGENT, display_name="外组小刘")
    colleague = make_user(Role.AGENT, display_name="同组小陈")
    for member in (agent, colleague):
        AgentProfile.objects.get_or_create(user=member)[0].teams.add(team)
    for n in range(3):
        Customer.objects.create(name=f"会员{n}", level=Level.MEMBER, mobile=f"+861380013800{n}")
    Customer.objects.create(name="普通客户", level=Level.REGULAR)
    body = {
        "title": "十二月会员回访",
        "purpose": "满意度回访",
        "period_start": "2026-12-01",
        "period_end": "2026-12-31",
        "team_id": team.pk,
        "rules": {"levels": ["member"]},
    }

    assert api(agent_client, "post", "/visits/plans", body).status_code == 403
    refused = api(sup_client, "post", "/visits/plans", {**body, "rules": {"levels": ["gold"]}})
    assert refused.status_code == 400 and "会员等级" in refused.json()["detail"]
    made = api(sup_client, "post", "/visits/plans", body)
    assert made.status_code == 201, made.content
    plan = made.json()
    assert (plan["state"], plan["rules"]) == ("draft", {"levels": ["member"]})
    preview = api(sup_client, "get", f"/visits/plans/{plan['id']}/preview").json()
    assert (preview["total"], preview["kept"]) == (3, 3)
    assert api(agent_client, "get", f"/visits/plans/{plan['id']}/preview").status_code == 403
    assert api(sup_client, "get", "/visits/plans/999999/preview").status_code == 404

    # the draft changed through the API: the whole plan again with the version read
    assert plan["version"] == VisitCampaign.objects.get(pk=plan["id"]).version
    edit = {**body, "title": "十二月会员关怀回访", "version": plan["version"]}
    assert api(agent_client, "put", f"/visits/plans/{plan['id']}", edit).status_code == 403
    assert api(sup_client, "put", "/visits/plans/999999", edit).status_code == 404
    bad = api(sup_client, "put", f"/visits/plans/{plan['id']}", {**edit, "title": "  "})
    assert bad.status_code == 400
    edited = api(sup_client, "put", f"/visits/plans/{plan['id']}", edit)
    assert edited.status_code == 200, edited.content
    assert (edited.json()["title"], edited.json()["version"]) == (
        "十二月会员关怀回访",
        plan["version"] + 1,
    )
    stale_edit = api(sup_client, "put", f"/visits/plans/{plan['id']}", {**edit, "title": "旧的"})
    assert stale_edit.status_code == 409
    assert VisitCampaign.objects.get(pk=plan["id"]).title == "十二月会员关怀回访"

    version = VisitCampaign.objects.get(pk=plan["id"]).version
    stale = api(sup_client, "post", f"/visits/plans/{plan['id']}/submit", {"version": version + 5})
    assert stale.status_code == 409
    submitted = api(sup_client, "post", f"/visits/plans/{plan['id']}/submit", {})
    assert submitted.json()["state"] == "submitted" and submitted.json()["selected_count"] == 3
    own = api(sup_client, "post", f"/visits/plans/{plan['id']}/decide", {"approve": True})
    assert own.status_code == 403  # not the drafter
    assert (
        api(
            agent_client, "post", f"/visits/plans/{plan['id']}/decide", {"approve": True}
        ).status_code
        == 403
    )
    no_reason = api(boss_client, "post", f"/visits/plans/{plan['id']}/decide", {"approve": False})
    assert no_reason.status_code == 400
    approved = api(boss_client, "post", f"/visits/plans/{plan['id']}/decide", {"approve": True})
    assert approved.json()["state"] == "approved"
    approved_edit = {**edit, "version": approved.json()["version"]}
    refused_edit = api(sup_client, "put", f"/visits/plans/{plan['id']}", approved_edit)
    assert refused_edit.status_code in (400, 409) and refused_edit.json()["detail"]
    assert VisitCampaign.objects.get(pk=plan["id"]).state == "approved"
    assert api(agent_client, "post", f"/visits/plans/{plan['id']}/issue", {}).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):  # the worker's task, here
        issued = api(sup_client, "post", f"/visits/plans/{plan['id']}/issue", {})
    assert issued.status_code == 202
    assert VisitCampaign.objects.get(pk=plan["id"]).state == "issued"
    tasks = list(ReturnVisit.objects.filter(campaign_id=plan["id"]).order_by("id"))
    assert len(tasks) == 3 and {t.assignee_id for t in tasks} <= {agent.pk, colleague.pk}
    ids = [t.pk for t in tasks]
    before = list(ReturnVisit.objects.order_by("id").values_list("assignee_id", flat=True))

    move = {"visit_ids": ids, "agent_id": outsider.pk}
    assert api(agent_client, "post", "/visits/tasks/move", move).status_code == 403
    other_team = api(sup_client, "post", "/visits/tasks/move", move)
    assert other_team.status_code == 422
    (error,) = other_team.json()["errors"]
    assert error["loc"] == ["body", "agent_id"]
    assert "外组小刘" in error["msg"] and "会员组" in error["msg"]
    assert (
        api(sup_client, "post", "/visits/tasks/move", {**move, "visit_ids": [999999]}).status_code
        == 400
    )
    assert list(ReturnVisit.objects.order_by("id").values_list("assignee_id", flat=True)) == before
    moved = api(sup_client, "post", "/visits/tasks/move", {**move, "agent_id": colleague.pk})
    assert moved.json() == {"moved": 3}
    assert set(ReturnVisit.objects.values_list("assignee_id", flat=True)) == {colleague.pk}

    # the colleague's task by id: not the agent's business (404), nothing recorded
    refused = api(
        agent_client,
        "post",
        f"/visits/tasks/{ids[0]}/record",
        {"reached": True, "satisfaction": "satisfied"},
    )
    assert refused.status_code == 404 and not VisitRecord.objects.exists()
    assert api(agent_client, "post", f"/visits/plans/{plan['id']}/close").status_code == 403
    closed = api(sup_client, "post", f"/visits/plans/{plan['id']}/close")
    assert closed.json()["state"] == "closed"
    assert set(ReturnVisit.objects.values_list("state", flat=True)) == {"cancelled"}


def test_a_holiday_care_campaign_through_the_api_leaves_the_opted_out_out(client_for):
    """关怀 through the API as on the care page: previewed (who is left out and why), scheduled
    for the festival outside quiet hours; the customer who opted out (退订) gets nothing."""
    from kefu.customers.models import ConsentPurpose, ConsentSource
    from kefu.customers.services.consent import record_consent
    from kefu.sms.models import SmsTemplate
    from kefu.visits.models import CareMessage, CareState
    from kefu.visits.services import care

    SmsTemplate.objects.create(
        code="care_holiday", name="节日关怀", body="{name}您好，{holiday}快乐！"
    )
    sup_client, _supervisor = client_for(Role.SUPERVISOR)
    agent_client, _agent = client_for(Role.AGENT)
    kept = Customer.objects.create(name="愿意", mobile="+8613800138001")
    opted_out = Customer.objects.create(name="退订了", mobile="+8613800138002")
    for who, given in ((kept, True), (opted_out, False)):
        record_consent(
            actor=None,
            customer_id=who.pk,
            purpose=ConsentPurpose.CARE,
            given=given,
            source=ConsentSource.SMS_REPLY if not given else ConsentSource.IMPORT,
        )
    day, _name = care.coming_holidays()[0]
    body = {"kind": "holiday", "occasion": day.isoformat(), "send_time": "12:30"}

    assert api(agent_client, "post", "/visits/care/preview", body).status_code == 403
    assert api(agent_client, "post", "/visits/care", body).status_code == 403
    preview = api(sup_client, "post", "/visits/care/preview", body).json()
    assert (preview["scheduled"], preview["skipped"]) == (1, preview["selected"] - 1)
    assert any("退订了" in left["names"] for left in preview["left_out"])
    assert not CareMessage.objects.exists()
    not_a_holiday = api(sup_client, "post", "/visits/care", {**body, "occasion": "2027-03-03"})
    assert not_a_holiday.status_code == 400
    scheduled = api(sup_client, "post", "/visits/care", body)
    assert scheduled.status_code == 201
    assert scheduled.json()["scheduled"] == 1
    message = CareMessage.objects.get(customer=kept)
    assert message.state == CareState.SCHEDULED
    local = message.scheduled_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert local.time() == dt.time(14, 0)  # 12:30 is in the midday quiet hours
    assert CareMessage.objects.get(customer=opted_out).state == CareState.SKIPPED
    unknown = api(sup_client, "post", "/visits/care", {**body, "kind": "lottery"})
    assert unknown.status_code == 400
