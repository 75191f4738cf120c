import datetime as dt

from ninja import Field, Schema


class WorkOrderIn(Schema):
    customer_id: int | None = Field(
        None, description="needed unless a ticket, call or chat is given"
    )
    ticket_id: int | None = None
    call_id: int | None = None
    conversation_id: int | None = None
    address: str = Field(max_length=200)
    area: str = Field("", max_length=40)
    contact_mobile: str = Field("", max_length=20, description="empty: the customer's mobile")
    problem: str = Field(max_length=2000)
    skills: str = Field("", max_length=200)
    materials: str = Field("", max_length=1000)
    appointment_start: dt.datetime = Field(
        description="on a working day between 08:00 and 20:00 (Asia/Shanghai), not in the past"
    )
    appointment_end: dt.datetime
    technician_id: int = Field(description="an active department user")


class ProgressIn(Schema):
    step: str = Field(description="accept, set_off, arrive, complete or fail, in this order")
    note: str = Field("", max_length=2000, description="complete: what was done; fail: why")
    materials_used: str = Field("", max_length=500)
    confirmed_by: str = Field("", max_length=60, description="complete: the customer who confirmed")
    version: int | None = Field(None, description="a stale version answers 409")


class WorkOrderOut(Schema):
    id: int
    number: str
    state: str
    state_label: str
    customer_id: int
    address: str
    area: str
    problem: str
    skills: str
    materials: str
    appointment_start: dt.datetime
    appointment_end: dt.datetime
    arrival_due_at: dt.datetime
    completion_due_at: dt.datetime
    technician_id: int
    source: str
    ticket_id: int | None
    call_id: int | None
    conversation_id: int | None
    accepted_at: dt.datetime | None
    departed_at: dt.datetime | None
    arrived_at: dt.datetime | None
    completed_at: dt.datetime | None
    failed_at: dt.datetime | None
    failure_reason: str
    completion_note: str
    materials_used: str
    confirmed_by: str
    visit_due_at: dt.datetime | None = Field(
        description="派工回访: three working days after completion"
    )
    visited_at: dt.datetime | None
    satisfaction: int | None
    created_at: dt.datetime
    version: int
    next_steps: list[str] = Field(description="the steps the caller may take now")


class WorkOrderPage(Schema):
    items: list[WorkOrderOut]
    next_cursor: int | None


class PhotoOut(Schema):
    id: int
    name: str
    content_type: str
    size: int


class FiguresOut(Schema):
    created: int
    by_state: dict[str, int]
    done: int
    arrived_late: int
    completed_late: int
    failed: int
    visited: int
    visited_on_time: int
    mean_satisfaction: float | None
