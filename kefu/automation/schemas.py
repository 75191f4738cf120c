import datetime as dt
from typing import Any

from ninja import Field, Schema


class RuleIn(Schema):
    name: str = Field(..., max_length=80)
    trigger: str = Field(
        ...,
        max_length=40,
        description="ticket_created, ticket_changed, sla_warning, sla_breached, conversation_started, "
        "conversation_closed, conversation_rated or customer_created",
    )
    conditions: dict[str, Any] = Field(
        default_factory=dict, description="condition → value (docs/automation.md); all must hold"
    )
    actions: dict[str, Any] = Field(default_factory=dict, description="action → value")


class RuleOut(Schema):
    id: int
    name: str
    trigger: str
    conditions: dict[str, Any]
    actions: dict[str, Any]
    position: int
    is_enabled: bool
    acts_as_id: int
    version: int


class RuleSwitchIn(Schema):
    enabled: bool


class DryRunIn(Schema):
    trigger: str = Field(..., max_length=40)
    conditions: dict[str, Any] = Field(default_factory=dict)
    actions: dict[str, Any] = Field(default_factory=dict)
    last: int = Field(20, ge=1, le=200)


class DryRunRow(Schema):
    kind: str
    id: int
    matched: bool
    actions: list[str]


class LogOut(Schema):
    id: int
    rule_id: int
    event: str
    subject_kind: str
    subject_id: int
    outcome: str
    results: list[dict[str, Any]]
    chain: list[int]
    created_at: dt.datetime


class LogPage(Schema):
    items: list[LogOut]
    next_cursor: int | None


class DeliveryOut(Schema):
    id: int
    webhook_id: int | None
    robot_id: int | None
    event: str
    state: str
    attempts: int
    status_code: int | None
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: int | None
