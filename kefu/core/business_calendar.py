"""The business calendar: working days and working hours, and deadlines counted in working time.

Working days come from, in order: a manager's CalendarDay for that date; the `holidays` package's
China calendar (statutory holidays and adjusted working days 调休, zh_CN names; later years
projected by rule, so a deadline computed in late December never fails); otherwise Monday to Friday.
Working hours come from the team (Team.work_start/work_end) or the default 09:00–18:00.
All arithmetic is done in Asia/Shanghai local time; results are aware datetimes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError
from kefu.core.models import CalendarDay, CalendarDayKind
from kefu.core.process_cache import ProcessCache

# Far enough for any deadline; stops a misconfigured calendar (every day a holiday) from looping forever.
MAX_DAYS_SEARCHED = 3 * 366


class CalendarError(DomainError):
    """A deadline cannot be computed: the calendar has no working time within MAX_DAYS_SEARCHED."""


def _require_aware(*moments: dt.datetime) -> None:
    if any(m.tzinfo is None for m in moments):
        raise ValueError("working-time arithmetic needs aware datetimes")


class HasWorkingHours(Protocol):
    """A team (accounts.Team), as far as the calendar needs it."""

    @property
    def work_start(self) -> dt.time: ...

    @property
    def work_end(self) -> dt.time: ...


@dataclass(frozen=True)
class WorkingHours:
    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(18, 0)

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise ValueError("working hours must start before they end")

    @classmethod
    def of_team(cls, team: HasWorkingHours | None) -> WorkingHours:
        return cls(start=team.work_start, end=team.work_end) if team is not None else cls()


# The package's zh_CN names of the days that are no festival of their own: a weekday swapped off by
# 调休 (休息日（由 2026-10-10 调休）) and a day added to a festival (国庆节（补假）).
MOVED_REST_DAY = "休息日"
ADDED_DAY = "补假"
FESTIVAL_DAYS = 10  # a festival's days off (春节 with its weekend) never span more


def is_festival(name: str) -> bool:
    """Whether a day's name (day_name) is a festival's: not empty, not 调休 nor 补假."""
    return bool(name) and not name.startswith(MOVED_REST_DAY) and ADDED_DAY not in name


@dataclass(frozen=True)
class Holiday:
    date: dt.date  # its first day off
    name: str  # 春节, 中秋节, or a manager's name for the day


@lru_cache(maxsize=32)
def _statutory(year: int) -> holidays.HolidayBase:
    # The package leaves its country classes unannotated.
    return holidays.China(years=year, language="zh_CN")  # type: ignore[no-untyped-call]


# The managers' overrides, year by year, kept per process until a day is saved or deleted
# (CoreConfig.ready connects OVERRIDES.changed to CalendarDay's post_save and post_delete).
OVERRIDES: ProcessCache[dict[int, dict[dt.date, CalendarDay]]] = ProcessCache(
    "core.calendar-overrides", load=dict
)


def _overrides_of(year: int) -> dict[dt.date, CalendarDay]:
    years = OVERRIDES.get()
    found = years.get(year)
    if found is None:
        found = {d.date: d for d in CalendarDay.objects.filter(date__year=year).order_by()}
        years[year] = found
    return found


class BusinessCalendar:
    """Working-time arithmetic. Build one per computation: it caches the overrides it reads."""

    def __init__(self, hours: WorkingHours | None = None, *, tz: str | None = None):
        self.hours = hours or WorkingHours()
        self.tz = ZoneInfo(tz or settings.TIME_ZONE)
        self._overrides: dict[int, dict[dt.date, CalendarDay]] = {}

    @classmethod
    def for_team(cls, team: HasWorkingHours | None) -> BusinessCalendar:
        return cls(WorkingHours.of_team(team))

    def with_hours(self, hours: WorkingHours) -> BusinessCalendar:
        """The same days (and the managers' overrides already read) with other working hours:
        one calendar answers for several teams."""
        other = BusinessCalendar(hours, tz=self.tz.key)
        other._overrides = self._overrides
        return other

    def _override(self, day: dt.date) -> CalendarDay | None:
        if day.year not in self._overrides:
            self._overrides[day.year] = _overrides_of(day.year)
        return self._overrides[day.year].get(day)

    def is_working_day(self, day: dt.date) -> bool:
        override = self._override(day)
        if override is not None:
            return override.kind == CalendarDayKind.WORKDAY
        return _statutory(day.year).is_working_day(day)

    def day_name(self, day: dt.date) -> str:
        """The holiday's name (国庆节, 休息日（由 2026-10-10 调休）) or a manager's name for the day, or ''.

        Adjusted working days (调休上班) have no name in the package; is_working_day() tells them.
        """
        override = self._override(day)
        if override is not None:
            return override.name
        return _statutory(day.year).get(day) or ""

    def holidays_between(self, start: dt.date, end: dt.date) -> list[Holiday]:
        """The festivals (节日) from `start` to `end`, each once at its first day off: the statutory
        ones with their lunar dates (农历除夕, 春节, 端午节, 中秋节 as well as 元旦, 清明节, 劳动节,
        国庆节) and the managers' named days off. The days added to a festival (清明节（补假）) and
        the rest days moved by 调休 (休息日（由 … 调休）) are no festival of their own and are left
        out. At most MAX_DAYS_SEARCHED days are read."""
        found: list[Holiday] = []
        last_seen: dict[str, dt.date] = {}
        day = start
        last = min(end, start + dt.timedelta(days=MAX_DAYS_SEARCHED - 1))
        while day <= last:
            name = "" if self.is_working_day(day) else self.day_name(day)
            if is_festival(name):
                seen = last_seen.get(name)
                if seen is None or (day - seen).days > FESTIVAL_DAYS:
                    found.append(Holiday(date=day, name=name))
                last_seen[name] = day
            day += dt.timedelta(days=1)
        return found

    def _window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return (
            dt.datetime.combine(day, self.hours.start, tzinfo=self.tz),
            dt.datetime.combine(day, self.hours.end, tzinfo=self.tz),
        )

    def _working_windows(
        self, start: dt.datetime, until: dt.date | None = None
    ) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Yield (window_start, window_end) of each working day from start's local date onwards:
        through `until` when given, else for at most MAX_DAYS_SEARCHED days (then CalendarError)."""
        day = start.astimezone(self.tz).date()
        last = until or day + dt.timedelta(days=MAX_DAYS_SEARCHED - 1)
        while day <= last:
            if self.is_working_day(day):
                yield self._window(day)
            day += dt.timedelta(days=1)
        if until is None:
            raise CalendarError(
                _(
                    "No deadline can be computed: the calendar has no working time in the next three years."
                )
            )

    def add_working_time(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The moment `duration` of working time after `start` (which must be aware).

        A positive duration always ends inside working hours: work that arrives at night starts
        counting at the next working morning.
        """
        _require_aware(start)
        if duration <= dt.timedelta(0):
            return start.astimezone(self.tz)
        remaining = duration
        cursor = start.astimezone(self.tz)
        for window_start, window_end in self._working_windows(cursor):
            cursor = max(cursor, window_start)
            if cursor >= window_end:
                continue
            available = window_end - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
        raise AssertionError("unreachable")  # _working_windows raises first

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time from `start` to `end` (zero if end is not after start), however far apart."""
        _require_aware(start, end)
        if end <= start:
            return dt.timedelta(0)
        total = dt.timedelta(0)
        start_local, end_local = start.astimezone(self.tz), end.astimezone(self.tz)
        for window_start, window_end in self._working_windows(start_local, until=end_local.date()):
            lo = max(window_start, start_local)
            hi = min(window_end, end_local)
            if hi > lo:
                total += hi - lo
        return total

    def is_working_time(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(self.tz)
        if not self.is_working_day(local.date()):
            return False
        window_start, window_end = self._window(local.date())
        return window_start <= local < window_end
