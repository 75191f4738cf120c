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


class RuleMoveIn(Schema):
    up: bool  # false: down


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


class WebhookIn(Schema):
    """Checked as the page's form checks it (forms.WebhookForm), then by services.save_webhook."""

    name: str
    url: str = Field(..., description="http:// or https://, on the public Internet")
    is_active: bool = True


class WebhookOut(Schema):
    """Without the signing secret: it is shown once, in the answer that creates the webhook."""

    id: int
    name: str
    url: str
    is_active: bool
    created_at: dt.datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(
        ..., description="Check X-Kefu-Signature with it (docs/automation.md); shown only now"
    )


class RobotIn(Schema):
    """Checked as the page's form checks it (forms.RobotForm), then by services.save_robot."""

    name: str
    kind: str = Field(..., description="wecom or dingtalk")
    url: str = Field(..., description="the group robot's webhook address, with its key or token")
    secret: str = Field(
        "", description="DingTalk 加签 secret; empty keeps the saved one; never sent back"
    )
    on_warning: bool = False
    on_breach: bool = False
    on_report: bool = False
    is_active: bool = True


class RobotOut(Schema):
    id: int
    name: str
    kind: str
    url: str
    has_secret: bool
    on_warning: bool
    on_breach: bool
    on_report: bool
    is_active: bool
    created_at: dt.datetime
