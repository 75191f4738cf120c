"""Daily facts: each figure's sums per whole past local day, for the whole figure and per group of
each of its own-column dimensions (department, agent, category, channel, type …), so that a page
over a year reads a few hundred sums instead of scanning a year of records (issue 13.7).

How they stay identical to the live computation (kefu/reports/selectors.py):

- A figure has facts only if its records and its measure read the records' own table (no join,
  no subquery): `plan()`. Its dimensions with facts are its own columns and the *places*: a column
  of the row one of its foreign keys points to (the customer's province, street, level:
  `customer__street`; also a chat's inbox kind, a change request's order platform: `Place`). A
  dimension further away (an agent's team, `case__customer__street`) and a filter on one are
  computed live.
- Places follow the customer as the live path does: a report by street counts the records of the
  customers who live on that street *now*, not where they lived when the record was written (the
  records do not keep a copy of the address, and a report must not change its figures depending
  on whether a day was read from the facts or live). So a customer's move (a new province, street
  or level, an erasure that blanks them, a merge) makes every built day holding one of that
  customer's records out of date: a trigger on the customers' table, fired only when one of those
  columns changes, writes those records' instants to `TouchedInstant` as a write to the records
  would, and the refresh re-aggregates those days. An import that moves a hundred thousand
  customers marks many days: the pages are computed live (as before the facts) until the next
  refresh, never wrong.
- Facts are built only for the days up to the day before yesterday: `rebuild()` (the command
  `rebuild_report_facts`) builds every day of every figure up to it, and `refresh()` (every ten
  minutes, by the scheduler) extends each built figure's facts to it as days close. The last day
  built is `FactsBuilt.through`; yesterday, today and any later day (and any day after `through`,
  if the scheduler lags) are always computed live.
- Every insert, update and delete of that table writes the instants of the record's date columns,
  before and after, to `TouchedInstant` through a database trigger (installed after every
  migrate), so no write is missed, QuerySet.update() and bulk writes included — except NULLs and
  instants less than 20 hours old (below). A built day with such a mark is "touched": its facts are
  not read, the day is computed live, until `refresh()` re-aggregates it and removes its marks.
- A figure whose facts were never built, or whose definition changed since (`signature`), is
  computed live; the next refresh builds again the facts of a figure whose definition changed
  (after an upgrade), so they do not stay unused.

Why 20 hours: marks are needed only for instants in built days, i.e. days ≤ today − 2, and those
are older than 20 hours whenever a write happens. Such an instant is before the start of
yesterday, and the start of yesterday is at least 23 hours before the start of today (a local day
lasts 24 hours, 23 on the day a DST shift of at most an hour skips one, as in any zone with shifts
of ≤ 1 h; Asia/Shanghai has none), so it is more than 23 hours before now. The trigger compares
with the database's clock in SQL (`v < now − 20 h`: PostgreSQL's statement_timestamp(), SQLite's
'now' of the statement), which leaves three hours for a database clock behind the servers'. Since
a day is built only once it is ≤ today − 2, every later write that changes it is marked. So the
hot paths — a new ticket, an order, the chat writer updating a recent conversation again and
again — write no mark at all, and a change to an old record writes one per distinct instant. (The
one case left out: a transaction that writes a record of day D during day D + 1 and commits only
after the refresh of day D + 2 built D — a transaction open across midnight. Requests and tasks
do not live that long.)

So a page reads the facts for the untouched built days of its period, and computes the other days
with the same SQL as before: the figures are the live ones whatever the scheduler did, only
faster.
"""

# ruff: noqa: S608  the triggers' SQL names tables and columns from the models, never from input
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection, connections, transaction
from django.db.models import Aggregate, Count, Field, ForeignKey, Max, Model, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from kefu.core.reporting import Dimension, Figure
from kefu.core.sql_time import LocalDate
from kefu.reports.models import DailyFact, FactsBuilt, TouchedInstant
from kefu.reports.registry import figures, records

NONE_KEY = "~"  # as selectors.NONE_KEY: a filter on the records without a value
LIVE_DAYS = 2  # yesterday and today are always live: facts go up to today - LIVE_DAYS
RECENT = "20 hours"  # the triggers leave out instants newer than this (see above)
MAX_LIVE_RANGES = 40  # more touched stretches of days than this: the whole period live
REFRESH_BATCH = 20_000


@dataclass(frozen=True)
class Plan:
    """How a figure's facts are made: its records' model and table, the date column, and its
    dimensions that are a column of that table (name → (dimension, field))."""

    model: type[Model]
    table: str
    date_column: str
    dimensions: dict[str, tuple[Dimension, Field[Any, Any]]]  # a place's: the related column
    signature: str  # a hash of `definition`
    definition: str  # the SQL of the sums and what else defines the facts (_plan)
    places: dict[str, Place] = dataclasses.field(
        default_factory=dict
    )  # the dimensions that are places


@dataclass(frozen=True)
class Place:
    """A dimension that is a column of the row a foreign key of the records points to (the
    customer's street): `fk_column` of the records points to `target_column` of `table`, whose
    `column` is the place."""

    fk_column: str
    table: str
    target_column: str
    column: str


def aggregates(figure: Figure) -> dict[str, Aggregate]:
    """The sums a fact keeps: n, and hit (a share) or total (an average)."""
    measure = figure.measure
    if measure.kind == "average":
        return {"n": Count(measure.field), "total": Sum(measure.field)}
    if measure.kind == "share":
        return {"n": Count("pk"), "hit": Count("pk", filter=measure.condition)}
    return {"n": Count("pk")}


def _own_dimension(model: type[Model], dim: Dimension) -> Field[Any, Any] | None:
    """The records' column a dimension groups by, if it is one (and its labels are on the row the
    column points to, or it has none)."""
    if "__" in dim.path:
        return None
    try:
        field = model._meta.get_field(dim.path)
    except FieldDoesNotExist:
        return None
    if not getattr(field, "concrete", False):
        return None
    labelled_here = all(
        label.startswith(f"{field.name}__") and label.count("__") == 1 for label in dim.labels
    )
    if dim.labels and not (field.is_relation and labelled_here):
        return None
    return field  # type: ignore[return-value]


def _place_dimension(model: type[Model], dim: Dimension) -> tuple[Field[Any, Any], Place] | None:
    """The related column a dimension groups by, if it is a place: `fk__column`, a concrete
    foreign key of the records to a concrete plain column of the row it points to (no labels)."""
    parts = dim.path.split("__")
    if len(parts) != 2 or dim.labels:
        return None
    try:
        fk = model._meta.get_field(parts[0])
    except FieldDoesNotExist:
        return None
    if not (isinstance(fk, ForeignKey) and fk.concrete):
        return None
    related = fk.related_model
    assert isinstance(related, type) and issubclass(related, Model)
    try:
        column = related._meta.get_field(parts[1])
    except FieldDoesNotExist:
        return None
    if not isinstance(column, Field) or not column.concrete or column.is_relation:
        return None
    return column, Place(
        fk_column=str(fk.column),
        table=related._meta.db_table,
        target_column=str(fk.target_field.column),
        column=str(column.column),
    )


def _one_table(sql: str) -> bool:
    words = sql.upper()
    return " JOIN " not in words and words.count(" FROM ") == 1 and " EXISTS" not in words


def plan(figure: Figure) -> Plan | None:
    """How the figure's facts are made, or None: the figure is always computed live."""
    return _plan(figure.key)


@cache
def _plan(key: str) -> Plan | None:
    figure = next(f for f in figures() if f.key == key)
    queryset = records(figure)
    model = queryset.model
    try:
        date_field = model._meta.get_field(figure.date_field)
    except FieldDoesNotExist:
        return None
    if "__" in figure.date_field or not isinstance(date_field, Field):
        return None
    own = {
        name: (dim, field)
        for name, dim in figure.dimensions.items()
        if (field := _own_dimension(model, dim)) is not None
    }
    # What the facts are made of: the records' filter and the columns the sums read — also their
    # definition (`signature`), not every column of the table (a column a migration adds to the
    # records' model must not make every built day unusable).
    probe = queryset.values(figure.date_field, *(dim.path for dim, _f in own.values())).annotate(
        **aggregates(figure)
    )
    if not _one_table(str(probe.query)):
        return None
    places: dict[str, Place] = {}
    for name, dim in figure.dimensions.items():
        if name not in own and (found := _place_dimension(model, dim)) is not None:
            own[name] = (dim, found[0])
            places[name] = found[1]
    definition = repr(
        (
            str(probe.query),
            figure.date_field,
            figure.measure,
            sorted((name, dim.path) for name, (dim, _f) in own.items()),
        )
    )
    return Plan(
        model=model,
        table=model._meta.db_table,
        date_column=str(date_field.column),
        dimensions=own,
        signature=hashlib.sha256(definition.encode()).hexdigest(),
        definition=definition,
        places=places,
    )


def planned() -> list[tuple[Figure, Plan]]:
    return [(f, p) for f in figures() if (p := plan(f)) is not None]


# --- the triggers ---------------------------------------------------------------------------


def _columns_by_table() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for _figure, p in planned():
        columns = found.setdefault(p.table, [])
        if p.date_column not in columns:
            columns.append(p.date_column)
    return found


def trigger_sql(vendor: str, table: str, columns: list[str]) -> list[str]:
    """The statements that (re)create the trigger marking `table`'s changed instants."""
    q = connection.ops.quote_name
    touched = q(TouchedInstant._meta.db_table)
    name = f"reports_touch_{table}"
    if vendor == "postgresql":

        def insert(rows: Iterable[str]) -> str:
            values = ", ".join(f"({row}.{q(c)})" for row in rows for c in columns)
            return (
                f"INSERT INTO {touched} ({q('table')}, at) SELECT DISTINCT '{table}', v "
                f"FROM (VALUES {values}) AS t(v) "
                f"WHERE v < statement_timestamp() - interval '{RECENT}';"
            )

        return [
            f"CREATE OR REPLACE FUNCTION {q(name)}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF TG_OP = 'INSERT' THEN {insert(['NEW'])} "
            f"ELSIF TG_OP = 'UPDATE' THEN {insert(['OLD', 'NEW'])} "
            f"ELSE {insert(['OLD'])} END IF; RETURN NULL; END $$",
            f"DROP TRIGGER IF EXISTS {q(name)} ON {q(table)}",
            f"CREATE TRIGGER {q(name)} AFTER INSERT OR UPDATE OR DELETE ON {q(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION {q(name)}()",
        ]
    if vendor != "sqlite":
        return []

    def sqlite_insert(rows: Iterable[str]) -> str:
        # Datetimes are text 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC, as strftime writes them; UNION
        # (not ALL) writes an instant an update leaves as it was once.
        union = " UNION ".join(f"SELECT {row}.{q(c)} AS v" for row in rows for c in columns)
        return (
            f"INSERT INTO {touched} ({q('table')}, at) SELECT '{table}', v FROM ({union}) "
            f"WHERE v < strftime('%Y-%m-%d %H:%M:%f', 'now', '-{RECENT}');"
        )

    statements = []
    for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
        trigger = q(f"{name}_{event.lower()}")
        statements += [
            f"DROP TRIGGER IF EXISTS {trigger}",
            f"CREATE TRIGGER {trigger} AFTER {event} ON {q(table)} BEGIN {sqlite_insert(rows)} END",
        ]
    return statements


@dataclass
class Watched:
    """A related table whose place columns the facts read: the columns, and for each records'
    table pointing to it, (its foreign key column, the target column) → its date columns."""

    columns: list[str]
    records: dict[tuple[str, str, str], list[str]]


def _places_by_table() -> dict[str, Watched]:
    found: dict[str, Watched] = {}
    for _figure, p in planned():
        for place in p.places.values():
            watched = found.setdefault(place.table, Watched(columns=[], records={}))
            if place.column not in watched.columns:
                watched.columns.append(place.column)
            dates = watched.records.setdefault((p.table, place.fk_column, place.target_column), [])
            if p.date_column not in dates:
                dates.append(p.date_column)
    return found


PLACE_TRIGGER_PREFIX = "reports_place_"


def place_trigger_sql(vendor: str, table: str, watched: Watched) -> list[str]:
    """The statements that (re)create the trigger on a related table (the customers) marking the
    instants of the records pointing to a row whose place columns changed (a customer's move)."""
    q = connection.ops.quote_name
    touched = q(TouchedInstant._meta.db_table)
    name = f"{PLACE_TRIGGER_PREFIX}{table}"
    changed = " OR ".join(
        f"OLD.{q(c)} IS DISTINCT FROM NEW.{q(c)}"
        if vendor == "postgresql"
        else f"OLD.{q(c)} IS NOT NEW.{q(c)}"
        for c in watched.columns
    )

    def union(records: str, fk: str, target: str, dates: list[str]) -> str:
        return " UNION ".join(
            f"SELECT {q(d)} AS v FROM {q(records)} WHERE {q(fk)} = OLD.{q(target)}" for d in dates
        )

    if vendor == "postgresql":
        inserts = " ".join(
            f"INSERT INTO {touched} ({q('table')}, at) SELECT DISTINCT '{records}', v "
            f"FROM ({union(records, fk, target, dates)}) AS t "
            f"WHERE v < statement_timestamp() - interval '{RECENT}';"
            for (records, fk, target), dates in watched.records.items()
        )
        return [
            f"CREATE OR REPLACE FUNCTION {q(name)}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {inserts} RETURN NULL; END $$",
            f"DROP TRIGGER IF EXISTS {q(name)} ON {q(table)}",
            f"CREATE TRIGGER {q(name)} AFTER UPDATE ON {q(table)} FOR EACH ROW "
            f"WHEN ({changed}) EXECUTE FUNCTION {q(name)}()",
        ]
    if vendor != "sqlite":
        return []
    inserts = " ".join(
        f"INSERT INTO {touched} ({q('table')}, at) SELECT '{records}', v "
        f"FROM ({union(records, fk, target, dates)}) "
        f"WHERE v < strftime('%Y-%m-%d %H:%M:%f', 'now', '-{RECENT}');"
        for (records, fk, target), dates in watched.records.items()
    )
    columns = ", ".join(q(c) for c in watched.columns)
    return [
        f"DROP TRIGGER IF EXISTS {q(name)}",
        f"CREATE TRIGGER {q(name)} AFTER UPDATE OF {columns} ON {q(table)} "
        f"WHEN {changed} BEGIN {inserts} END",
    ]


def install_triggers(using: str = "default") -> None:
    """(Re)create the triggers over the tables the database has now (after a migrate backwards
    some records' tables are gone: a place trigger then reads only the ones left)."""
    db = connections[using]
    present = set(db.introspection.table_names())
    with db.cursor() as cursor:
        for table, columns in _columns_by_table().items():
            if table in present:
                for statement in trigger_sql(db.vendor, table, columns):
                    cursor.execute(statement)
        for table, watched in _places_by_table().items():
            records = {key: dates for key, dates in watched.records.items() if key[0] in present}
            if table in present and records:
                kept = Watched(columns=watched.columns, records=records)
                for statement in place_trigger_sql(db.vendor, table, kept):
                    cursor.execute(statement)


def place_triggers(using: str = "default") -> list[tuple[str, str]]:
    """The place triggers the database has now: (trigger, table)."""
    db = connections[using]
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            cursor.execute(
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                [f"{PLACE_TRIGGER_PREFIX}%"],
            )
        elif db.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgname LIKE %s",
                [f"{PLACE_TRIGGER_PREFIX}%"],
            )
        else:
            return []
        return [(name, table) for name, table in cursor.fetchall()]


def drop_place_triggers(using: str = "default") -> None:
    """Remove the place triggers (before a migrate: SQLite checks every trigger naming a table
    when a migration remakes that table, and a place trigger on the customers names the records'
    tables, the remade one missing for a moment then); `install_triggers` puts them back after it.
    The records' own triggers name only the facts' table and stay, so a data migration's writes to
    records are still marked; a customer's move written by a migration is not, so such a
    migration must rebuild the facts it moves (`rebuild`)."""
    db = connections[using]
    q = db.ops.quote_name
    with db.cursor() as cursor:
        for name, table in place_triggers(using):
            on = f" ON {q(table)}" if db.vendor == "postgresql" else ""
            cursor.execute(f"DROP TRIGGER IF EXISTS {q(name)}{on}")


# --- building -------------------------------------------------------------------------------


def _local_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _stretches(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Sorted days as stretches of consecutive days (first, last)."""
    found: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if found and day == found[-1][1] + dt.timedelta(days=1):
            found[-1] = (found[-1][0], day)
        else:
            found.append((day, day))
    return found


def _key(value: object) -> str | None:
    return None if value is None else str(value)


def _facts(figure: Figure, p: Plan, first: dt.date, last: dt.date) -> list[DailyFact]:
    zone = timezone.get_current_timezone()
    period = records(figure).filter(
        **{
            f"{figure.date_field}__gte": _local_start(first),
            f"{figure.date_field}__lt": _local_start(last + dt.timedelta(days=1)),
        }
    )
    by_day = period.annotate(fact_day=LocalDate(figure.date_field, tzinfo=zone))
    made: list[DailyFact] = []
    groupings: list[tuple[str, str | None]] = [("", None)]
    groupings += [(name, dim.path) for name, (dim, _f) in p.dimensions.items()]
    for dimension, path in groupings:
        fields = ("fact_day", path) if path else ("fact_day",)
        for row in by_day.values(*fields).annotate(**aggregates(figure)).order_by():
            made.append(
                DailyFact(
                    figure=figure.key,
                    day=row["fact_day"],
                    dimension=dimension,
                    key=_key(row[path]) if path else None,
                    n=row["n"],
                    hit=row.get("hit") or 0,
                    total=None if row.get("total") is None else float(row["total"]),
                )
            )
    return made


def build_days(figure: Figure, p: Plan, days: Iterable[dt.date]) -> int:
    """Aggregate these past days of the figure again; the number of facts written."""
    written = 0
    with transaction.atomic():
        for first, last in _stretches(days):
            DailyFact.objects.filter(figure=figure.key, day__gte=first, day__lte=last).delete()
            made = _facts(figure, p, first, last)
            DailyFact.objects.bulk_create(made, batch_size=2000)
            written += len(made)
    return written


def last_built_day(today: dt.date | None = None) -> dt.date:
    """The last day facts are built for: the day before yesterday (later days are live)."""
    return (today or timezone.localdate()) - dt.timedelta(days=LIVE_DAYS)


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def rebuild(keys: Iterable[str] = (), *, today: dt.date | None = None) -> dict[str, int]:
    """Build every day of the figures (all that can have facts, or those named) up to the day
    before yesterday: facts written per figure. Safe while the server runs: a figure's days are
    replaced in one transaction, and the pages compute it live until its facts are marked built."""
    through = last_built_day(today)
    chosen = set(keys)
    end = _local_start(through + dt.timedelta(days=1))
    # Marks written from now on (changes while the facts are built) stay, to be refreshed.
    seen = TouchedInstant.objects.aggregate(last=Max("id"))["last"]
    written: dict[str, int] = {}
    for figure, p in planned():
        if chosen and figure.key not in chosen:
            continue
        dates = records(figure).filter(**{f"{figure.date_field}__lt": end})
        earliest = dates.order_by(figure.date_field).values_list(figure.date_field, flat=True)[:1]
        with transaction.atomic():
            DailyFact.objects.filter(figure=figure.key).delete()
            made = 0
            if earliest:
                first = timezone.localtime(earliest[0]).date()
                made = build_days(figure, p, _days(first, through))
            FactsBuilt.objects.update_or_create(
                figure=figure.key,
                defaults={"signature": p.signature, "built_at": timezone.now(), "through": through},
            )
        written[figure.key] = made
    if not chosen and seen is not None:
        # The built days are done with their marks (later days' stay, for the refresh).
        TouchedInstant.objects.filter(at__lt=end, id__lte=seen).delete()
    return written


def _changed_definitions() -> list[str]:
    """The figures whose facts were built for a definition they no longer have."""
    built = dict(FactsBuilt.objects.values_list("figure", "signature"))
    return [
        figure.key
        for figure, p in planned()
        if figure.key in built and built[figure.key] != p.signature
    ]


def refresh(*, today: dt.date | None = None) -> int:
    """Extend every built figure's facts to the day before yesterday (building the days closed
    since), re-aggregate its touched built days and drop their marks (the scheduler's task); the
    number of (table, day) pairs done."""
    through = last_built_day(today)
    end = _local_start(through + dt.timedelta(days=1))
    changed = _changed_definitions()
    if changed:  # built once, for a definition changed since (an upgrade): built again
        rebuild(changed, today=today)
    built = {
        figure: (signature, last)
        for figure, signature, last in FactsBuilt.objects.values_list(
            "figure", "signature", "through"
        )
    }
    current = [
        (figure, p, last)
        for figure, p in planned()
        if (found := built.get(figure.key)) and found[0] == p.signature and (last := found[1])
    ]
    done = 0
    extended = False
    while True:
        # Marks read before the days are built: those written meanwhile stay for the next round.
        marks = list(
            TouchedInstant.objects.filter(at__lt=end)
            .order_by("id")
            .values_list("id", "table", "at")[:REFRESH_BATCH]
        )
        if not marks and extended:
            return done
        days: dict[str, set[dt.date]] = {}
        for _id, table, at in marks:
            days.setdefault(table, set()).add(timezone.localtime(at).date())
        for figure, p, last in current:
            todo = set(days.get(p.table, ()))
            if not extended and last < through:
                todo.update(_days(last + dt.timedelta(days=1), through))
            if todo:
                with transaction.atomic():
                    build_days(figure, p, todo)
                    FactsBuilt.objects.filter(figure=figure.key, signature=p.signature).update(
                        through=max(last, through)
                    )
        extended = True
        done += sum(len(d) for d in days.values())
        ids = [m[0] for m in marks]
        for i in range(0, len(ids), 500):
            TouchedInstant.objects.filter(id__in=ids[i : i + 500]).delete()


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """A period cut in two: the facts' days (untouched built days) and the stretches of days read
    live from the records (touched days, the days after the last built one: yesterday, today and
    later days), all within [since, until]."""

    fact_days: Q  # on DailyFact.day
    live: list[tuple[dt.date, dt.date]]  # (first, last) days, each read with its own date range
    has_facts: bool


def split(figure: Figure, p: Plan, since: dt.date, until: dt.date) -> Split | None:
    """None when the figure must be computed live (no facts built for its definition, or too many
    touched stretches)."""
    through = (
        FactsBuilt.objects.filter(figure=figure.key, signature=p.signature)
        .values_list("through", flat=True)
        .first()
    )
    if through is None:
        return None
    last_fact_day = min(until, through)
    if last_fact_day < since:
        return Split(fact_days=Q(pk__in=[]), live=[(since, until)], has_facts=False)
    at = TouchedInstant.objects.filter(
        table=p.table,
        at__gte=_local_start(since),
        at__lt=_local_start(last_fact_day + dt.timedelta(days=1)),
    )
    zone = timezone.get_current_timezone()
    touched = set(
        at.annotate(d=LocalDate("at", tzinfo=zone)).values_list("d", flat=True).distinct()
    )
    live = _stretches(touched)
    if len(live) > MAX_LIVE_RANGES:
        return None
    if until > last_fact_day:  # days not built (yesterday, today, …) are in the period
        live.append((last_fact_day + dt.timedelta(days=1), until))
    fact_days = Q(day__gte=since, day__lte=last_fact_day) & ~Q(day__in=sorted(touched))
    return Split(fact_days=fact_days, live=live, has_facts=True)


def fact_key(field: Field[Any, Any], value: str) -> str | bool | None:
    """A filter's value as the facts keep it: None for NONE_KEY, False if no record can have it."""
    if value == NONE_KEY:
        return None
    try:
        return str(field.to_python(value))
    except (ValidationError, TypeError, ValueError):
        return False


def facts_for(
    figure: Figure, used: dict[str, str], dimension: str
) -> tuple[Plan, str, QuerySet[DailyFact]] | None:
    """The figure's facts for a set of used filters, grouped later by `dimension` (a breakdown's
    name, or "" for totals and series): None when facts cannot answer (two dimensions at once, a
    dimension through another table)."""
    p = plan(figure)
    if p is None:
        return None
    names = set(used) | ({dimension} if dimension else set())
    if len(names) > 1 or not names <= set(p.dimensions):
        return None
    chosen = next(iter(names), "")
    facts = DailyFact.objects.filter(figure=figure.key, dimension=chosen)
    if chosen in used:
        key = fact_key(p.dimensions[chosen][1], used[chosen])
        if key is False:
            return None
        facts = facts.filter(key__isnull=True) if key is None else facts.filter(key=key)
    return p, chosen, facts


def fact_sums() -> dict[str, Aggregate]:
    return {"n": Sum("n"), "hit": Sum("hit"), "total": Sum("total")}


def month_of(day_field: str = "day") -> TruncMonth:
    return TruncMonth(day_field)
