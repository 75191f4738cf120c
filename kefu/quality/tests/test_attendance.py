"""Issue 14 item 6: attendance 考勤 — an agent's presence against the roster (late, absent, left
early) feeds the KPIs and the performance sheet; a day of leave is not counted."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.accounts.models import Presence
from kefu.accounts.roles import Role
from kefu.accounts.services import set_presence
from kefu.quality.attendance import attendance
from kefu.quality.models import KpiTarget, Leave, PerformanceSheet, PresenceLog, RosterEntry, Shift
from kefu.quality.services import performance
from kefu.quality.services.roster import interval
from tests.clock import today

pytestmark = pytest.mark.django_db(transaction=True)

MINUTE = dt.timedelta(minutes=1)


def ended_day() -> dt.date:
    """A day that has ended, not the first of its month (the sheet's test uses the day before it)."""
    return today() - dt.timedelta(days=1) if today().day > 2 else (today() - dt.timedelta(days=20))


def day_shift() -> Shift:
    return Shift.objects.create(name="白班", start=dt.time(9, 0), end=dt.time(17, 0))


def log(agent, presence, at):
    PresenceLog.objects.create(agent=agent, presence=presence, at=at)


def test_a_presence_change_is_kept_when_it_is_made(make_user):
    agent = make_user(Role.AGENT)
    set_presence(user=agent, presence=Presence.ONLINE)
    set_presence(user=agent, presence=Presence.AWAY)
    assert list(PresenceLog.objects.filter(agent=agent).values_list("presence", flat=True)) == [
        "online",
        "away",
    ]
    assert timezone.now() - PresenceLog.objects.filter(agent=agent).last().at < dt.timedelta(
        minutes=1
    )


def test_late_absent_and_left_early_against_the_roster(make_user):
    shift = day_shift()
    start, end = interval(ended_day(), shift)
    kept, late, absent, early, away, busy = (make_user(Role.AGENT) for _n in range(6))
    for agent in (kept, late, absent, early, away, busy):
        RosterEntry.objects.create(agent=agent, day=ended_day(), shift=shift)
    log(kept, "online", start - 10 * MINUTE)
    log(kept, "offline", end + 2 * MINUTE)
    log(late, "offline", start - 12 * 60 * MINUTE)  # held from the evening before
    log(late, "online", start + 30 * MINUTE)  # online until now
    log(absent, "offline", start - 60 * MINUTE)
    log(early, "online", start - MINUTE)
    log(early, "offline", end - 60 * MINUTE)
    log(busy, "online", start - 120 * MINUTE)  # busy and away are at work
    log(busy, "busy", start + 60 * MINUTE)
    log(busy, "away", start + 120 * MINUTE)
    Leave.objects.create(
        agent=away, first_day=ended_day(), last_day=ended_day()
    )  # no presence at all: on leave
    found = attendance(
        start=ended_day(),
        end=ended_day(),
        agent_ids=[a.pk for a in (kept, late, absent, early, away, busy)],
    )
    as_tuple = {pk: (row.shifts, row.late, row.absent, row.left_early) for pk, row in found.items()}
    assert as_tuple == {
        kept.pk: (1, 0, 0, 0),
        late.pk: (1, 1, 0, 0),
        absent.pk: (1, 0, 1, 0),
        early.pk: (1, 0, 0, 1),
        away.pk: (0, 0, 0, 0),
        busy.pk: (1, 0, 0, 0),
    }
    # A shift that has not ended yet is not judged.
    RosterEntry.objects.create(
        agent=absent, day=timezone.localdate() + dt.timedelta(days=1), shift=shift
    )
    again = attendance(
        start=ended_day(), end=timezone.localdate() + dt.timedelta(days=1), agent_ids=[absent.pk]
    )
    assert again[absent.pk].shifts == 1


def test_attendance_is_a_line_of_the_performance_sheet(make_user):
    supervisor = make_user(Role.SUPERVISOR)
    agent = make_user(Role.AGENT)
    shift = day_shift()
    first, second = ended_day() - dt.timedelta(days=1), ended_day()
    for day in (first, second):
        RosterEntry.objects.create(agent=agent, day=day, shift=shift)
    first_start, _first_end = interval(first, shift)
    start, end = interval(second, shift)
    log(agent, "offline", first_start - 60 * MINUTE)  # recorded, and absent the first day
    log(agent, "online", start + 20 * MINUTE)  # late on the second day
    log(agent, "offline", end)
    KpiTarget.objects.all().delete()  # the defaults again
    performance.generate_sheets(actor=supervisor, month=ended_day())
    sheet = PerformanceSheet.objects.get(agent=agent)
    [line] = [f for f in sheet.figures if f["indicator"] == "attendance"]
    detail = line["detail"]
    assert (detail["shifts"], detail["late"], detail["absent"], detail["unrecorded"]) == (
        2,
        1,
        1,
        0,
    )
    assert line["value"] == 0.0 and line["weight"] == 0  # nothing kept; out of the score
    from django.test import Client

    from conftest import sign_in

    page = sign_in(Client(), supervisor).get(f"/quality/performance/{sheet.pk}/").content.decode()
    shown = page.split('data-testid="attendance-detail">')[1].split("</td>")[0]
    assert "迟到 1" in shown and "缺勤 1" in shown and "出勤" in page
    assert 'data-testid="attendance-unrecorded"' not in page


def test_shifts_before_the_first_presence_record_are_neither_kept_nor_absent(make_user):
    """A shift that started before the system held any presence change of the agent (the log did not
    exist yet, or they never signed in to it) says nothing of their attendance: "no record", shown
    as such, never absent — and the absent rule of the reward sheet does not count it."""
    from django.test import Client

    from conftest import sign_in
    from kefu.quality.models import RuleKind
    from kefu.quality.services import sheet_rules

    supervisor = make_user(Role.SUPERVISOR)
    agent, never = make_user(Role.AGENT), make_user(Role.AGENT)
    shift = day_shift()
    first, second = ended_day() - dt.timedelta(days=1), ended_day()
    for someone in (agent, never):
        for day in (first, second):
            RosterEntry.objects.create(agent=someone, day=day, shift=shift)
    start, end = interval(second, shift)
    log(agent, "online", start - 2 * MINUTE)  # the first change held: the second day, on time
    log(agent, "offline", end + MINUTE)

    found = attendance(start=first, end=second, agent_ids=[agent.pk, never.pk])
    as_tuple = {
        pk: (row.shifts, row.late, row.absent, row.left_early, row.unrecorded, row.kept_percent)
        for pk, row in found.items()
    }
    assert as_tuple == {agent.pk: (1, 0, 0, 0, 1, 100.0), never.pk: (0, 0, 0, 0, 2, None)}

    performance.generate_sheets(actor=supervisor, month=ended_day())
    sheet = PerformanceSheet.objects.get(agent=agent)
    [line] = [f for f in sheet.figures if f["indicator"] == "attendance"]
    assert line["value"] == 100.0 and line["detail"]["unrecorded"] == 1
    [idle] = [
        f
        for f in PerformanceSheet.objects.get(agent=never).figures
        if f["indicator"] == "attendance"
    ]
    assert idle["value"] is None  # no data, not 0 % kept
    page = sign_in(Client(), supervisor).get(f"/quality/performance/{sheet.pk}/").content.decode()
    unrecorded = page.split('data-testid="attendance-unrecorded">')[1].split("</div>")[0]
    assert "1 个班次无在岗记录" in unrecorded
    rules = sheet_rules.rule_lines(ended_day(), [agent.pk, never.pk])
    assert not any(ln.rule == RuleKind.ABSENT for lines in rules.values() for ln in lines)
