import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from kefu.core.bulk_api import BulkItemOut


class TicketIn(Schema):
    type: str = Field(
        description="consultation, complaint, suggestion, after_sales, dispatch or feedback"
    )
    subject: str = Field(max_length=200)
    content: str = Field("", max_length=4000)
    customer_id: int | None = Field(None, ge=1, le=2**31 - 1)
    channel: str = "api"
    category_id: int | None = Field(None, ge=1, le=2**31 - 1)
    priority: str = "normal"
    complainant: str = Field("", max_length=60)


class TicketsBulkIn(Schema):
    items: list[Any] = Field(
        min_length=1,
        max_length=100,
        description="1 to 100 tickets, each as the body of POST /tickets, checked one by one",
    )


class TicketsBulkOut(Schema):
    created: int
    results: list[BulkItemOut]


class TicketOut(Schema):
    id: int
    number: str
    type: str
    state: str
    state_label: str
    priority: str
    channel: str
    subject: str
    content: str
    customer_id: int | None
    category_id: int | None
    category: str
    department_id: int | None
    assignee_id: int | None
    handler_id: int | None = Field(
        description="处理人: the responsible department's staff member handling a routed ticket"
    )
    complainant: str
    validity: str
    cause: str
    resolution_plan: str
    return_visit_outcome: str
    return_visit_due_at: dt.datetime | None = Field(
        description="三天之内回访: three working days after the plan was carried out"
    )
    summary_evaluation: str = Field(description="总结评价, recorded when a complaint closes")
    resolution_cost: Decimal | None = Field(description="处理代价 in yuan, recorded on closing")
    satisfaction: int | None = Field(
        description="The return visit's satisfaction, 1 (非常不满意) to 5 (非常满意), the scale of every channel"
    )
    answer: str
    first_response_due_at: dt.datetime | None
    stage_due_at: dt.datetime | None
    resolve_due_at: dt.datetime | None
    created_at: dt.datetime
    closed_at: dt.datetime | None
    version: int = Field(
        description="send it back with a move: a stale version answers 409 with the fresh state"
    )
    next_moves: list[str] = Field(
        description="the moves the caller may make now (POST …/moves/{name})"
    )


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: int | None


class MoveIn(Schema):
    version: int
    values: dict[str, str | int | float | None] = Field(
        default_factory=dict,
        description='the move\'s inputs, e.g. {"cause": "…"} for record_cause; see the ticket page\'s forms',
    )


class NoteIn(Schema):
    kind: str = Field("internal", description="internal, progress or info_request")
    body: str = Field(max_length=4000)


class NoteOut(Schema):
    id: int
    kind: str
    body: str
    author_id: int | None
    created_at: dt.datetime


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_by_id: int | None
    created_at: dt.datetime
    url: str = Field(description="download it with the same credentials")


class HandlerIn(Schema):
    version: int
    handler_id: int | None = Field(
        description="a staff member of the responsible department (yourself to take it); null clears it"
    )


class FieldsIn(Schema):
    version: int
    priority: str | None = Field(
        None, description="low, normal, high or urgent; null keeps it", max_length=20
    )
    category_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="an active category; null keeps it"
    )
