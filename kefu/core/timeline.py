"""Writing to the timeline: one call, in the caller's transaction."""

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from kefu.core.models import TimelineEntry


def record(
    *,
    subject: models.Model,
    kind: str,
    summary: str,
    actor: AbstractBaseUser | None = None,
    data: dict[str, Any] | None = None,
    is_internal: bool = False,
    occurred_at: dt.datetime | None = None,
    customer_id: int | None = None,
) -> TimelineEntry:
    entry = unsaved_entry(
        subject=subject,
        kind=kind,
        summary=summary,
        actor=actor,
        data=data,
        is_internal=is_internal,
        occurred_at=occurred_at,
        customer_id=customer_id,
    )
    entry.save()
    return entry


def unsaved_entry(
    *,
    subject: models.Model,
    kind: str,
    summary: str,
    actor: AbstractBaseUser | None = None,
    data: dict[str, Any] | None = None,
    is_internal: bool = False,
    occurred_at: dt.datetime | None = None,
    customer_id: int | None = None,
) -> TimelineEntry:
    """The entry `record` would write, not saved: for `record_many` (bulk writes, imports)."""
    entry = TimelineEntry(
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=str(subject.pk),
        kind=kind,
        summary=summary[:300],
        data=data or {},
        is_internal=is_internal,
        customer_id=customer_id,
    )
    # The user model is accounts.User, which core may not import (docs/layers.md); the stubs'
    # plugin types the foreign key by it.
    entry.actor = actor  # type: ignore[assignment]
    if occurred_at is not None:
        entry.occurred_at = occurred_at
    return entry


def record_many(entries: list[TimelineEntry]) -> None:
    """Write many entries in one statement per batch, in the caller's transaction."""
    TimelineEntry.objects.bulk_create(entries, batch_size=500)


def entries_for(subject: models.Model, *, include_internal: bool = True) -> QuerySet[TimelineEntry]:
    qs = TimelineEntry.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject), subject_id=str(subject.pk)
    ).select_related("actor")
    return qs if include_internal else qs.filter(is_internal=False)


def entries_for_customer(
    customer_id: int, *, kinds: list[str] | None = None
) -> QuerySet[TimelineEntry]:
    """A customer's whole history: entries about the customer and about their tickets, chats…"""
    qs = TimelineEntry.objects.filter(customer_id=customer_id).select_related("actor")
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return qs
