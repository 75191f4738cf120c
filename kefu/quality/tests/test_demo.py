"""The demo's quality checks: the demo chats checked, some with findings, reviews and an appeal."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.accounts.roles import Role
from kefu.conversations import demo as chats
from kefu.conversations.tests.conftest import make_agent
from kefu.quality import demo
from kefu.quality.models import Finding, Inspection, Review, ReviewState
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_demo_checks_reviews_and_appeals_once():
    for _ in range(3):
        make_agent(max_chats=50)
    make_agent(role=Role.SUPERVISOR)
    UserFactory(role=Role.INSPECTOR)
    chats.build(password="x", count=40)
    demo.build(password="x")
    assert Inspection.objects.count() >= 20
    assert Finding.objects.filter(severe=True).exists()
    assert Review.objects.filter(state=ReviewState.APPEALED).count() == 1
    assert Review.objects.filter(state=ReviewState.DONE).exists()
    checked = Inspection.objects.count()
    reviewed = list(Review.objects.order_by("id").values_list("id", "state", "reviewed_at"))
    demo.build(password="x")
    assert Inspection.objects.count() == checked
    assert list(Review.objects.order_by("id").values_list("id", "state", "reviewed_at")) == reviewed


def test_the_demos_checked_chats_reviews_and_appeal_span_the_last_month():
    """The demo's closed chats checked, most of them over the last 30 days and some over the year
    before (the reports' year), each check dated when its chat closed (not all today), the reviews
    spread out, one appeal waiting."""
    for _ in range(3):
        make_agent(max_chats=50)
    UserFactory(role=Role.INSPECTOR)
    chats.build(password="x", count=60)
    demo.build(password="x")
    inspections = list(Inspection.objects.all())
    closed = sorted(i.closed_at for i in inspections)
    assert closed[-1] - closed[0] >= dt.timedelta(days=21)
    assert closed[0] >= timezone.now() - dt.timedelta(days=366)
    last_month = [c for c in closed if c >= timezone.now() - dt.timedelta(days=31)]
    assert len(last_month) > len(closed) / 2
    checked_days = {timezone.localdate(i.checked_at) for i in inspections}
    assert len(checked_days) >= 10
    assert all(i.checked_at - i.closed_at == demo.CHECK_DELAY for i in inspections)
    done = Review.objects.exclude(state=ReviewState.PENDING)
    assert done.count() == demo.REVIEWED
    review_days = {timezone.localdate(r.reviewed_at) for r in done}
    assert len(review_days) >= 4
    [appealed] = Review.objects.filter(state=ReviewState.APPEALED)
    assert appealed.reviewed_at >= timezone.now() - dt.timedelta(days=1)
    assert all(r.reviewed_at >= r.inspection.closed_at for r in done.select_related("inspection"))


def test_the_demo_rosters_from_last_month_and_fills_last_months_sheets_once():
    from django.utils import timezone

    from kefu.quality.attendance import attendance
    from kefu.quality.kpi import default_month, month_bounds
    from kefu.quality.models import (
        PerformanceSheet,
        PerformanceState,
        PresenceLog,
        RosterEntry,
    )
    from kefu.quality.selectors import on_duty
    from kefu.quality.services.roster import week_start

    agents = [make_agent() for _ in range(4)]
    supervisor = make_agent(role=Role.SUPERVISOR)
    demo.build(password="x")
    monday = week_start(timezone.localdate())
    first = default_month()
    entries = RosterEntry.objects.all()
    span = (monday + dt.timedelta(days=14) - first).days
    assert {e.day for e in entries} <= {first + dt.timedelta(days=n) for n in range(span)}
    assert {e.shift.name for e in entries} == {"早班", "中班", "晚班"}
    for agent in agents:  # five days a week, one shift a day
        days = sorted(entries.filter(agent=agent).values_list("day", flat=True))
        assert len(days) == len(set(days))
        this_fortnight = [d for d in days if d >= monday]
        assert len(this_fortnight) == 10
    assert supervisor.pk not in {e.agent_id for e in entries}
    on_duty()  # the grid's readers accept the demo's entries

    # The rostered agents' presence is recorded over their shifts: last month's attendance looks
    # like a real team's — most shifts kept, a few late or missed, none without a record.
    assert set(PresenceLog.objects.values_list("agent_id", flat=True)) == {a.pk for a in agents}
    start, end = month_bounds(first)
    kept = attendance(start=start, end=end, agent_ids=[a.pk for a in agents])
    shifts = sum(row.shifts for row in kept.values())
    assert shifts >= 4 * 15 and not any(row.unrecorded for row in kept.values())
    assert 0.75 <= sum(row.kept for row in kept.values()) / shifts < 1

    from kefu.quality.models import AgentRecord, RecordKind

    # 表扬与投诉成立 is not empty on a fresh start: praise on record, once however often it runs
    assert AgentRecord.objects.filter(kind=RecordKind.PRAISE).count() == 3
    sheets = PerformanceSheet.objects.filter(month=default_month())
    assert set(sheets.values_list("agent_id", flat=True)) == {a.pk for a in agents}
    attendance_values = [
        f["value"] for sheet in sheets for f in sheet.figures if f["indicator"] == "attendance"
    ]
    assert all(value is not None and value > 50 for value in attendance_values)
    states = list(sheets.values_list("state", flat=True))
    assert {PerformanceState.DRAFT, PerformanceState.SIGNED, PerformanceState.ACKNOWLEDGED} == set(
        states
    )
    assert not sheets.exclude(state=PerformanceState.DRAFT).filter(signed_by__isnull=True).exists()
    made = (
        RosterEntry.objects.count(),
        PerformanceSheet.objects.count(),
        PresenceLog.objects.count(),
        AgentRecord.objects.count(),
    )
    demo.build(password="x")
    assert (
        RosterEntry.objects.count(),
        PerformanceSheet.objects.count(),
        PresenceLog.objects.count(),
        AgentRecord.objects.count(),
    ) == made
