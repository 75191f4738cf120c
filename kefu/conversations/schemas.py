import datetime as dt

from ninja import Field, Schema


class MessageOut(Schema):
    id: int
    seq: int
    sender: str = Field(description="visitor, agent or system")
    author_id: int | None
    author_name: str
    body: str
    is_internal: bool = Field(description="An internal note: agents only, never sent to the customer")
    created_at: dt.datetime


class ConversationOut(Schema):
    id: int
    state: str = Field(description="waiting, open or closed")
    state_label: str
    inbox_id: int
    inbox: str
    name: str = Field(description="The customer's name, the visitor's name or 访客 #id")
    customer_id: int | None
    assignee_id: int | None
    team_id: int | None
    last_seq: int
    created_at: dt.datetime
    last_activity_at: dt.datetime | None
    closed_at: dt.datetime | None
    close_reason: str
    rating: int | None


class ConversationPage(Schema):
    items: list[ConversationOut]


class ConversationDetail(ConversationOut):
    messages: list[MessageOut] = Field(description="Messages after `after` (internal notes included), oldest first")


class MessageIn(Schema):
    key: str = Field(min_length=1, max_length=64, description="Idempotency key: the same key again returns the same message")
    body: str = Field(min_length=1, max_length=5000)
    internal: bool = Field(False, description="An internal note (agents only)")


class TransferIn(Schema):
    agent_id: int | None = Field(None, ge=1, le=2**31 - 1)
    team_id: int | None = Field(None, ge=1, le=2**31 - 1)
    note: str = Field("", max_length=1000)


class AssignIn(Schema):
    agent_id: int = Field(ge=1, le=2**31 - 1)
