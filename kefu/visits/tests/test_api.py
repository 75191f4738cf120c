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
