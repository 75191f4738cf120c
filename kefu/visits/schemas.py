"""API shapes of return visits."""

import datetime as dt

from ninja import Field, Schema


class PlanOut(Schema):
    id: int
    number: str
    title: str
    purpose: str
    channel: str
    period_start: dt.date
    period_end: dt.date
    rules: dict
    planned_count: int
    state: str
    state_label: str
    selected_count: int
    issued_count: int


class PlanPage(Schema):
    items: list[PlanOut]
    next_cursor: int | None


class VisitOut(Schema):
    id: int
    campaign_id: int | None
    customer_id: int
    customer_name: str
    assignee_id: int
    source: str
    channel: str
    state: str
    scheduled_at: dt.datetime
    due_at: dt.datetime


class VisitPage(Schema):
    items: list[VisitOut]
    next_cursor: int | None


class RecordIn(Schema):
    reached: bool
    unreached_reason: str = Field("", max_length=20)
    satisfaction: str = Field("", max_length=12)
    product_opinion: str = Field("", max_length=500)
    service_opinion: str = Field("", max_length=500)
    suggestions: str = Field("", max_length=500)
    next_contact_at: dt.datetime | None = None
    call_id: int | None = Field(None, ge=1, le=2**63 - 1)


class RecordOut(Schema):
    visit_id: int
    reached: bool
    unreached_reason: str
    satisfaction: str
    product_opinion: str
    service_opinion: str
    suggestions: str
    next_contact_at: dt.datetime | None
    call_id: int | None
    complaint_id: int | None
    recorded_by_id: int
    recorded_at: dt.datetime


class FiguresOut(Schema):
    visits_done: int
    reached: int
    reached_rate: float | None
    satisfaction: dict[str, int]
    satisfied_rate: float | None
