"""Reading the figures: a report's filters from a query string, and each figure's total, its change
against the previous period, its series by day or month and its breakdown by one dimension — all
SQL aggregates (COUNT, AVG, COUNT FILTER) grouped in the database, never a loop over records.

Periods are local (Asia/Shanghai) days: [since 00:00, until + 1 day 00:00), stored instants being
UTC, so a ticket at 00:30 on the 1st belongs to that day and month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

from django.db import connection
from django.db.models import Aggregate, Avg, Count, F, Func, Model, QuerySet
from django.db.models.functions import TruncMonth
from django.http import QueryDict
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.accounts.models import User
from kefu.core.reporting import Dimension, Figure, Measure
from kefu.core.sql_time import LocalDate
from kefu.reports import facts
from kefu.reports.registry import records

# A figure's value: a count, or an average or a share (None where no record has one).
Value = int | float | None
# A row of grouped aggregates as the database returns it (`.values(...).annotate(...)`), or the
# aggregates of a whole period (`.aggregate(...)`): lookups and aggregate names to their values.
Row = Mapping[str, Any]


class Change(TypedDict):
    """The difference against the previous period and, where it means something, in percent."""

    delta: float | None
    percent: float | None


class Summary(Change):
    """A figure's total in the period and in the period before, with the change."""

    total: Value
    previous: Value


class Group(Change):
    """One row of a figure's breakdown: the group's drill-down key, its label, its value in the
    period and in the period before, with the change."""

    key: str
    label: str
    value: Value
    previous: Value


class Chart(TypedDict):
    """What the figure's page hands to ECharts."""

    title: str
    unit: str
    x: list[str]
    y: list[Value]
    bars: list[str]
    barValues: list[Value]  # camelCase: the name the page's script reads


class Record(TypedDict):
    """One record of a drill-down: its pk, its instant and its values for the figure's columns."""

    pk: int
    at: dt.datetime
    cells: list[object]


class RegionRow(TypedDict):
    key: str
    label: str
    values: list[Value]  # one per figure of the table, in its order


class RegionTable(TypedDict):
    level: str  # region | street
    figures: list[Figure]
    rows: list[RegionRow]


# The filters every report page offers; a figure that has no such dimension ignores the filter (the
# page says so).
FILTERS = ("region", "street", "channel", "team", "agent", "category", "level")
FILTER_LABELS = {
    "region": _("Province"),
    "street": _("Street"),
    "channel": _("Channel"),
    "team": _("Team"),
    "agent": _("Agent"),
    "category": _("Category"),
    "level": _("Customer level"),
    "department": _("Department"),
    "type": _("Type"),
    "source": _("Source"),
    # breakdowns of the orders, after-sales, dispatch and feedback figures
    "platform": _("Platform"),
    "state": _("State"),
    "kind": _("Kind"),
    "rating": pgettext_lazy("review", "Rating"),
    "outcome": _("Outcome"),
    "technician": _("Technician"),
    "area": _("Area"),
    "severity": _("Severity"),
    "reported_through": _("Reported through"),
}
PRESETS = {
    "today": _("Today"),
    "yesterday": _("Yesterday"),
    "week": _("This week"),
    "last_week": _("Last week"),
    "month": _("This month"),
    "last_month": _("Last month"),
    "30d": _("Last 30 days"),
    "year": _("This year"),
}
MAX_DAYS = 3660  # ten years and a little: longer periods are cut to the last ten years
DAILY_UP_TO = 62  # a longer period is charted by month
BREAKDOWN_ROWS = 50
NONE_KEY = "~"  # the drill-down key of records with no value (no agent, no category)
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)


@dataclass(frozen=True)
class ReportFilters:
    since: dt.date
    until: dt.date  # inclusive
    values: dict[str, str] = field(default_factory=dict)
    by: str = ""
    preset: str = ""
    note: str = ""

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def previous(self) -> ReportFilters:
        """The period of the same length just before."""
        until = self.since - dt.timedelta(days=1)
        return ReportFilters(
            since=until - dt.timedelta(days=self.days - 1),
            until=until,
            values=self.values,
            by=self.by,
        )

    def query(self, **extra: str) -> dict[str, str]:
        params = {"since": self.since.isoformat(), "until": self.until.isoformat()}
        params.update({k: v for k, v in self.values.items() if v})
        if self.by:
            params["by"] = self.by
        params.update({k: v for k, v in extra.items() if v})
        return params


def _date(value: object) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def preset_period(name: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    month = today.replace(day=1)
    monday = today - dt.timedelta(days=today.weekday())
    if name == "today":
        return today, today
    if name == "yesterday":
        return today - dt.timedelta(days=1), today - dt.timedelta(days=1)
    if name == "week":
        return monday, today
    if name == "last_week":
        return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)
    if name == "month":
        return month, today
    if name == "last_month":
        end = month - dt.timedelta(days=1)
        return end.replace(day=1), end
    if name == "30d":
        return today - dt.timedelta(days=29), today
    if name == "year":
        return today.replace(month=1, day=1), today
    return None


def parse_filters(query: Mapping[str, object], *, today: dt.date | None = None) -> ReportFilters:
    """The report's filters from a query string; anything unreadable falls back to the default (the
    last 30 days), never an error. Values are kept as text and only compared for equality."""
    today = today or timezone.localdate()
    preset = str(query.get("period") or "")
    note = ""
    period = preset_period(preset, today) if preset in PRESETS else None
    if period is None:
        preset = ""
        asked_since, asked_until = _date(query.get("since")), _date(query.get("until"))
        if asked_since is None and asked_until is None:
            preset = "30d"
            period = (today - dt.timedelta(days=29), today)
        else:
            first = asked_since or asked_until
            last = asked_until or asked_since
            assert first is not None and last is not None  # one of them was given
            period = (min(first, last), max(first, last))
            if (period[1] - period[0]).days + 1 > MAX_DAYS:
                period = (period[1] - dt.timedelta(days=MAX_DAYS - 1), period[1])
                note = str(_("The period was cut to the last ten years."))
    since, until = period
    values: dict[str, str] = {}
    for name in FILTERS:
        value = str(query.get(name) or "").replace("\x00", "").strip()[:60]
        if value:
            values[name] = value
    by = str(query.get("by") or "")[:20]
    return ReportFilters(
        since=since,
        until=until,
        values=values,
        by=by if by in FILTER_LABELS else "",
        preset=preset,
        note=note,
    )


def period_errors(query: Mapping[str, object]) -> dict[str, str]:
    """What the API refuses (422) where the pages fall back to the default period: a preset that is
    not one, or a date that cannot be read. Field name → message; empty when the period is usable."""
    errors: dict[str, str] = {}
    preset = str(query.get("period") or "")
    if preset and preset not in PRESETS:
        errors["period"] = str(
            _("Not a period; use one of: %(names)s.") % {"names": ", ".join(PRESETS)}
        )
    for name in ("since", "until"):
        value = str(query.get(name) or "")
        if value and _date(value) is None:
            errors[name] = str(
                _("Not a date: write it as YYYY-MM-DD, from %(first)s to %(last)s.")
                % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()}
            )
    return errors


def local_range(since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[since 00:00, the day after until 00:00) in local time, as aware instants."""
    start = timezone.make_aware(dt.datetime.combine(since, dt.time()))
    end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
    return start, end


# --- aggregates -------------------------------------------------------------------------------


def _aggregates(measure: Measure) -> dict[str, Aggregate]:
    if measure.kind == "average":
        return {"n": Count(measure.field), "v": Avg(measure.field)}
    if measure.kind == "share":
        return {"n": Count("pk"), "hit": Count("pk", filter=measure.condition)}
    return {"n": Count("pk")}


def _value(measure: Measure, row: Row) -> Value:
    """One group's figure from its aggregates (per group, not per record)."""
    n = row.get("n") or 0
    if measure.kind == "average":
        v = row.get("v")
        return None if v is None else round(float(v), measure.digits)
    if measure.kind == "share":
        return round(row.get("hit", 0) * 100.0 / n, measure.digits) if n else None
    return n


def change(current: Value, previous: Value) -> Change:
    """The difference and, where it means something, the percentage against the previous period."""
    if current is None or previous is None:
        return {"delta": None, "percent": None}
    delta = round(current - previous, 2)
    percent = round(delta * 100.0 / previous, 1) if previous else None
    return {"delta": delta, "percent": percent}


def applicable(figure: Figure, filters: ReportFilters) -> tuple[dict[str, str], list[str]]:
    """The filters the figure can apply, and the names of those it ignores."""
    used = {k: v for k, v in filters.values.items() if k in figure.dimensions}
    return used, [k for k in filters.values if k not in figure.dimensions]


def _dimension_q(dim: Dimension, value: str) -> dict[str, object]:
    if value == NONE_KEY:
        return {f"{dim.path}__isnull": True}
    return {dim.path: value}


def base(figure: Figure, filters: ReportFilters) -> QuerySet[Model]:
    start, end = local_range(filters.since, filters.until)
    qs = records(figure).filter(
        **{f"{figure.date_field}__gte": start, f"{figure.date_field}__lt": end}
    )
    used, _ignored = applicable(figure, filters)
    for name, value in used.items():
        if name in ("team", "agent", "category", "department") and not (
            value.isdigit() or value == NONE_KEY
        ):
            return qs.none()  # an id that cannot be one matches nothing
        qs = qs.filter(**_dimension_q(figure.dimensions[name], value))
    return qs


def total(figure: Figure, filters: ReportFilters) -> Value:
    combined = _from_facts(figure, filters, "", "total")
    if combined is not None:
        return _summed_value(figure.measure, combined.get("", {}))
    return _value(figure.measure, base(figure, filters).aggregate(**_aggregates(figure.measure)))


# --- daily facts (kefu/reports/facts.py) ------------------------------------------------------


def _summed_value(measure: Measure, sums: Row) -> Value:
    """A group's figure from the sums of facts and live rows (n, hit, total)."""
    n = sums.get("n") or 0
    if measure.kind == "average":
        summed = sums.get("total")
        return _value(measure, {"n": n, "v": None if not n or summed is None else summed / n})
    return _value(measure, {"n": n, "hit": sums.get("hit") or 0})


def _bucket_day(bucket: object) -> object:
    if isinstance(bucket, dt.datetime):
        zone = timezone.get_current_timezone()
        return (
            timezone.localtime(bucket, zone).date() if timezone.is_aware(bucket) else bucket.date()
        )
    return bucket


def _from_facts(
    figure: Figure, filters: ReportFilters, dimension: str, group: str
) -> dict[Any, dict[str, Any]] | None:
    """The figure's sums (n, hit, total) per group — "total" (one group, ""), "day", "month" or
    `dimension`'s values — from the daily facts of the untouched whole past days plus the records
    of today and of the touched days; None when the facts cannot answer (computed live then)."""
    used, _ignored = applicable(figure, filters)
    found = facts.facts_for(figure, used, dimension)
    if found is None:
        return None
    plan, chosen, rows = found
    cut = facts.split(figure, plan, filters.since, filters.until)
    if cut is None:
        return None
    sums: dict[Any, dict[str, Any]] = {}

    def add(key: object, row: Row) -> None:
        into = sums.setdefault(key, {"n": 0, "hit": 0, "total": None})
        into["n"] += row.get("n") or 0
        into["hit"] += row.get("hit") or 0
        if row.get("total") is not None:
            into["total"] = (into["total"] or 0) + float(row["total"])

    zone = timezone.get_current_timezone()
    lives = [base(figure, replace(filters, since=first, until=last)) for first, last in cut.live]
    live_sums = facts.aggregates(figure)
    fact_rows = rows.filter(cut.fact_days)
    if group == "total":
        if cut.has_facts:
            add("", fact_rows.aggregate(**facts.fact_sums()))
        for live in lives:
            add("", live.aggregate(**live_sums))
    elif group in ("day", "month"):
        if cut.has_facts:
            bucketed = (
                fact_rows.annotate(bucket=facts.month_of())
                if group == "month"
                else fact_rows.annotate(bucket=F("day"))
            )
            for row in bucketed.values("bucket").annotate(**facts.fact_sums()).order_by():
                add(_bucket_day(row["bucket"]), row)
        trunc = (TruncMonth if group == "month" else LocalDate)(figure.date_field, tzinfo=zone)
        for live in lives:
            for row in (
                live.annotate(bucket=trunc).values("bucket").annotate(**live_sums).order_by()
            ):
                add(_bucket_day(row["bucket"]), row)
    else:
        field = plan.dimensions[chosen][1]
        path = plan.dimensions[chosen][0].path
        if cut.has_facts:
            for row in fact_rows.values("key").annotate(**facts.fact_sums()).order_by():
                add(None if row["key"] is None else field.to_python(row["key"]), row)
        for live in lives:
            # Grouped by "+column" on SQLite: otherwise its planner walks the whole table in the
            # order of that column's index (to spare a sort) instead of the date range's rows.
            grouped = (
                live.annotate(group_key=Func(F(path), template="+%(expressions)s"))
                if connection.vendor == "sqlite"
                else live.annotate(group_key=F(path))
            )
            for row in grouped.values("group_key").annotate(**live_sums).order_by():
                add(row["group_key"], row)
    return sums


def _fact_labels(figure: Figure, name: str, keys: list[Any]) -> dict[Any, str]:
    """The labels of a breakdown's groups read from facts (the rows the keys point to)."""
    dim = figure.dimensions[name]
    rows: dict[Any, dict[str, Any]] = {key: {dim.path: key} for key in keys}
    plan = facts.plan(figure)
    known = [k for k in keys if k is not None]
    if plan is not None and dim.labels and known:
        field = plan.dimensions[name][1]
        related = field.related_model
        assert isinstance(related, type)  # _own_dimension keeps relations to a model only
        lookups = [label.split("__", 1)[1] for label in dim.labels]
        for found in related._base_manager.filter(pk__in=known).values("pk", *lookups):
            rows[found["pk"]].update(
                {label: found[lookup] for label, lookup in zip(dim.labels, lookups, strict=True)}
            )
    return {key: _label(dim, row) for key, row in rows.items()}


def _breakdown_from_facts(figure: Figure, filters: ReportFilters, name: str) -> list[Group] | None:
    current = _from_facts(figure, filters, name, name)
    if current is None:
        return None
    earlier = _from_facts(figure, filters.previous(), name, name)
    if earlier is None:
        return None
    nulls_first = connection.vendor != "postgresql"  # as ORDER BY puts them

    def order(item: tuple[Any, dict[str, Any]]) -> tuple[int, int, Any]:
        key, sums = item
        place = (0 if nulls_first else 2) if key is None else 1
        return (-(sums["n"] or 0), place, "" if key is None else key)

    top = sorted(current.items(), key=order)[:BREAKDOWN_ROWS]
    labels = _fact_labels(figure, name, [k for k, _s in top])
    table: list[Group] = []
    for key, sums in top:
        value = _summed_value(figure.measure, sums)
        before = (
            _summed_value(figure.measure, earlier[key])
            if key in earlier
            else (0 if figure.measure.kind == "count" else None)
        )
        table.append(
            {
                "key": NONE_KEY if key is None else str(key),
                "label": labels[key],
                "value": value,
                "previous": before,
                **change(value, before),
            }
        )
    return table


def monthly(filters: ReportFilters) -> bool:
    return filters.days > DAILY_UP_TO


def buckets(filters: ReportFilters) -> list[dt.date]:
    if not monthly(filters):
        return [filters.since + dt.timedelta(days=i) for i in range(filters.days)]
    months, month = [], filters.since.replace(day=1)
    while month <= filters.until:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def series(figure: Figure, filters: ReportFilters) -> list[tuple[dt.date, Value]]:
    """The figure by local day (or month, for a long period); days without records are 0 (None for
    an average or a share, which have no value then)."""
    zone = timezone.get_current_timezone()
    combined = _from_facts(figure, filters, "", "month" if monthly(filters) else "day")
    if combined is not None:
        empty = 0 if figure.measure.kind == "count" else None
        return [
            (day, _summed_value(figure.measure, combined[day]) if day in combined else empty)
            for day in buckets(filters)
        ]
    trunc = (TruncMonth if monthly(filters) else LocalDate)(figure.date_field, tzinfo=zone)
    rows = (
        base(figure, filters)
        .annotate(bucket=trunc)
        .values("bucket")
        .annotate(**_aggregates(figure.measure))
        .order_by("bucket")
    )
    found: dict[dt.date, Value] = {}
    for row in rows:
        bucket = row["bucket"]
        if isinstance(bucket, dt.datetime):
            bucket = (
                timezone.localtime(bucket, zone).date()
                if timezone.is_aware(bucket)
                else bucket.date()
            )
        found[bucket] = _value(figure.measure, row)
    empty = 0 if figure.measure.kind == "count" else None
    return [(day, found.get(day, empty)) for day in buckets(filters)]


def breakdown_dimension(figure: Figure, filters: ReportFilters) -> str:
    if filters.by in figure.dimensions:
        return filters.by
    return (
        figure.breakdown
        if figure.breakdown in figure.dimensions
        else next(iter(figure.dimensions), "")
    )


def _label(dim: Dimension, row: Row) -> str:
    value = row[dim.path]
    if dim.choices:
        return str(dict(dim.choices).get(value, value or "—"))
    for path in dim.labels:
        if row.get(path):
            return str(row[path])
    return str(value) if value not in (None, "") else "—"


def breakdown(figure: Figure, filters: ReportFilters) -> tuple[str, list[Group]]:
    """The figure by one dimension, largest first (at most BREAKDOWN_ROWS groups), each with its
    value in the previous period and the change."""
    name = breakdown_dimension(figure, filters)
    if not name:
        return "", []
    dim = figure.dimensions[name]
    from_facts = _breakdown_from_facts(figure, filters, name)
    if from_facts is not None:
        return name, from_facts
    aggregates = _aggregates(figure.measure)
    rows = list(
        base(figure, filters)
        .values(dim.path, *dim.labels)
        .annotate(**aggregates)
        .order_by("-n", dim.path)[:BREAKDOWN_ROWS]
    )
    keys = [r[dim.path] for r in rows]
    earlier: dict[object, Value] = {}
    if keys:
        known = [k for k in keys if k is not None]
        previous = base(figure, filters.previous())
        from django.db.models import Q

        condition = Q(**{f"{dim.path}__in": known})
        if None in keys:
            condition |= Q(**{f"{dim.path}__isnull": True})
        for r in previous.filter(condition).values(dim.path).annotate(**aggregates).order_by():
            earlier[r[dim.path]] = _value(figure.measure, r)
    table: list[Group] = []
    for r in rows:
        value = _value(figure.measure, r)
        before = earlier.get(r[dim.path], 0 if figure.measure.kind == "count" else None)
        table.append(
            {
                "key": NONE_KEY if r[dim.path] is None else str(r[dim.path]),
                "label": _label(dim, r),
                "value": value,
                "previous": before,
                **change(value, before),
            }
        )
    return name, table


@dataclass
class FigureResult:
    figure: Figure
    filters: ReportFilters
    total: Value
    previous: Value
    change: Change
    series: list[tuple[dt.date, Value]]
    by: str
    rows: list[Group]
    ignored: list[str]

    def chart(self) -> Chart:
        """What the page hands to ECharts (through json_script, never inline code)."""
        return {
            "title": str(self.figure.label),
            "unit": str(self.figure.unit),
            "x": [
                d.strftime("%Y-%m") if monthly(self.filters) else d.isoformat()
                for d, _v in self.series
            ],
            "y": [v for _d, v in self.series],
            "bars": [r["label"] for r in self.rows[:20]],
            "barValues": [r["value"] for r in self.rows[:20]],
        }


def summary(figure: Figure, filters: ReportFilters) -> Summary:
    """The total, the previous period's and the change: what the index and the pack show."""
    now, before = total(figure, filters), total(figure, filters.previous())
    return {"total": now, "previous": before, **change(now, before)}


def figure_result(figure: Figure, filters: ReportFilters) -> FigureResult:
    now = summary(figure, filters)
    by, rows = breakdown(figure, filters)
    return FigureResult(
        figure=figure,
        filters=filters,
        total=now["total"],
        previous=now["previous"],
        change={"delta": now["delta"], "percent": now["percent"]},
        series=series(figure, filters),
        by=by,
        rows=rows,
        ignored=applicable(figure, filters)[1],
    )


# --- drill-down ------------------------------------------------------------------------------

PAGE_SIZE = 50


def drill_filters(query: QueryDict, filters: ReportFilters) -> ReportFilters:
    """The records behind one point of the chart (?day= or ?month=) or one row of the table."""
    day = _date(query.get("day"))
    if day is None and query.get("month"):
        first = _date(f"{query.get('month')}-01")
        if first is not None:
            last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            return ReportFilters(
                since=max(first, filters.since),
                until=min(last, filters.until),
                values=filters.values,
                by=filters.by,
            )
    if day is not None and filters.since <= day <= filters.until:
        return ReportFilters(since=day, until=day, values=filters.values, by=filters.by)
    return filters


def drill_records(
    figure: Figure, filters: ReportFilters, *, key: str, page: int
) -> tuple[list[Record], bool]:
    """One page of the records behind the figure (newest first), with one more to say whether a
    next page exists; each row carries the record's values for the figure's columns."""
    qs = base(figure, filters)
    by = breakdown_dimension(figure, filters)
    if key and by:
        if by in ("team", "agent", "category", "department") and not (
            key.isdigit() or key == NONE_KEY
        ):
            qs = qs.none()
        else:
            qs = qs.filter(**_dimension_q(figure.dimensions[by], key))
    paths = [c.path for c in figure.record_columns]
    offset = (page - 1) * PAGE_SIZE
    rows = list(
        qs.order_by(f"-{figure.date_field}", "-pk").values("pk", figure.date_field, *paths)[
            offset : offset + PAGE_SIZE + 1
        ]
    )
    has_next = len(rows) > PAGE_SIZE
    shown: list[Record] = []
    for row in rows[:PAGE_SIZE]:
        cells: list[object] = []
        for column in figure.record_columns:
            value = row[column.path]
            if column.choices:
                value = dict(column.choices).get(value, value)
            cells.append("—" if value in (None, "") else value)
        shown.append({"pk": row["pk"], "at": row[figure.date_field], "cells": cells})
    return shown, has_next


def openable_records(figure: Figure, user: User, pks: list[int]) -> frozenset[int]:
    """Which of the drill-down's records `user` may open on their own page (one query)."""
    if not figure.record_url or not pks:
        return frozenset()
    if not figure.record_access:
        return frozenset(pks)
    visible: QuerySet[Model] = import_string(figure.record_access)(user)
    return frozenset(visible.filter(pk__in=pks).values_list("pk", flat=True))


def options(dim: Dimension | None) -> list[tuple[str, str]]:
    """The choices of a filter's list (empty: a free-text filter)."""
    if dim is None:
        return []
    if dim.choices:
        return [(str(v), str(label)) for v, label in dim.choices]
    if dim.options:
        listed: list[tuple[str, str]] = import_string(dim.options)()
        return listed
    return []


# --- region view -----------------------------------------------------------------------------

REGION_LEVELS = ("region", "street")


def region_table(figures: list[Figure], filters: ReportFilters, *, level: str) -> RegionTable:
    """Every figure that knows the customer's province or street, by that place: one row per place
    (the places of the first figure's largest groups first), one column per figure."""
    level = level if level in REGION_LEVELS else "region"
    shown = [f for f in figures if level in f.dimensions]
    by_place = ReportFilters(
        since=filters.since, until=filters.until, values=filters.values, by=level
    )
    labels: dict[str, str] = {}
    cells: dict[str, dict[str, Value]] = {}
    for figure in shown:
        _by, groups = breakdown(figure, by_place)
        for r in groups:
            labels.setdefault(r["key"], r["label"])
            cells.setdefault(r["key"], {})[figure.key] = r["value"]
    empty = {f.key: (0 if f.measure.kind == "count" else None) for f in shown}
    rows: list[RegionRow] = [
        {
            "key": key,
            "label": labels[key],
            "values": [{**empty, **cells[key]}[f.key] for f in shown],
        }
        for key in labels
    ]
    return {"level": level, "figures": shown, "rows": rows}
