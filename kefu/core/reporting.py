"""The shape in which an app declares its report figures (kefu/reports, docs/reports.md).

An app lists its figures in its own `report_figures.py`, as it lists its menu entries in
`navigation.py`:

    FIGURES = [
        Figure(
            key="example",
            label=_("Examples"),
            records="kefu.example.selectors.done_for_reports",  # () -> QuerySet of the records
            date_field="done_at",
            dimensions={"agent": Dimension("agent_id", ("agent__display_name", "agent__username"))},
            record_columns=(Column(_("Customer"), "customer__name"),),
            record_url="example:detail",
            record_access="kefu.example.selectors.visible_examples",  # (user) -> QuerySet
            order=60,
        ),
    ]

The reports app collects every installed app's `FIGURES` and computes each one with SQL aggregates
(a count, an average or a share, grouped by day or month and by one dimension); nothing here runs
a query. Core defines only the shapes, so neither core nor the reports app names the app that
declares a figure.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from kefu.core.errors import DomainError

Label = Any  # a str or a lazy translation (gettext_lazy)

# The days a period asked for by a client may cover: outside them a day turns into a datetime the
# time zone or the database cannot hold (0001-01-01 in Asia/Shanghai is before year 1 in UTC).
EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2100, 12, 31)


def checked_moments(start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """A period [start, end) of instants asked for by a client, as UTC: both with a time zone, end
    after start, within EARLIEST_DAY..LATEST_DAY (DomainError otherwise). In UTC because a client's
    offset may be one the database refuses (-19:42 is valid in Python, not in PostgreSQL)."""
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        raise DomainError(_("Give the period with time zones, its end after its start."))
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    if start.date() < EARLIEST_DAY or end.date() > LATEST_DAY:
        raise DomainError(
            _("The days must lie between %(earliest)s and %(latest)s.")
            % {"earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()}
        )
    return start, end


def checked_period(start: dt.date, end: dt.date, *, max_days: int = 366) -> None:
    """Refuse (DomainError, a 400 with the reason) a period of days from `start` to `end` that
    runs backwards, covers more than `max_days` days or lies outside EARLIEST_DAY..LATEST_DAY."""
    if end < start or (end - start).days > max_days:
        raise DomainError(
            _("Give a period of at most %(days)d days, its start on or before its end.")
            % {"days": max_days}
        )
    if start < EARLIEST_DAY or end > LATEST_DAY:
        raise DomainError(
            _("The days must lie between %(earliest)s and %(latest)s.")
            % {"earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()}
        )


@dataclass(frozen=True)
class Dimension:
    """A way to filter and to break a figure down: `path` is the lookup the records are filtered and
    grouped by (an id or a plain value); `labels` the lookups that name a group (the first non-empty
    one wins); `choices` the (value, label) pairs of a choices field."""

    path: str
    labels: tuple[str, ...] = ()
    choices: tuple[tuple[str, Label], ...] = ()
    options: str = ""  # dotted path of a function () -> [(value, label)] for the filter's list


@dataclass(frozen=True)
class Measure:
    """What a figure counts: `count` the records; `average` of `field`; `share` the percentage of the
    records matching `condition` (a Q object)."""

    kind: str = "count"  # count | average | share
    field: str = ""
    condition: Any = None  # django.db.models.Q for `share`
    digits: int = 0  # decimals shown


@dataclass(frozen=True)
class Column:
    """A column of the drill-down list: a label and a lookup (or the choices field's display)."""

    label: Label
    path: str
    choices: tuple[tuple[str, Label], ...] = ()


@dataclass(frozen=True)
class Figure:
    key: str  # unique, a URL part: /reports/<key>/
    label: Label
    records: str  # dotted path of a function () -> QuerySet of the records behind the figure
    date_field: str  # the instant that places a record in a period (stored UTC, cut in local days)
    dimensions: dict[str, Dimension] = field(default_factory=dict)
    measure: Measure = Measure()
    breakdown: str = ""  # the dimension shown by default under the chart
    record_columns: tuple[Column, ...] = ()
    record_url: str = ""  # URL name taking the record's pk (the record's own page)
    # dotted path of a function (user) -> QuerySet of the records `user` may open: the drill-down
    # links only those (a link to any other would answer 403 or 404)
    record_access: str = ""
    description: Label = ""
    unit: Label = ""
    perms: tuple[str, ...] = ()  # needed besides the right to read reports
    order: int = 50
    in_pack: bool = True  # part of the scheduled daily/weekly/monthly pack
    higher_is_better: bool = True
