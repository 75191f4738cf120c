"""API shapes of personal-data rights."""

import datetime as dt
from typing import Any

from ninja import Field, Schema


class ExportIn(Schema):
    customer_id: int = Field(..., ge=1, le=2**31 - 1)
    reason: str = Field(..., min_length=1, max_length=200)


class ExportOut(Schema):
    id: int
    customer_id: int | None
    created_at: dt.datetime
    size: int
    download_url: str | None


class ErasureIn(Schema):
    customer_id: int = Field(..., ge=1, le=2**31 - 1)
    reason: str = Field(..., min_length=1, max_length=200)
    wait_for_blockers: bool = False


class ErasureOut(Schema):
    id: int
    customer_id: int | None
    state: str
    blocked_reason: str
    counts: dict[str, Any]
    created_at: dt.datetime
    completed_at: dt.datetime | None


class RetentionOut(Schema):
    kind: str
    label: str
    days: int | None
    enabled: bool
    due: int | None


class RetentionIn(Schema):
    days: int = Field(..., ge=1, le=36500)
    enabled: bool = False


class PurgeOut(Schema):
    purged: dict[str, int]  # by data kind, for the enabled rules
