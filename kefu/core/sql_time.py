"""Two computations on stored instants that Django's SQLite backend does in Python, row by row, done
in SQL: the local day of an instant (`LocalDate`) and the time between two (`Elapsed`).

**The local day.**
`TruncDate(field, tzinfo=zone)` is what every report groups by. PostgreSQL computes it in SQL;
Django's SQLite backend calls a Python function for every row (it parses the text, converts the
zone with zoneinfo, formats the date), which was 1.9 s of a 2.2 s grouping of 250,000 tickets by day
(bench/README.md). Asia/Shanghai has had one offset from UTC (+08:00) since September 1991, so for
the instants since then the local day is SQLite's own `date(field, '+28800 seconds')`: the same
date, about six times cheaper. `LocalDate` is TruncDate with that one difference: on SQLite, when the
zone keeps one offset from some instant on, rows from that instant are computed in SQL and older ones
(if any) by Django's function, so every row gets exactly the date TruncDate gives.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from django.db.models import DurationField, Func
from django.db.models.expressions import TemporalSubtraction
from django.db.models.functions import TruncDate
from django.utils import timezone

# Through when the zone's offset is checked: a later change of the zone's rules would need a new
# tzdata, and the check runs again in each process.
CHECKED_UNTIL = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)  # a zone of one offset since: every row in SQL


@cache
def fixed_offset_since(zone: dt.tzinfo) -> tuple[dt.datetime, int] | None:
    """(the instant from which `zone` keeps one UTC offset through CHECKED_UNTIL, that offset in
    seconds), or None when its offset changes in the next year (daylight saving)."""
    probe = CHECKED_UNTIL
    offset = probe.astimezone(zone).utcoffset()
    assert offset is not None
    step = dt.timedelta(days=7)
    # Walk back a week at a time while the offset stays; zones change it at most a few times a year.
    while probe > EARLIEST:
        earlier = probe - step
        if earlier.astimezone(zone).utcoffset() != offset:
            # The change is in the week before `probe`: back an hour at a time to it.
            for _hour in range(24 * 7):
                if (probe - dt.timedelta(hours=1)).astimezone(zone).utcoffset() != offset:
                    break
                probe -= dt.timedelta(hours=1)
            break
        probe = earlier
    if CHECKED_UNTIL - probe < dt.timedelta(days=366 * 2):
        return None
    return probe, int(offset.total_seconds())


class LocalDate(TruncDate):
    """TruncDate(field, tzinfo=zone): the date in `zone` (by default the current zone)."""

    def as_sqlite(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        zone = self.tzinfo or timezone.get_current_timezone()
        fixed = fixed_offset_since(zone)
        python_sql, python_params = self.as_sql(compiler, connection)
        if fixed is None:
            return python_sql, tuple(python_params)
        since, seconds = fixed
        field_sql, field_params = compiler.compile(self.lhs)
        # Stored instants are UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]': compared as text, and the
        # fraction cut before date(), which rounds it to milliseconds (23:59:59.9999 would be the
        # next day).
        since_text = since.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
        return (
            f"CASE WHEN {field_sql} >= %s THEN date(substr({field_sql}, 1, 19), %s) "
            f"ELSE {python_sql} END",
            (
                *field_params,
                since_text,
                *field_params,
                f"{seconds:+d} seconds",
                *python_params,
            ),
        )


class Elapsed(Func):
    """`end` − `start` as a duration, what `ExpressionWrapper(F(end) - F(start),
    output_field=DurationField())` gives. PostgreSQL subtracts in SQL; on SQLite Django calls a
    Python function for each row (django_timestamp_diff parses both texts: 5 of the 6 seconds of
    the 92-day chat statistics, bench/README.md). Here, on SQLite: the whole seconds from
    julianday() of the texts cut to the second (a day count in a double, exact to the millisecond,
    so the difference times 86,400 rounds to the exact whole seconds; strftime('%s') gave the same
    but formats a text per value, and made the 92-day statistics' grouping of 250,000 chats 1.06 s
    against 0.83 s) and the microseconds from the text ('YYYY-MM-DD HH:MM:SS.ffffff', the fraction
    absent when zero), in integer microseconds as that function gives them — exact, NULL when
    either is."""

    arity = 2
    output_field = DurationField()

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> tuple[str, Any]:
        end, start = self.get_source_expressions()
        return TemporalSubtraction(end, start).as_sql(compiler, connection)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:
        (end, end_params), (start, start_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        sql = (
            f"(CAST(round((julianday(substr({end}, 1, 19)) - julianday(substr({start}, 1, 19)))"
            f" * 86400) AS INTEGER) * 1000000 + (CAST(substr({end}, 21, 6) AS INTEGER)"
            f" - CAST(substr({start}, 21, 6) AS INTEGER)))"
        )
        return sql, (*end_params, *start_params, *end_params, *start_params)
