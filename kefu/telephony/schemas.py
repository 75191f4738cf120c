import datetime as dt

from ninja import Field, Schema

from kefu.core.schema_types import Moment


class CallIn(Schema):
    direction: str = Field(description="in (the customer called) or out (we called)")
    number: str = Field(max_length=40, description="any usual way of writing it; stored as E.164")
    outcome: str = Field(description="answered, missed, busy, voicemail or callback")
    started_at: Moment | None = Field(None, description="default: now")
    duration_seconds: int | None = Field(
        None, ge=0, le=86400, description="talk time; default: from answered_at to ended_at"
    )
    answered_at: Moment | None = None
    ended_at: Moment | None = None
    customer_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="default: the customer with this number, if any"
    )
    subject: str = Field("", max_length=200)
    notes: str = Field("", max_length=4000)
    recording_url: str = Field("", max_length=500)


class CallOut(Schema):
    id: int
    direction: str
    number: str = Field(description="masked")
    customer_id: int | None
    agent_id: int | None
    started_at: dt.datetime
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    duration_seconds: int
    outcome: str
    outcome_label: str
    recording_url: str
    subject: str
    notes: str
    source: str
    created_at: dt.datetime


class CallPage(Schema):
    items: list[CallOut]
    next_cursor: int | None
