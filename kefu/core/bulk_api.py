"""Bulk API calls (POST /api/v1/tickets/bulk, /api/v1/orders/bulk; Zendesk's create_many): up to
BULK_MAX items in one call and one transaction, each item checked alone by the same schema and the
same service rules as the one-by-one call, and answered item by item: a refused item is reported
with what the one-by-one call would have answered (422 for its shape, 400/409 for a rule) and the
others still go in. The call counts as many calls as it carries items against the rate limits
(kefu.core.ratelimit.charge)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import ValidationError

from kefu.core.errors import DomainError

BULK_MAX = 100

S = TypeVar("S", bound=Schema)


class BulkItemOut(Schema):
    index: int = Field(description="the item's place in `items`, from 0")
    status: int = Field(
        description="201 created, 200 already there (orders); else what the one-by-one call "
        "answers (400, 409, 422) and nothing of this item was written"
    )
    id: int | None = None
    number: str = ""
    detail: str = Field("", description="why the item was refused")


def refused(index: int, status: int, detail: str) -> dict[str, Any]:
    return {"index": index, "status": status, "detail": detail}


def refused_by_rule(index: int, error: DomainError) -> dict[str, Any]:
    # A rule's refusal of one field is a 422, as the one-by-one call answers it (kefu.api).
    return refused(index, 422 if error.field else error.status_code, error.message)


def checked_items(
    schema: type[S], items: list[Any]
) -> tuple[dict[int, S], dict[int, dict[str, Any]]]:
    """({index: the item as `schema`}, {index: its 422 result}) — each item validated alone."""
    good: dict[int, S] = {}
    bad: dict[int, dict[str, Any]] = {}
    for index, item in enumerate(items):
        try:
            good[index] = schema.model_validate(item)
        except ValidationError as error:
            fields = sorted(
                {".".join(str(part) for part in e.get("loc", ())) or "?" for e in error.errors()}
            )
            bad[index] = refused(
                index,
                422,
                _("Some values are missing or not valid: %(fields)s.")
                % {"fields": ", ".join(fields)},
            )
    return good, bad
