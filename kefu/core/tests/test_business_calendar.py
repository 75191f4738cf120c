"""Deadlines in working time across statutory holidays (国庆) and adjusted working days (调休)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kefu.accounts.roles import Role
from kefu.core.business_calendar import BusinessCalendar, WorkingHours
from kefu.core.models import CalendarDay, CalendarDayKind
from kefu.web import services

SH = ZoneInfo("Asia/Shanghai")
H = dt.timedelta(hours=1)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SH)


@pytest.mark.django_db
def test_a_deadline_that_crosses_national_day_skips_the_whole_holiday():
    # 30 Sep 16:00 + 9 working hours: 2 h on 30 Sep, then 1–7 Oct are holidays, 7 h on 8 Oct.
    assert BusinessCalendar().add_working_time(at(2026, 9, 30, 16), 9 * H) == at(2026, 10, 8, 16)


@pytest.mark.django_db
def test_the_adjusted_working_saturday_counts_as_a_working_day():
    # 9 Oct (Fri) 17:00 + 3 h: 1 h on Friday, 2 h on Saturday 10 Oct (调休上班).
    calendar = BusinessCalendar()
    assert calendar.is_working_day(dt.date(2026, 10, 10))
    assert calendar.add_working_time(at(2026, 10, 9, 17), 3 * H) == at(2026, 10, 10, 11)


@pytest.mark.django_db
def test_an_ordinary_weekend_is_skipped():
    assert BusinessCalendar().add_working_time(at(2026, 11, 20, 17), 2 * H) == at(2026, 11, 23, 10)


@pytest.mark.django_db
def test_work_arriving_at_night_starts_counting_next_morning():
    assert BusinessCalendar().add_working_time(
        at(2026, 11, 23, 22, 30), 30 * dt.timedelta(minutes=1)
    ) == at(2026, 11, 24, 9, 30)


@pytest.mark.django_db
def test_team_hours_are_used():
    calendar = BusinessCalendar(WorkingHours(start=dt.time(8, 0), end=dt.time(20, 0)))
    assert calendar.add_working_time(at(2026, 11, 23, 19), 2 * H) == at(2026, 11, 24, 9)


@pytest.mark.django_db
def test_a_managers_day_off_overrides_the_package(make_user):
    manager = make_user(Role.MANAGER)
    services.set_calendar_day(
        actor=manager, date=dt.date(2026, 11, 24), kind=CalendarDayKind.HOLIDAY, name="公司年会"
    )
    calendar = BusinessCalendar()
    assert not calendar.is_working_day(dt.date(2026, 11, 24))
    assert calendar.day_name(dt.date(2026, 11, 24)) == "公司年会"
    assert calendar.add_working_time(at(2026, 11, 23, 17), 2 * H) == at(2026, 11, 25, 10)


@pytest.mark.django_db
def test_a_managers_working_day_overrides_a_weekend(make_user):
    manager = make_user(Role.MANAGER)
    services.set_calendar_day(
        actor=manager, date=dt.date(2027, 2, 20), kind=CalendarDayKind.WORKDAY, name="春节调休"
    )
    assert BusinessCalendar().is_working_day(dt.date(2027, 2, 20))


@pytest.mark.django_db
def test_an_agent_cannot_change_the_calendar(make_user):
    from kefu.core.errors import PermissionRefused

    with pytest.raises(PermissionRefused):
        services.set_calendar_day(
            actor=make_user(Role.AGENT), date=dt.date(2026, 12, 1), kind=CalendarDayKind.HOLIDAY
        )
    assert not CalendarDay.objects.exists()


@pytest.mark.django_db
def test_late_december_deadlines_reach_into_a_year_not_yet_announced():
    due = BusinessCalendar().add_working_time(at(2026, 12, 31, 17), 16 * H)
    assert due.year == 2027
    assert BusinessCalendar().is_working_time(due - dt.timedelta(minutes=1))


@pytest.mark.django_db
def test_working_time_between_is_the_inverse_of_adding():
    calendar = BusinessCalendar()
    start = at(2026, 9, 30, 16)
    assert calendar.working_time_between(start, at(2026, 10, 8, 16)) == 9 * H
    assert calendar.working_time_between(at(2026, 10, 8, 16), start) == dt.timedelta(0)


@pytest.mark.django_db
def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="aware"):
        BusinessCalendar().add_working_time(dt.datetime(2026, 11, 23, 10), H)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31)),
    minutes=st.integers(min_value=1, max_value=60 * 24 * 10),
)
@example(start=dt.datetime(2026, 11, 23, 17, 59, 0, 1), minutes=1)
def test_no_deadline_is_ever_in_non_working_time(start, minutes):
    calendar = BusinessCalendar()
    aware = start.replace(tzinfo=SH)
    due = calendar.add_working_time(aware, dt.timedelta(minutes=minutes))
    assert due > aware
    # The instant before the deadline is working time (a start with seconds or microseconds carries
    # them into the next working period: 17:59:00.000001 plus a minute is 09:00:00.000001 the next
    # working morning), and the amounts agree.
    assert calendar.is_working_time(due - dt.timedelta(microseconds=1))
    assert calendar.working_time_between(aware, due) == dt.timedelta(minutes=minutes)


@pytest.mark.django_db
def test_the_calendar_page_lists_national_day_and_accepts_an_entry(client_for):
    client, _manager = client_for(Role.MANAGER)
    page = client.get("/settings/calendar/?year=2026").content.decode()
    assert "国庆节" in page and "2026-10-10" in page
    response = client.post(
        "/settings/calendar/", {"date": "2026-12-31", "kind": "holiday", "name": "跨年休息"}
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=dt.date(2026, 12, 31)).name == "跨年休息"
    bad = client.post("/settings/calendar/", {"date": "not a date", "kind": "holiday"})
    assert bad.status_code == 200 and CalendarDay.objects.count() == 1


@pytest.mark.django_db
def test_the_due_api_counts_working_time(client_for):
    client, _agent = client_for(Role.AGENT)
    body = client.get(
        "/api/v1/calendar/due", {"start": "2026-09-30T16:00:00+08:00", "minutes": 540}
    ).json()
    assert body["due_at"] == "2026-10-08T16:00:00+08:00"
    invalid = client.get("/api/v1/calendar/due", {"start": "yesterday", "minutes": 5})
    assert invalid.status_code == 422
    assert invalid.json()["detail"] == "有些值缺失或无效：start。"
    assert invalid.json()["errors"][0]["loc"] == ["query", "start"]
    assert client.get(
        "/api/v1/calendar/due", {"start": "1073-04-13T03:35:09Z", "minutes": 5}
    ).json() == {"detail": "开始时间须在 2000 年至 2100 年之间。"}


@pytest.mark.django_db
def test_working_time_between_dates_years_apart_is_counted_to_the_end():
    calendar = BusinessCalendar()
    four_years = calendar.working_time_between(at(2026, 1, 5, 9), at(2030, 1, 7, 9))
    one_year = calendar.working_time_between(at(2026, 1, 5, 9), at(2027, 1, 4, 9))
    assert 3.8 * one_year < four_years < 4.2 * one_year
    with pytest.raises(ValueError, match="aware"):
        calendar.working_time_between(dt.datetime(2026, 1, 5, 9), at(2026, 1, 6, 9))


@pytest.mark.django_db
def test_a_calendar_without_working_days_gives_a_clear_answer(client_for, monkeypatch):
    monkeypatch.setattr("kefu.core.business_calendar.MAX_DAYS_SEARCHED", 14)
    CalendarDay.objects.bulk_create(
        CalendarDay(date=dt.date(2026, 3, 1) + dt.timedelta(days=n), kind="holiday", name="停业")
        for n in range(20)
    )
    client, _agent = client_for(Role.AGENT)
    response = client.get(
        "/api/v1/calendar/due", {"start": "2026-03-01T10:00:00+08:00", "minutes": 60}
    )
    assert response.status_code == 400
    assert "三年内" in response.json()["detail"]


@pytest.mark.django_db
def test_the_due_api_answers_at_its_largest_allowed_duration(client_for):
    from kefu.core.api import MAX_MINUTES

    client, _agent = client_for(Role.AGENT)
    ok = client.get(
        "/api/v1/calendar/due", {"start": "2026-12-31T23:59:00+08:00", "minutes": MAX_MINUTES}
    )
    assert ok.status_code == 200
    too_long = client.get(
        "/api/v1/calendar/due", {"start": "2026-12-31T23:59:00+08:00", "minutes": MAX_MINUTES + 1}
    )
    assert too_long.status_code == 400


@pytest.mark.django_db
def test_a_managers_day_off_counts_at_once_though_the_days_are_kept_per_process(
    make_user, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """The overrides are read once per year and process (business_calendar.OVERRIDES, issue 11.3),
    not once per deadline; a day set or removed on the calendar page, or changed by another process
    (its stamp in the shared cache), counts for the next deadline."""
    from django.core.cache import cache

    from kefu.core.business_calendar import OVERRIDES

    manager = make_user(Role.MANAGER)
    monday = at(2026, 11, 23, 17)
    assert BusinessCalendar().add_working_time(monday, 2 * H) == at(2026, 11, 24, 10)
    with django_assert_num_queries(0):
        assert BusinessCalendar().add_working_time(monday, 2 * H) == at(2026, 11, 24, 10)
    with django_capture_on_commit_callbacks(execute=True):
        day = services.set_calendar_day(
            actor=manager, date=dt.date(2026, 11, 24), kind=CalendarDayKind.HOLIDAY, name="停电"
        )
    assert BusinessCalendar().add_working_time(monday, 2 * H) == at(2026, 11, 25, 10)
    CalendarDay.objects.filter(pk=day.pk).update(kind=CalendarDayKind.WORKDAY)  # "elsewhere"
    assert BusinessCalendar().add_working_time(monday, 2 * H) == at(2026, 11, 25, 10)  # kept
    cache.set(OVERRIDES.key, "another process's stamp", timeout=None)
    assert BusinessCalendar().add_working_time(monday, 2 * H) == at(2026, 11, 24, 10)
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_calendar_day(actor=manager, day=CalendarDay.objects.get(pk=day.pk))
    assert not CalendarDay.objects.exists()
    assert BusinessCalendar().add_working_time(monday, 2 * H) == at(2026, 11, 24, 10)
