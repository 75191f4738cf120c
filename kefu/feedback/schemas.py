import datetime as dt

from ninja import Field, Schema


class ProblemOut(Schema):
    id: int
    title: str
    category: str
    severity: str
    state: str
    state_label: str
    fixed_version: str
    resolution_note: str
    reports: int
    customers_affected: int
    created_at: dt.datetime
    state_changed_at: dt.datetime | None
    version: int


class ProblemPage(Schema):
    items: list[ProblemOut]
    next_cursor: int | None


class ProblemMoveIn(Schema):
    move: str = Field(description="confirm, fix (with fixed_version) or wont_fix (with note)")
    fixed_version: str = Field("", max_length=40)
    note: str = Field("", max_length=300)
    version: int | None = None


class ReportIn(Schema):
    customer_id: int
    channel: str = Field(description="chat, ticket, widget or phone")
    conversation_id: int | None = None
    ticket_id: int | None = None
    category: str = Field(description="bug, feature, content, performance or other")
    severity: str = Field("normal", description="low, normal, high or critical")
    title: str = Field(max_length=200)
    steps: str = Field("", max_length=4000)
    device: str = Field("", max_length=100)
    app_version: str = Field("", max_length=40)


class ReportOut(Schema):
    id: int
    customer_id: int
    channel: str
    category: str
    severity: str
    title: str
    problem_id: int | None
    created_at: dt.datetime
