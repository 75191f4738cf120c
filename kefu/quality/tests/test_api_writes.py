"""The API writes of quality (issue 14 item 8) do what the pages do, for the same people: each
write is tried by every role through the page and through the API, on two equal sets of objects;
both change the object or neither does, a sheet the role may not see is 404 on both. Then what
the API answers."""

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from conftest import sign_in
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.quality.models import (
    Leave,
    PerformanceSheet,
    PerformanceState,
    RewardPenaltySheet,
    RosterEntry,
    RuleKind,
    SheetItem,
    SheetState,
)
from kefu.quality.services.roster import ensure_shifts, week_start
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

A, M, S, G, Q, D = (
    Role.ADMINISTRATOR,
    Role.MANAGER,
    Role.SUPERVISOR,
    Role.AGENT,
    Role.INSPECTOR,
    Role.DEPARTMENT_STAFF,
)
BOSSES = {A, M, S}


def world(actor, n: int) -> SimpleNamespace:
    """The objects each write acts on; `n` keeps two worlds of the same agent apart."""
    agent = actor if actor.role == G else UserFactory.create(role=G)
    drafter = UserFactory.create(role=S)
    now = timezone.now()
    perf = PerformanceSheet.objects.create(
        agent=agent, month=dt.date(2025, 1 + n, 1), figures=[], computed_at=now
    )
    signed = PerformanceSheet.objects.create(
        agent=agent,
        month=dt.date(2025, 3 + n, 1),
        figures=[],
        computed_at=now,
        state=PerformanceState.SIGNED,
        signed_by=drafter,
        signed_at=now,
    )
    draft = RewardPenaltySheet.objects.create(agent=agent, month=dt.date(2025, 5 + n, 1))
    SheetItem.objects.create(sheet=draft, points=-2, reason="超时", rule=RuleKind.TIME_LIMIT)
    submitted = RewardPenaltySheet.objects.create(
        agent=agent, month=dt.date(2025, 7 + n, 1), drafted_by=drafter, state=SheetState.SUBMITTED
    )
    SheetItem.objects.create(sheet=submitted, points=3, reason="好评")
    monday = week_start(timezone.localdate()) + dt.timedelta(days=7 * (n + 1))
    return SimpleNamespace(
        agent=agent,
        perf=perf,
        signed=signed,
        draft=draft,
        submitted=submitted,
        monday=monday,
        shift=ensure_shifts()[0],
        leave_day=dt.date(2026, 2, 2 + 3 * n),
    )


def _state(model, pk):
    return model.objects.get(pk=pk).state


# name → (page request, API request, did it change?, who may)
WRITES = {
    "sign": (
        lambda w: ("post", f"/quality/performance/{w.perf.pk}/sign/", {"comment": "好"}),
        lambda w: ("post", f"/api/v1/quality/performance/{w.perf.pk}/sign", {"comment": "好"}),
        lambda w: _state(PerformanceSheet, w.perf.pk) == PerformanceState.SIGNED,
        BOSSES,
    ),
    "acknowledge": (
        lambda w: ("post", f"/quality/performance/{w.signed.pk}/acknowledge/", {}),
        lambda w: ("post", f"/api/v1/quality/performance/{w.signed.pk}/acknowledge", {}),
        lambda w: _state(PerformanceSheet, w.signed.pk) == PerformanceState.ACKNOWLEDGED,
        {G},
    ),
    "submit": (
        lambda w: ("post", f"/quality/sheets/{w.draft.pk}/submit/", {}),
        lambda w: ("post", f"/api/v1/quality/reward-sheets/{w.draft.pk}/submit", {}),
        lambda w: _state(RewardPenaltySheet, w.draft.pk) == SheetState.SUBMITTED,
        BOSSES,
    ),
    "approve": (
        lambda w: ("post", f"/quality/sheets/{w.submitted.pk}/decide/", {"decision": "approve"}),
        lambda w: (
            "post",
            f"/api/v1/quality/reward-sheets/{w.submitted.pk}/decide",
            {"decision": "approve"},
        ),
        lambda w: _state(RewardPenaltySheet, w.submitted.pk) == SheetState.APPROVED,
        {A, M},
    ),
    "roster": (
        lambda w: (
            "post",
            f"/quality/roster/?week={w.monday.isoformat()}",
            {f"cell-{w.agent.pk}-{w.monday:%Y%m%d}": str(w.shift.pk)},
        ),
        lambda w: (
            "put",
            f"/api/v1/quality/roster/weeks/{w.monday.isoformat()}",
            {
                "cells": [
                    {"agent_id": w.agent.pk, "day": w.monday.isoformat(), "shift_ids": [w.shift.pk]}
                ]
            },
        ),
        lambda w: RosterEntry.objects.filter(agent=w.agent, day=w.monday).exists(),
        BOSSES,
    ),
    "leave": (
        lambda w: (
            "post",
            "/quality/roster/leave/",
            {"agent": w.agent.pk, "first_day": w.leave_day, "last_day": w.leave_day},
        ),
        lambda w: (
            "post",
            "/api/v1/quality/leaves",
            {
                "agent_id": w.agent.pk,
                "first_day": w.leave_day.isoformat(),
                "last_day": w.leave_day.isoformat(),
            },
        ),
        lambda w: Leave.objects.filter(agent=w.agent, first_day=w.leave_day).exists(),
        BOSSES,
    ),
}


@pytest.mark.parametrize("name", list(WRITES))
@pytest.mark.parametrize("role", [A, M, S, G, Q, D])
def test_the_page_and_the_api_allow_the_same_people(role, name):
    page_request, api_request, changed, allowed = WRITES[name]
    actor = UserFactory.create(role=role)
    client = sign_in(Client(), actor)
    on_page, through_api = world(actor, 0), world(actor, 1)
    method, url, data = page_request(on_page)
    page = getattr(client, method)(url, data)
    method, url, data = api_request(through_api)
    api = getattr(client, method)(url, data=json.dumps(data), content_type="application/json")
    assert changed(on_page) == changed(through_api) == (role in allowed), (page, api.content)
    assert (page.status_code == 404) == (api.status_code == 404)
    if role in allowed:
        assert api.status_code in {200, 201}, api.content
    else:
        assert api.status_code in {403, 404}, api.content


def api_client(user) -> Client:
    return sign_in(Client(), user)


def call(client, method, url, body=None):
    return getattr(client, method)(
        url, data=json.dumps(body or {}), content_type="application/json"
    )


def test_a_supervisor_adjusts_submits_and_a_manager_approves_through_the_api():
    supervisor = UserFactory.create(role=S)
    manager = UserFactory.create(role=M)
    w = world(supervisor, 0)
    boss, chief = api_client(supervisor), api_client(manager)
    [item] = w.draft.items.all()
    out = call(
        boss,
        "put",
        f"/api/v1/quality/reward-sheets/{w.draft.pk}/items/{item.pk}",
        {"points": -1, "reason": "一张系客户原因", "version": 1},
    )
    assert out.status_code == 200, out.content
    body = out.json()
    assert body["items"] == [
        {
            "id": item.pk,
            "points": -1,
            "reason": "一张系客户原因",
            "rule": "time_limit",
            "rule_points": None,
        }
    ]
    assert body["points"] == -1 and body["version"] == 2
    stale = call(boss, "post", f"/api/v1/quality/reward-sheets/{w.draft.pk}/submit", {"version": 1})
    assert stale.status_code == 409 and _state(RewardPenaltySheet, w.draft.pk) == SheetState.DRAFT
    assert (
        call(boss, "post", f"/api/v1/quality/reward-sheets/{w.draft.pk}/submit").status_code == 200
    )
    refused = call(
        chief, "post", f"/api/v1/quality/reward-sheets/{w.draft.pk}/decide", {"decision": "return"}
    )
    assert refused.status_code == 400  # a return needs its reason
    approved = call(
        chief, "post", f"/api/v1/quality/reward-sheets/{w.draft.pk}/decide", {"decision": "approve"}
    ).json()
    assert approved["state"] == "approved" and approved["fen_per_point"] == 1000
    locked = call(
        boss,
        "put",
        f"/api/v1/quality/reward-sheets/{w.draft.pk}/items/{item.pk}",
        {"points": -9, "reason": "改"},
    )
    assert locked.status_code == 400
    assert SheetItem.objects.get(pk=item.pk).points == -1


def test_signing_and_acknowledging_through_the_api_are_audited_as_on_the_page():
    supervisor = UserFactory.create(role=S)
    w = world(supervisor, 0)
    signed = call(
        api_client(supervisor),
        "post",
        f"/api/v1/quality/performance/{w.perf.pk}/sign",
        {"comment": "<script>x</script>"},
    )
    assert signed.status_code == 200
    assert (signed.json()["state"], signed.json()["comment"]) == ("signed", "<script>x</script>")
    again = call(api_client(supervisor), "post", f"/api/v1/quality/performance/{w.perf.pk}/sign")
    assert again.status_code == 400
    acknowledged = call(
        api_client(w.agent), "post", f"/api/v1/quality/performance/{w.perf.pk}/acknowledge"
    )
    assert acknowledged.json()["state"] == "acknowledged"
    steps = set(
        AuditEntry.objects.filter(action=AuditAction.QUALITY_REVIEW).values_list(
            "details__step", flat=True
        )
    )
    assert steps == {"performance_signed", "performance_acknowledged"}


def test_roster_and_leave_through_the_api_refuse_overlaps_and_bad_days_saving_nothing():
    supervisor = UserFactory.create(role=S)
    w = world(supervisor, 0)
    client = api_client(supervisor)
    early, middle = ensure_shifts()[0], ensure_shifts()[1]
    url = f"/api/v1/quality/roster/weeks/{(w.monday + dt.timedelta(days=2)).isoformat()}"
    cell = {"agent_id": w.agent.pk, "day": w.monday.isoformat()}
    saved = call(client, "put", url, {"cells": [{**cell, "shift_ids": [early.pk]}]})
    assert saved.status_code == 200
    assert saved.json()["changed"] == 1
    assert [e["shift_name"] for e in saved.json()["entries"]] == ["早班"]
    overlap = call(client, "put", url, {"cells": [{**cell, "shift_ids": [early.pk, middle.pk]}]})
    assert overlap.status_code == 400 and "早班" in overlap.json()["detail"]  # names the shifts
    assert RosterEntry.objects.filter(agent=w.agent).count() == 1
    outside = {**cell, "day": (w.monday + dt.timedelta(days=7)).isoformat(), "shift_ids": []}
    assert call(client, "put", url, {"cells": [outside]}).status_code == 400
    assert (
        call(client, "put", "/api/v1/quality/roster/weeks/9999-01-04", {"cells": []}).status_code
        == 400
    )

    leave = {"agent_id": w.agent.pk, "first_day": "2026-03-05", "last_day": "2026-03-02"}
    assert call(client, "post", "/api/v1/quality/leaves", leave).status_code == 400
    made = call(client, "post", "/api/v1/quality/leaves", {**leave, "last_day": "2026-03-06"})
    assert made.status_code == 201
    assert made.json()["first_day"] == "2026-03-05"
    assert (
        call(
            client, "post", "/api/v1/quality/leaves", {**leave, "last_day": "2026-03-06"}
        ).status_code
        == 400
    )
    assert Leave.objects.filter(agent=w.agent).count() == 1
    gone = call(client, "delete", f"/api/v1/quality/leaves/{made.json()['id']}")
    assert gone.json() == {"id": made.json()["id"], "cancelled": True}
    assert not Leave.objects.filter(agent=w.agent).exists()


def test_drafting_from_the_rules_through_the_api():
    from kefu.quality.tests.test_performance import closed_ticket

    supervisor = UserFactory.create(role=S)
    agent = UserFactory.create(role=G)
    closed_ticket(agent, breached=True)
    month = timezone.localdate().strftime("%Y-%m")
    client = api_client(supervisor)
    out = call(client, "post", f"/api/v1/quality/reward-sheets/drafts?month={month}")
    assert out.json() == {"made": 1, "refreshed": 0, "kept": 0}
    assert (
        call(client, "post", "/api/v1/quality/reward-sheets/drafts?month=2026-13").status_code
        == 400
    )
    assert (
        call(
            api_client(agent), "post", f"/api/v1/quality/reward-sheets/drafts?month={month}"
        ).status_code
        == 403
    )
