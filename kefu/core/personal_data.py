"""What personal data each app holds about a customer (PIPL 个人信息保护): one registry.

Each app that keeps data about customers registers a `Holder` from its `AppConfig.ready()` (its
`personal_data.py`): an exporter that lists what it holds about one customer (rows for JSON/CSV
files, and stored files), an eraser that removes or pseudonymises it while keeping what statistics
count (rows, states, times, durations), and optionally blockers (reasons an erasure must wait, such
as an open complaint). Retention kinds (chats older than N days, call recordings…) register the same
way. The privacy app builds the export zip, runs erasures and purges from these; core knows no app.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile

from kefu.core.errors import StrOrPromise

# What erased text is replaced with (stored, so in the product's first language).
ERASED = "[已删除]"


@dataclass(frozen=True)
class Table:
    """One file of the export: `name` (e.g. "calls") becomes calls.json and calls.csv."""

    name: str
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class StoredFile:
    """A stored file (attachment, photo) written into the export under `path`."""

    path: str
    file: FieldFile


@dataclass(frozen=True)
class Holder:
    name: str  # the holder, e.g. the app label
    label: StrOrPromise
    export: Callable[[Any], Iterable[Table | StoredFile]]
    # Erase the customer's data here; returns what was changed, by what ({"calls": 3}).
    erase: Callable[[Any], Mapping[str, int]]
    # Reasons (already translated) why the customer's data may not be erased now.
    blockers: Callable[[Any], list[str]] = field(default=lambda customer: [])
    order: int = 50  # erased in this order (the customer's own record last: order 100)
    # What rows outside the database know the customer by (mobiles, e-mail addresses, buyer ids),
    # read from every holder before any eraser runs.
    identifiers: Callable[[Any], set[str]] = field(default=lambda customer: set())
    # Erase the rows that hold one of those identifiers from the files this app keeps on disk
    # (uploads waiting to be imported); returns what was changed, as `erase`.
    erase_files: Callable[[frozenset[str]], Mapping[str, int]] = field(default=lambda terms: {})


@dataclass(frozen=True)
class RetentionKind:
    """Data of one kind kept for a limited time: `count(before)` what a purge would touch,
    `purge(before)` removes or pseudonymises it and returns how many."""

    name: str  # "chat_messages"
    label: StrOrPromise
    count: Callable[[dt.datetime], int]
    purge: Callable[[dt.datetime], int]


_holders: dict[str, Holder] = {}
_retention: dict[str, RetentionKind] = {}


def register(holder: Holder) -> None:
    _holders[holder.name] = holder


def register_retention(kind: RetentionKind) -> None:
    _retention[kind.name] = kind


def holders() -> list[Holder]:
    return sorted(_holders.values(), key=lambda h: (h.order, h.name))


def retention_kinds() -> list[RetentionKind]:
    return list(_retention.values())


def retention_kind(name: str) -> RetentionKind | None:
    return _retention.get(name)


# --- helpers for the apps' exporters and erasers ------------------------------------------------


def plain(value: Any) -> Any:
    """A value as JSON holds it."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, models.Model):
        return value.pk
    return value


def rows(qs: QuerySet[Any], fields: Iterable[str]) -> list[dict[str, Any]]:
    """The rows of `qs` as plain dicts of `fields` (related values with `__`), oldest first."""
    names = list(fields)
    return [
        {name: plain(value) for name, value in row.items()}
        for row in qs.order_by("pk").values(*names)
    ]


def files(qs: QuerySet[Any], folder: str, *, field_name: str = "file") -> list[StoredFile]:
    """The stored files of `qs` (rows with a FileField), each under folder/<id>-<name>."""
    found = []
    for obj in qs.order_by("pk"):
        stored = getattr(obj, field_name)
        if stored:
            name = str(getattr(obj, "name", "") or stored.name.rsplit("/", 1)[-1])
            found.append(StoredFile(path=f"{folder}/{obj.pk}-{name}", file=stored))
    return found


def delete_files(qs: QuerySet[Any], *, field_name: str = "file") -> int:
    """Delete the stored files of `qs` and then its rows; returns the number of rows."""
    count = 0
    for obj in qs:
        stored = getattr(obj, field_name)
        if stored:
            stored.delete(save=False)
        count += 1
    qs.delete()
    return count


def blank(qs: QuerySet[Any], **values: Any) -> int:
    """Overwrite personal fields of every row of `qs` (text → ERASED or ""); returns the count."""
    return int(qs.update(**values))


def quoting(entries: list[Any], terms: Iterable[str]) -> tuple[list[Any], int]:
    """A log's list of entries (an import report's rows: {"row": 2, "name": …, "errors": […]}) with
    each entry that quotes one of `terms` erased: it keeps its row number, its texts become ERASED.
    Returns the list and how many entries were erased."""
    wanted = [term for term in terms if term]
    erased = 0
    kept: list[Any] = []
    for entry in entries:
        text = json.dumps(entry, ensure_ascii=False, default=str)
        if isinstance(entry, dict) and any(term in text for term in wanted):
            entry = {
                key: value if key == "row" else [ERASED] if isinstance(value, list) else ERASED
                for key, value in entry.items()
            }
            erased += 1
        kept.append(entry)
    return kept, erased


def blank_quoting(qs: QuerySet[Any], terms: Iterable[str], *, field_name: str = "report") -> int:
    """Erase the entries of each row's JSON list `field_name` that quote one of `terms` (quoting());
    returns the number of entries erased. Reads every row of `qs`: for logs of few rows (imports)."""
    wanted = [term for term in terms if term]
    if not wanted:
        return 0
    count = 0
    for pk, entries in qs.values_list("pk", field_name):
        kept, erased = quoting(entries or [], wanted)
        if erased:
            qs.model._default_manager.filter(pk=pk).update(**{field_name: kept})
            count += erased
    return count


def retention_of(
    name: str,
    label: StrOrPromise,
    old: Callable[[dt.datetime], QuerySet[Any]],
    **erased: Any,
) -> RetentionKind:
    """A retention kind whose purge overwrites `erased` fields of the rows `old(before)` finds
    (rows older than the cut-off and not purged yet)."""
    return RetentionKind(
        name,
        label,
        count=lambda before: old(before).count(),
        purge=lambda before: blank(old(before), **erased),
    )
