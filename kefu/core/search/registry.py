"""Kinds of document: what an app indexes and how. See kefu/core/search/__init__.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Model, QuerySet


@dataclasses.dataclass(frozen=True)
class Document:
    """What one object says: `text` is segmented into words (subject, content…); `keywords` are
    identifiers found by any prefix (a name, a mobile, a number)."""

    text: Iterable[str] = ()
    keywords: Iterable[str] = ()


@dataclasses.dataclass(frozen=True)
class Kind:
    """A kind of document.

    name: unique, "<app label>.<model>" (shown by `kefu search_rebuild`).
    model: the indexed model.
    documents: its SearchDocument subclass (primary key = the indexed object's id).
    document: object → Document; it may read what `source` loads with it.
    source: the objects to index, with what `document` reads (select_related…); default: all.
    """

    name: str
    model: type[Model]
    documents: type[Model]
    document: Callable[[Any], Document]
    source: Callable[[], QuerySet[Any, Any]] | None = None

    def objects(self) -> QuerySet[Any, Any]:
        return self.source() if self.source is not None else self.model._default_manager.all()


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Register `kind` (from the app's AppConfig.ready()); registering it again replaces it."""
    pk = kind.documents._meta.pk
    if not (pk.is_relation and pk.related_model is kind.model):
        raise TypeError(
            f"{kind.documents.__name__}'s primary key must be a OneToOneField to {kind.model.__name__}"
        )
    _kinds[kind.name] = kind
    return kind


def kinds() -> list[Kind]:
    return list(_kinds.values())


def get(name: str) -> Kind:
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"no search kind {name!r}; known: {sorted(_kinds)}") from None
