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
from kefu.quality import kpi
from kefu.quality.models import (
    Leave,
    PerformanceSheet,
    PerformanceState,
    RewardPenaltySheet,
    RewardRule,
    RosterEntry,
    RuleKind,
    SheetItem,
    SheetState,
    Shift,
    ShiftSwap,
    SwapState,
)
from kefu.quality.services import sheet_rules
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
    shift = ensure_shifts()[0]
    colleague = UserFactory.create(role=G)
    # the actor's own shift to give away, and an agent's swap waiting for a supervisor
    mine = RosterEntry.objects.create(
        agent=actor, day=monday + dt.timedelta(days=3), shift=ensure_shifts()[2]
    )
    theirs = RosterEntry.objects.create(agent=agent, day=monday + dt.timedelta(days=4), shift=shift)
    waiting = ShiftSwap.objects.create(entry=theirs, requested_by=agent, colleague=colleague)
    return SimpleNamespace(
        n=n,
        mine=mine,
        colleague=colleague,
        waiting=waiting,
        agent=agent,
        perf=perf,
        signed=signed,
        draft=draft,
        submitted=submitted,
        monday=monday,
        shift=shift,
        leave_day=dt.date(2026, 2, 2 + 3 * n),
    )


def _state(model, pk):
    return model.objects.get(pk=pk).state


def _audited(object_type: str, **details: object) -> bool:
    """A settings change (kept in one row for everyone) is told apart by its audit entry."""
    return AuditEntry.objects.filter(
        object_type=object_type, **{f"details__{k}": v for k, v in details.items()}
    ).exists()


def _targets_form(w) -> dict[str, object]:
    """The KPI targets page's form: the defaults, the first response target 31 + n seconds."""
    goals = kpi.targets()
    form: dict[str, object] = {}
    for key, goal in goals.items():
        form[f"target_{key}"] = 31 + w.n if key == "first_response" else goal.target
        form[f"weight_{key}"] = goal.weight
    return form


def _targets_body(w) -> dict[str, object]:
    form = _targets_form(w)
    return {
        "targets": [
            {"indicator": key, "target": form[f"target_{key}"], "weight": form[f"weight_{key}"]}
            for key in kpi.targets()
        ]
    }


def _rules_form(w) -> dict[str, object]:
    """The rules page's form: as they stand, a complaint costing 6 + n points."""
    form: dict[str, object] = {"payday": 15}
    for rule in sheet_rules.rules():
        form[f"points_{rule.kind}"] = -(6 + w.n) if rule.kind == "complaint" else rule.points
        if rule.threshold is not None:
            form[f"threshold_{rule.kind}"] = rule.threshold
        if rule.is_active:
            form[f"active_{rule.kind}"] = "on"
    return form


def _rules_body(w) -> dict[str, object]:
    form = _rules_form(w)
    return {
        "payday": 15,
        "rules": [
            {
                "kind": rule.kind,
                "points": form[f"points_{rule.kind}"],
                "threshold": form.get(f"threshold_{rule.kind}"),
                "is_active": f"active_{rule.kind}" in form,
            }
            for rule in sheet_rules.rules()
        ],
    }


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
    "kpi targets": (
        lambda w: ("post", "/quality/kpi/targets/", _targets_form(w)),
        lambda w: ("put", "/api/v1/quality/kpi-targets", _targets_body(w)),
        lambda w: _audited("quality.kpitarget", targets__first_response__target=31 + w.n),
        {A, M},
    ),
    "reward rules": (
        lambda w: ("post", "/quality/sheets/rules/", _rules_form(w)),
        lambda w: ("put", "/api/v1/quality/reward-rules", _rules_body(w)),
        lambda w: _audited("quality.rewardrule", rules__complaint__points=-(6 + w.n)),
        {A, M},
    ),
    "shift": (
        lambda w: (
            "post",
            "/quality/roster/shifts/",
            {"name": "夜班0", "start": "00:00", "end": "08:00"},
        ),
        lambda w: (
            "post",
            "/api/v1/quality/shifts",
            {"name": "夜班1", "starts": "00:00", "ends": "08:00"},
        ),
        lambda w: Shift.objects.filter(name=f"夜班{w.n}").exists(),
        BOSSES,
    ),
    "swap request": (
        lambda w: (
            "post",
            "/quality/roster/mine/swap/",
            {"entry": w.mine.pk, "colleague": w.colleague.pk},
        ),
        lambda w: (
            "post",
            "/api/v1/quality/swaps",
            {"entry_id": w.mine.pk, "colleague_id": w.colleague.pk},
        ),
        lambda w: ShiftSwap.objects.filter(entry=w.mine).exists(),
        {A, M, S, G},
    ),
    "swap decision": (
        lambda w: (
            "post",
            f"/quality/roster/swaps/{w.waiting.pk}/decide/",
            {"decision": "approve"},
        ),
        lambda w: ("post", f"/api/v1/quality/swaps/{w.waiting.pk}/decide", {"decision": "approve"}),
        lambda w: _state(ShiftSwap, w.waiting.pk) == SwapState.APPROVED,
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
    monday = [e for e in saved.json()["entries"] if e["day"] == w.monday.isoformat()]
    assert [e["shift_name"] for e in monday] == ["早班"]
    overlap = call(client, "put", url, {"cells": [{**cell, "shift_ids": [early.pk, middle.pk]}]})
    assert overlap.status_code == 400 and "早班" in overlap.json()["detail"]  # names the shifts
    assert RosterEntry.objects.filter(agent=w.agent, day=w.monday).count() == 1
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


def test_kpi_targets_through_the_api_refuse_bad_values_naming_the_field_saving_nothing():
    manager = UserFactory.create(role=M)
    client = api_client(manager)
    listed = client.get("/api/v1/quality/kpi-targets").json()
    assert sum(t["weight"] for t in listed) == 100
    one = client.get("/api/v1/quality/kpi-targets/first_response").json()
    assert one == listed[[t["indicator"] for t in listed].index("first_response")]
    assert client.get("/api/v1/quality/kpi-targets/nothing").status_code == 404
    body = {
        "targets": [
            {"indicator": t["indicator"], "target": t["target"], "weight": t["weight"]}
            for t in listed
        ]
    }
    negative = json.loads(json.dumps(body))
    negative["targets"][0]["weight"] = -5
    refused = call(client, "put", "/api/v1/quality/kpi-targets", negative)
    assert refused.status_code == 422 and "targets.0.weight" in refused.json()["detail"]
    unknown = json.loads(json.dumps(body))
    unknown["targets"][0]["indicator"] = "speed"
    refused = call(client, "put", "/api/v1/quality/kpi-targets", unknown)
    assert refused.status_code == 422 and "targets.0.indicator" in refused.json()["detail"]
    not_100 = json.loads(json.dumps(body))
    not_100["targets"][0]["weight"] += 1
    refused = call(client, "put", "/api/v1/quality/kpi-targets", not_100)
    assert refused.status_code == 400 and "100" in refused.json()["detail"]
    assert client.get("/api/v1/quality/kpi-targets").json() == listed
    assert not AuditEntry.objects.filter(object_type="quality.kpitarget").exists()

    body["targets"][0]["target"] = 99
    saved = call(client, "put", "/api/v1/quality/kpi-targets", body)
    assert saved.status_code == 200 and saved.json()[0]["target"] == 99
    [entry] = AuditEntry.objects.filter(object_type="quality.kpitarget")
    assert entry.actor == manager and list(entry.details["targets"]) == [listed[0]["indicator"]]
    supervisor = api_client(UserFactory.create(role=S))
    assert supervisor.get("/api/v1/quality/kpi-targets").status_code == 403
    assert call(supervisor, "put", "/api/v1/quality/kpi-targets", body).status_code == 403


def test_reward_rules_through_the_api_one_at_a_time_or_all_audited():
    manager = UserFactory.create(role=M)
    client = api_client(manager)
    rules = client.get("/api/v1/quality/reward-rules").json()
    assert rules["payday"] == 10
    kinds = {r["kind"]: r for r in rules["rules"]}
    assert kinds["quality_below"]["uses_threshold"] and not kinds["late"]["uses_threshold"]
    assert client.get("/api/v1/quality/reward-rules/late").json() == kinds["late"]
    assert client.get("/api/v1/quality/reward-rules/nothing").status_code == 404

    changed = call(client, "patch", "/api/v1/quality/reward-rules/late", {"points": -3})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["points"], changed.json()["is_active"]) == (-3, True)
    after = {r["kind"]: r for r in client.get("/api/v1/quality/reward-rules").json()["rules"]}
    assert after == {**kinds, "late": {**kinds["late"], "points": -3}}
    too_many = call(client, "patch", "/api/v1/quality/reward-rules/late", {"points": 101})
    assert too_many.status_code == 422 and "points" in too_many.json()["detail"]
    no_threshold = call(
        client, "patch", "/api/v1/quality/reward-rules/quality_below", {"threshold": None}
    )
    assert no_threshold.status_code == 400  # a threshold rule needs its threshold
    bad_payday = call(client, "put", "/api/v1/quality/reward-rules", {**rules, "payday": 30})
    assert bad_payday.status_code == 422 and "payday" in bad_payday.json()["detail"]
    missing = call(
        client, "put", "/api/v1/quality/reward-rules", {**rules, "rules": rules["rules"][:2]}
    )
    assert missing.status_code == 400
    assert RewardRule.objects.get(kind="late").points == -3
    assert AuditEntry.objects.filter(object_type="quality.rewardrule").count() == 1
    off = call(client, "patch", "/api/v1/quality/reward-rules/good_rating", {"is_active": False})
    assert (
        off.json()["is_active"] is False and off.json()["points"] == kinds["good_rating"]["points"]
    )
    agent = api_client(UserFactory.create(role=G))
    assert agent.get("/api/v1/quality/reward-rules").status_code == 403
    assert (
        call(agent, "patch", "/api/v1/quality/reward-rules/late", {"points": 5}).status_code == 403
    )


def test_swaps_shifts_leaves_and_duty_through_the_api_each_sees_their_own():
    supervisor = UserFactory.create(role=S)
    agent = UserFactory.create(role=G)
    w = world(agent, 0)
    boss, mine, other = (
        api_client(supervisor),
        api_client(agent),
        api_client(UserFactory.create(role=G)),
    )
    asked = call(
        mine,
        "post",
        "/api/v1/quality/swaps",
        {"entry_id": w.mine.pk, "colleague_id": w.colleague.pk, "reason": "家里有事"},
    )
    assert asked.status_code == 201, asked.content
    swap = asked.json()
    assert (swap["state"], swap["requested_by_id"], swap["colleague_id"]) == (
        "pending",
        agent.pk,
        w.colleague.pk,
    )
    again = call(
        mine,
        "post",
        "/api/v1/quality/swaps",
        {"entry_id": w.mine.pk, "colleague_id": w.colleague.pk},
    )
    assert again.status_code == 400  # one waiting swap per shift
    not_mine = call(
        other, "post", "/api/v1/quality/swaps", {"entry_id": w.mine.pk, "colleague_id": agent.pk}
    )
    assert not_mine.status_code == 400
    assert call(mine, "post", "/api/v1/quality/swaps", {"entry_id": "x"}).status_code == 422
    assert [s["id"] for s in mine.get("/api/v1/quality/swaps").json()] == [  # by day
        swap["id"],
        w.waiting.pk,
    ]
    assert other.get("/api/v1/quality/swaps").json() == []
    assert other.get(f"/api/v1/quality/swaps/{swap['id']}").status_code == 404
    waiting = boss.get("/api/v1/quality/swaps?state=pending").json()
    assert {s["id"] for s in waiting} == {w.waiting.pk, swap["id"]}
    assert boss.get("/api/v1/quality/swaps?state=lost").status_code == 422
    approved = call(
        boss, "post", f"/api/v1/quality/swaps/{swap['id']}/decide", {"decision": "approve"}
    )
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert RosterEntry.objects.get(pk=w.mine.pk).agent == w.colleague
    twice = call(boss, "post", f"/api/v1/quality/swaps/{swap['id']}/decide", {"decision": "refuse"})
    assert twice.status_code == 409
    assert (
        call(
            boss, "post", "/api/v1/quality/swaps/999999/decide", {"decision": "refuse"}
        ).status_code
        == 404
    )
    steps = list(
        AuditEntry.objects.filter(object_type="quality.shiftswap")
        .order_by("id")
        .values_list("details__step", flat=True)
    )
    assert steps == ["swap_requested", "swap_approved"]

    made = call(
        boss, "post", "/api/v1/quality/shifts", {"name": "夜班", "starts": "00:00", "ends": "08:00"}
    )
    assert made.status_code == 201 and made.json()["ends"] == "08:00:00"
    duplicate = call(
        boss, "post", "/api/v1/quality/shifts", {"name": "夜班", "starts": "01:00", "ends": "09:00"}
    )
    assert duplicate.status_code == 400
    assert (
        call(
            boss,
            "post",
            "/api/v1/quality/shifts",
            {"name": "x", "starts": "25:00", "ends": "08:00"},
        ).status_code
        == 422
    )
    renamed = call(
        boss,
        "put",
        f"/api/v1/quality/shifts/{made.json()['id']}",
        {"name": "大夜班", "starts": "00:00", "ends": "08:00", "is_active": False},
    )
    assert renamed.json()["name"] == "大夜班" and renamed.json()["is_active"] is False
    assert (
        call(
            mine,
            "post",
            "/api/v1/quality/shifts",
            {"name": "私班", "starts": "00:00", "ends": "08:00"},
        ).status_code
        == 403
    )
    assert "大夜班" in [s["name"] for s in mine.get("/api/v1/quality/shifts").json()]

    Leave.objects.create(agent=agent, first_day=dt.date(2026, 5, 1), last_day=dt.date(2026, 5, 3))
    Leave.objects.create(
        agent=w.colleague, first_day=dt.date(2026, 5, 2), last_day=dt.date(2026, 5, 2)
    )
    assert len(boss.get("/api/v1/quality/leaves?since=2026-04-01").json()) == 2
    assert len(boss.get(f"/api/v1/quality/leaves?since=2026-04-01&agent={agent.pk}").json()) == 1
    assert [x["agent_id"] for x in mine.get("/api/v1/quality/leaves?since=2026-04-01").json()] == [
        agent.pk
    ]

    now = timezone.localtime()
    today = RosterEntry.objects.create(agent=agent, day=now.date(), shift=w.shift)
    from kefu.quality.selectors import on_duty

    on_shift = {e.pk for e in on_duty()}
    seen = boss.get("/api/v1/quality/on-duty").json()
    assert (today.pk in on_shift) == (agent.pk in [d["agent_id"] for d in seen])
    assert {d["agent_id"] for d in other.get("/api/v1/quality/on-duty").json()} <= set()


def test_copying_last_week_and_computing_the_months_sheets_through_the_api():
    supervisor = UserFactory.create(role=S)
    agent = UserFactory.create(role=G)
    w = world(agent, 0)
    client = api_client(supervisor)
    next_week = w.monday + dt.timedelta(days=7)
    copied = call(client, "post", f"/api/v1/quality/roster/weeks/{next_week}/copy-previous")
    assert copied.status_code == 200, copied.content
    assert copied.json()["copied"] == 2  # the agent's two shifts of the week before
    assert RosterEntry.objects.filter(agent=agent, day__gte=next_week).count() == 2
    assert (
        call(client, "post", f"/api/v1/quality/roster/weeks/{next_week}/copy-previous").json()[
            "copied"
        ]
        == 0
    )
    assert (
        call(
            api_client(agent), "post", f"/api/v1/quality/roster/weeks/{next_week}/copy-previous"
        ).status_code
        == 403
    )
    month = timezone.localdate().strftime("%Y-%m")
    computed = call(client, "post", f"/api/v1/quality/performance/compute?month={month}")
    assert computed.status_code == 200 and computed.json()["written"] >= 1
    assert PerformanceSheet.objects.filter(
        agent=agent, month=timezone.localdate().replace(day=1)
    ).exists()
    assert (
        call(client, "post", "/api/v1/quality/performance/compute?month=2026-13").status_code == 400
    )
    assert (
        call(
            api_client(agent), "post", f"/api/v1/quality/performance/compute?month={month}"
        ).status_code
        == 403
    )


def test_the_rubric_through_the_api_weights_adding_up_to_100_audited():
    manager = UserFactory.create(role=M)
    client = api_client(manager)
    items = client.get("/api/v1/quality/rubric").json()
    body = {
        "items": [
            {
                k: item[k]
                for k in ("id", "label", "weight", "is_active", "phrases", "triggers", "limit")
            }
            for item in items
        ]
    }
    forbidden = next(i for i in body["items"] if i["label"] == "服务禁语")
    forbidden["phrases"] = [*forbidden["phrases"], "爱买不买"]
    weight = forbidden["weight"]
    saved = call(client, "put", "/api/v1/quality/rubric/items", body)
    assert saved.status_code == 200, saved.content
    assert "爱买不买" in next(i for i in saved.json() if i["label"] == "服务禁语")["phrases"]
    forbidden["weight"] += 1
    refused = call(client, "put", "/api/v1/quality/rubric/items", body)
    assert refused.status_code == 400 and "100" in refused.json()["detail"]
    forbidden["weight"] = 101
    refused = call(client, "put", "/api/v1/quality/rubric/items", body)
    assert refused.status_code == 422 and "weight" in refused.json()["detail"]
    added = call(
        client, "post", "/api/v1/quality/rubric/items", {"kind": "forbidden", "label": "承诺用语"}
    )
    assert added.status_code == 201
    assert (added.json()["weight"], added.json()["is_active"]) == (0, False)
    wrong = call(client, "post", "/api/v1/quality/rubric/items", {"kind": "x", "label": "y"})
    assert wrong.status_code == 422 and "kind" in wrong.json()["detail"]
    assert AuditEntry.objects.filter(object_type="quality.rubricitem").count() == 2
    inspector = api_client(UserFactory.create(role=Q))
    forbidden["weight"] = weight  # a valid body: refused for the role, not the values
    assert call(inspector, "put", "/api/v1/quality/rubric/items", body).status_code == 403
