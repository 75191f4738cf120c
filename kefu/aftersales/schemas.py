import datetime as dt
from typing import Any

from ninja import Field, Schema


class CaseIn(Schema):
    kind: str = Field(description="return, exchange, refund_only, reissue or quality")
    reason: str = Field(max_length=500)
    refund: str = Field("0", max_length=20, description="yuan with at most two decimals")


class MoveIn(Schema):
    note: str = Field("", max_length=200)
    parcel_notes: str = Field("", max_length=500, description="拆件登记: notes found in the parcel")
    version: int | None = None


class CaseOut(Schema):
    id: int
    order_id: int
    customer_id: int | None
    kind: str
    state: str
    state_label: str
    reason: str
    refund_fen: int
    photos_reviewed: bool
    arbitration: bool
    parcel_notes: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    version: int
    moves: list[str] = Field(description="the moves the caller may make now")
    log: list[dict[str, Any]]


class ReviewIn(Schema):
    rating: str = Field(description="neutral (中评) or negative (差评)")
    text: str = Field(max_length=1000)
    reviewed_on: dt.date


class ReviewMoveIn(Schema):
    note: str = Field("", max_length=500, description="contact: how the buyer was contacted")
    no_money_offered: bool = Field(
        False, description="contact: the agent confirms no money was offered for the review"
    )
    outcome: str = Field("", description="close: revised, explained or refused")


class ReviewOut(Schema):
    id: int
    order_id: int
    order_number: str
    customer_id: int | None
    rating: str
    text: str
    reviewed_on: dt.date
    state: str
    state_label: str
    contact_note: str
    contacted_at: dt.datetime | None
    outcome: str
    created_at: dt.datetime
    closed_at: dt.datetime | None
    moves: list[str] = Field(description="the moves the caller may make now: contact, close")


class ReviewPage(Schema):
    items: list[ReviewOut]
    next_cursor: int | None
