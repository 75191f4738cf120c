"""What can be exported: each app registers its exports here (`register(ExportKind(...))`, from its
AppConfig.ready), and the one export service (services.py) checks, masks, writes and audits them.

An export kind says what its columns are and which of them hold personal data (masked unless a
full-value export was chosen), how to read its filters from a page's query string, and how to
produce its rows for a user: `prepare(actor, filters)` returns the row count and the rows, lazily,
with personal values in full (the service masks them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.urls import reverse
from django.utils.functional import Promise

from kefu.accounts.masking import PersonalKind


@dataclass(frozen=True)
class ExportColumn:
    label: Promise | str
    personal: PersonalKind | None = None  # masked in a default export


@dataclass
class Prepared:
    """An export ready to be written: how many rows, and the rows themselves (read once, lazily)."""

    count: int
    rows: Iterable[list[Any]]


@dataclass(frozen=True)
class ExportKind:
    name: str  # "customers": the registry key, the audit entry's object type, part of URLs
    label: Promise | str  # 客户: what the audit log and the export pages call it
    title: Promise | str  # the sheet's title
    file_stem: Callable[[dict[str, Any]], str]  # filters -> the download's name without suffix
    columns: tuple[ExportColumn, ...]
    prepare: Callable[..., Prepared]  # prepare(actor=…, filters=…) -> Prepared
    parse_filters: Callable[[QueryDict], dict[str, Any]]  # a page's query string -> filters (JSON)
    view_perms: tuple[str, ...] = ()  # rights needed to see the data at all (besides exporting)
    formats: tuple[str, ...] = ("xlsx",)
    max_rows: int = 100_000
    too_many: Callable[[int], str] | None = None  # the message when a list is over max_rows
    page: str = "core:home"  # the URL name of the page the export is asked from (its filters kept)

    @property
    def personal_columns(self) -> list[ExportColumn]:
        return [c for c in self.columns if c.personal is not None]


def back_url(kind: ExportKind, query: QueryDict) -> str:
    """The page the export was asked from, with its filters (not the export's own parameters)."""
    query = query.copy()
    for key in ("format", "cursor"):
        query.pop(key, None)
    encoded = query.urlencode()
    return f"{reverse(kind.page)}?{encoded}" if encoded else reverse(kind.page)


_KINDS: dict[str, ExportKind] = {}


def register(kind: ExportKind) -> ExportKind:
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> ExportKind | None:
    return _KINDS.get(name)


def registered_kinds() -> list[ExportKind]:
    return sorted(_KINDS.values(), key=lambda k: k.name)
