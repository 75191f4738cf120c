"""Item 2 of the rest of issue 14: the rosters 排班/值班 — the supervisor's weekly grid, last week
copied, overlapping shifts refused, the agent's own shifts, swaps asked by an agent and decided by a
supervisor, who is on duty now, and routing giving chats only to agents on shift; leave 请假 takes an
agent off duty and off routing."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.conversations.services.routing import assign_waiting
from kefu.conversations.tests.conftest import make_agent, make_conversation
from kefu.quality.models import Leave, RosterEntry, Shift, ShiftSwap, SwapState
from kefu.quality.services.roster import ensure_shifts, week_start
from tests.clock import today

pytestmark = pytest.mark.django_db


def next_week() -> dt.date:
    return week_start(today()) + dt.timedelta(days=7)


def shift(name):
    ensure_shifts()
    return Shift.objects.get(name=name)


def cell(agent, day):
    return f"cell-{agent.pk}-{day:%Y%m%d}"


def save(client, cells, week=None):
    return client.post(
        "/quality/roster/", {"week": (week or next_week()).isoformat(), **cells}, follow=True
    )


def test_the_supervisor_builds_next_weeks_roster_and_the_agent_sees_it(client_for, make_user):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    agent_client, agent = client_for(Role.AGENT, display_name="李娜")
    other_client, _other = client_for(Role.AGENT)
    page = supervisor_client.get(f"/quality/roster/?week={next_week().isoformat()}")
    assert page.status_code == 200 and "李娜" in page.content.decode()
    early, late = shift("早班"), shift("晚班")
    monday, tuesday = next_week(), next_week() + dt.timedelta(days=1)
    save(supervisor_client, {cell(agent, monday): early.pk, cell(agent, tuesday): late.pk})
    assert set(RosterEntry.objects.filter(agent=agent).values_list("day", "shift__name")) == {
        (monday, "早班"),
        (tuesday, "晚班"),
    }
    assert AuditEntry.objects.filter(
        action=AuditAction.SETTINGS_CHANGED, object_type="quality.rosterentry"
    ).exists()
    mine = agent_client.get("/quality/roster/mine/").content.decode()
    assert f'data-testid="my-shift-{monday:%Y%m%d}"' in mine and "晚班" in mine
    assert "my-shift-" not in other_client.get("/quality/roster/mine/").content.decode()
    # A day off again.
    save(supervisor_client, {cell(agent, tuesday): ""})
    assert not RosterEntry.objects.filter(agent=agent, day=tuesday).exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.INSPECTOR, Role.DEPARTMENT_STAFF])
def test_only_supervisors_and_managers_edit_the_roster(client_for, role):
    client, _user = client_for(role)
    assert client.get("/quality/roster/").status_code == 403
    assert client.post("/quality/roster/", {"week": next_week().isoformat()}).status_code == 403
    assert (
        client.post("/quality/roster/copy/", {"week": next_week().isoformat()}).status_code == 403
    )
    assert client.get("/quality/roster/shifts/").status_code == 403


def test_overlapping_shifts_for_one_agent_are_refused_and_nothing_saved(client_for, make_user):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    agent = make_user(Role.AGENT, display_name="王芳")
    supervisor_client.post(
        "/quality/roster/shifts/", {"name": "夜班", "start": "22:00", "end": "10:00"}
    )
    night = Shift.objects.get(name="夜班")
    assert night.overnight
    monday, tuesday = next_week(), next_week() + dt.timedelta(days=1)
    response = save(
        supervisor_client,
        {cell(agent, monday): night.pk, cell(agent, tuesday): shift("早班").pk},
    )
    assert "王芳" in response.content.decode()
    assert not RosterEntry.objects.filter(agent=agent).exists()
    # Ending at 08:00 and starting at 08:00 is fine.
    supervisor_client.post(
        "/quality/roster/shifts/", {"name": "大夜班", "start": "20:00", "end": "08:00"}
    )
    save(
        supervisor_client,
        {
            cell(agent, monday): Shift.objects.get(name="大夜班").pk,
            cell(agent, tuesday): shift("早班").pk,
        },
    )
    assert RosterEntry.objects.filter(agent=agent).count() == 2


def test_last_week_is_copied_into_the_empty_days(client_for, make_user):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    agent = make_user(Role.AGENT)
    this_week = next_week() - dt.timedelta(days=7)
    for n in range(5):
        RosterEntry.objects.create(
            agent=agent, day=this_week + dt.timedelta(days=n), shift=shift("早班")
        )
    RosterEntry.objects.create(agent=agent, day=next_week(), shift=shift("中班"))
    supervisor_client.post("/quality/roster/copy/", {"week": next_week().isoformat()})
    days = dict(
        RosterEntry.objects.filter(agent=agent, day__gte=next_week()).values_list(
            "day", "shift__name"
        )
    )
    assert days[next_week()] == "中班"  # kept: the day was rostered already
    assert [days[next_week() + dt.timedelta(days=n)] for n in range(1, 5)] == ["早班"] * 4
    assert len(days) == 5


def test_a_swap_asked_by_the_agent_and_approved_by_a_supervisor(client_for):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    agent_client, agent = client_for(Role.AGENT)
    colleague_client, colleague = client_for(Role.AGENT)
    day = next_week() + dt.timedelta(days=2)
    mine = RosterEntry.objects.create(agent=agent, day=day, shift=shift("早班"))
    RosterEntry.objects.create(agent=colleague, day=day, shift=shift("晚班"))
    # Nobody asks to swap somebody else's shift.
    colleague_client.post("/quality/roster/mine/swap/", {"entry": mine.pk, "colleague": agent.pk})
    assert not ShiftSwap.objects.exists()
    agent_client.post(
        "/quality/roster/mine/swap/",
        {"entry": mine.pk, "colleague": colleague.pk, "reason": "家里有事"},
    )
    swap = ShiftSwap.objects.get()
    assert swap.state == SwapState.PENDING
    # An agent cannot approve it.
    assert (
        colleague_client.post(
            f"/quality/roster/swaps/{swap.pk}/decide/", {"decision": "approve"}
        ).status_code
        == 403
    )
    grid = supervisor_client.get(
        f"/quality/roster/?week={next_week().isoformat()}"
    ).content.decode()
    assert "家里有事" in grid
    supervisor_client.post(f"/quality/roster/swaps/{swap.pk}/decide/", {"decision": "approve"})
    swap.refresh_from_db()
    assert swap.state == SwapState.APPROVED
    assert dict(RosterEntry.objects.filter(day=day).values_list("agent_id", "shift__name")) == {
        agent.pk: "晚班",
        colleague.pk: "早班",
    }
    # Decided once.
    supervisor_client.post(f"/quality/roster/swaps/{swap.pk}/decide/", {"decision": "refuse"})
    swap.refresh_from_db()
    assert swap.state == SwapState.APPROVED


def test_on_duty_now_is_shown_to_the_supervisor_and_the_agent(client_for):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    agent_client, agent = client_for(Role.AGENT, display_name="当班的人")
    now = timezone.localtime()
    round_the_clock = Shift.objects.create(
        name="全天", start=dt.time(0, 0), end=dt.time(23, 59, 59)
    )
    RosterEntry.objects.create(agent=agent, day=now.date(), shift=round_the_clock)
    duty = supervisor_client.get("/quality/roster/").content.decode()
    assert "当班的人" in duty.split('data-testid="on-duty"')[1].split("</div>\n  </div>")[0]
    assert "You are on shift now" in agent_client.get("/quality/roster/mine/").content.decode() or (
        "您正在值班" in agent_client.get("/quality/roster/mine/").content.decode()
    )


def test_routing_gives_a_new_chat_only_to_an_agent_on_shift(monkeypatch):
    wednesday = dt.datetime(2026, 12, 2, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr("kefu.conversations.selectors.business_now", lambda: wednesday)
    off_shift = make_agent()  # first by id: without the roster, the chat would be theirs
    on_shift = make_agent()
    RosterEntry.objects.create(agent=off_shift, day=wednesday.date(), shift=shift("晚班"))
    RosterEntry.objects.create(agent=on_shift, day=wednesday.date(), shift=shift("早班"))
    conversation = make_conversation()
    assert assign_waiting() == [(conversation.pk, on_shift.pk)]
    # Not rostered at all: the team's hours stand (no team: not held back).
    unrostered = make_agent()
    RosterEntry.objects.filter(agent=on_shift).delete()
    second = make_conversation()
    assert assign_waiting() == [(second.pk, unrostered.pk)]


def test_an_agent_on_leave_gets_no_chats_and_is_not_on_duty(monkeypatch, client_for):
    wednesday = dt.datetime(2026, 12, 2, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr("kefu.conversations.selectors.business_now", lambda: wednesday)
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    away = make_agent()  # first by id: rostered and on shift, but on leave
    present = make_agent()
    for agent in (away, present):
        RosterEntry.objects.create(agent=agent, day=wednesday.date(), shift=shift("早班"))
    page = supervisor_client.post(
        "/quality/roster/leave/",
        {
            "week": week_start(wednesday.date()).isoformat(),
            "agent": away.pk,
            "first_day": "2026-12-01",
            "last_day": "2026-12-03",
            "reason": "病假",
        },
        follow=True,
    ).content.decode()
    assert "已记录请假" in page, page
    leave = Leave.objects.get(agent=away)
    assert (leave.first_day, leave.last_day, leave.reason) == (
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 3),
        "病假",
    )
    assert AuditEntry.objects.filter(
        object_type="quality.leave", details__step="leave_recorded"
    ).exists()
    conversation = make_conversation()
    assert assign_waiting() == [(conversation.pk, present.pk)]
    from kefu.quality.selectors import on_duty

    assert [e.agent_id for e in on_duty(wednesday)] == [present.pk]
    grid = supervisor_client.get("/quality/roster/?week=2026-11-30").content.decode()
    assert f'data-testid="leave-cell-{away.pk}-20261202"' in grid and "请假" in grid
    assert f'data-testid="leave-cell-{present.pk}-20261202"' not in grid
    # Taken back: the agent is on shift again.
    supervisor_client.post(f"/quality/roster/leave/{leave.pk}/cancel/", {"week": "2026-11-30"})
    assert not Leave.objects.exists()
    assert sorted(e.agent_id for e in on_duty(wednesday)) == sorted([away.pk, present.pk])


def test_an_agent_on_leave_and_not_rostered_is_not_routed(monkeypatch):
    wednesday = dt.datetime(2026, 12, 2, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr("kefu.conversations.selectors.business_now", lambda: wednesday)
    away = make_agent()
    present = make_agent()
    Leave.objects.create(agent=away, first_day=wednesday.date(), last_day=wednesday.date())
    conversation = make_conversation()
    assert assign_waiting() == [(conversation.pk, present.pk)]


def test_bad_leave_is_refused_and_nothing_saved(client_for):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    agent_client, agent = client_for(Role.AGENT)
    Leave.objects.create(agent=agent, first_day=dt.date(2026, 12, 7), last_day=dt.date(2026, 12, 9))

    def post(client, **data):
        return client.post(
            "/quality/roster/leave/", {"agent": agent.pk, "reason": "x", **data}, follow=True
        )

    backwards = post(supervisor_client, first_day="2026-12-20", last_day="2026-12-18")
    assert "请假的结束日期早于开始日期" in backwards.content.decode()
    overlapping = post(supervisor_client, first_day="2026-12-09", last_day="2026-12-10")
    assert "2026-12-07" in overlapping.content.decode()
    too_long = post(supervisor_client, first_day="2026-01-01", last_day="2026-12-31")
    assert "92" in too_long.content.decode()
    unreadable = post(supervisor_client, first_day="2026-13-01", last_day="x")
    assert unreadable.status_code == 200
    assert post(agent_client, first_day="2026-12-20", last_day="2026-12-21").status_code == 403
    assert Leave.objects.count() == 1


def test_the_month_is_rostered_as_one_grid(client_for):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    _agent_client, agent = client_for(Role.AGENT, display_name="整月排班")
    early, late = shift("早班"), shift("晚班")
    page = supervisor_client.get("/quality/roster/?month=2026-02").content.decode()
    assert "排班：2026-02 月" in page and 'data-testid="roster-week-view"' in page
    assert cell(agent, dt.date(2026, 2, 1)) in page and cell(agent, dt.date(2026, 2, 28)) in page
    assert cell(agent, dt.date(2026, 3, 1)) not in page
    first, last = dt.date(2026, 2, 2), dt.date(2026, 2, 27)
    saved = supervisor_client.post(
        "/quality/roster/",
        {"month": "2026-02", cell(agent, first): early.pk, cell(agent, last): late.pk},
        follow=True,
    )
    assert "排班已保存：修改了 2 天。" in saved.content.decode()
    assert set(RosterEntry.objects.filter(agent=agent).values_list("day", "shift__name")) == {
        (first, "早班"),
        (last, "晚班"),
    }
    assert saved.redirect_chain[-1][0].endswith("month=2026-02")
    # a night shift 22:00–09:00 on the 27th runs into the 早班 of the 28th: refused, nothing saved
    night = Shift.objects.create(name="夜班", start=dt.time(22, 0), end=dt.time(9, 0))
    RosterEntry.objects.create(agent=agent, day=dt.date(2026, 2, 28), shift=early)
    refused = supervisor_client.post(
        "/quality/roster/",
        {"month": "2026-02", cell(agent, dt.date(2026, 2, 27)): night.pk},
        follow=True,
    ).content.decode()
    assert "夜班" in refused and "未保存" in refused
    assert RosterEntry.objects.get(agent=agent, day=last).shift == late
    # a month no calendar covers shows this week's grid, never a 500
    for raw in ("9999-12", "0001-01", "2026-13", "x" * 50):
        assert supervisor_client.get(f"/quality/roster/?month={raw}").status_code == 200
