"""API shapes of return visits."""

import datetime as dt
from typing import Any

from ninja import Field, Schema


class PlanOut(Schema):
    id: int
    number: str
    title: str
    purpose: str
    channel: str
    period_start: dt.date
    period_end: dt.date
    rules: dict[str, Any]
    planned_count: int
    service_item: str
    script: str
    team_id: int | None
    state: str
    state_label: str
    selected_count: int
    issued_count: int
    version: int = Field(description="send it back with a change: another answers 409")


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


class VisitFiguresOut(Schema):
    visits_done: int
    reached: int
    reached_rate: float | None
    satisfaction: dict[str, int]
    satisfied_rate: float | None


class SurveyQuestionOut(Schema):
    id: int
    kind: str
    text: str
    choices: list[str]
    required: bool


class SurveyOut(Schema):
    id: int
    title: str
    trigger: str
    channel: str
    valid_days: int
    low_score: int
    follow_up: str
    active: bool
    questions: list[SurveyQuestionOut]


class SurveyGroupOut(Schema):
    id: int | None
    name: str
    answers: int
    average: float | None
    low: int


class SurveyBreakdownOut(Schema):
    """One row of the results by channel (key: ticket, conversation, visit, manual), by month
    (key: YYYY-MM, Asia/Shanghai) or by the ticket's category (key: its name; empty: none)."""

    key: str
    answers: int
    average: float | None
    low: int


class SurveyNpsOut(Schema):
    question: str
    answered: int
    promoters: int
    passives: int
    detractors: int
    score: int | None


class SurveyResultsOut(Schema):
    survey_id: int
    invited: int
    answers: int
    answer_rate: int
    average: float | None
    low: int
    distribution: dict[str, int]
    nps: SurveyNpsOut | None
    per_agent: list[SurveyGroupOut]
    per_team: list[SurveyGroupOut]
    per_channel: list[SurveyBreakdownOut]
    per_month: list[SurveyBreakdownOut]
    per_category: list[SurveyBreakdownOut]


class SurveyAnswerOut(Schema):
    id: int
    invitation_id: int
    customer_id: int
    agent_id: int | None
    team_id: int | None
    source: str
    source_id: int | None
    score: int | None
    answers: dict[str, str | int | list[str]]
    answered_at: dt.datetime


class SurveyAnswerPage(Schema):
    items: list[SurveyAnswerOut]
    next_cursor: int | None


class MonthRowOut(Schema):
    agent_id: int
    agent: str
    planned: int
    done: int
    on_time: int
    unreachable: int
    satisfied_percent: int | None
    survey_answers: int
    survey_average: float | None


class NominationOut(Schema):
    """One name on the month's 优秀员工提名名单, with the figures behind it."""

    rank: int
    agent_id: int
    agent: str
    answers: int
    average: float
    top_scores: int
    low: int
    visits_done: int
    on_time_percent: int | None
    satisfied_percent: int | None


class MonthReportOut(Schema):
    month: dt.date
    rows: list[MonthRowOut]
    nominations: list[NominationOut]


# --- writes -----------------------------------------------------------------------------------------


class PlanRulesIn(Schema):
    """A plan's range 回访范围 (every rule optional; none: every customer). The same rules as the
    plan form: levels (member, vip, …), region/city/district/street, owner, tag, no contact for N
    days, complaint closed or dispatch finished within N days, birthday in the period, card
    expiring in the period."""

    levels: list[str] = Field(default_factory=list, max_length=10)
    region: str = Field("", max_length=40)
    city: str = Field("", max_length=40)
    district: str = Field("", max_length=40)
    street: str = Field("", max_length=40)
    owner_id: int | None = Field(None, ge=1, le=2**63 - 1)
    tag_id: int | None = Field(None, ge=1, le=2**63 - 1)
    no_contact_days: int | None = Field(None, ge=1, le=100_000)
    complaint_closed_days: int | None = Field(None, ge=1, le=100_000)
    dispatch_done_days: int | None = Field(None, ge=1, le=100_000)
    birthday_in_period: bool = False
    card_expiring: bool = False


class PlanIn(Schema):
    title: str = Field(..., max_length=100)
    purpose: str = Field(..., max_length=200)
    period_start: dt.date
    period_end: dt.date
    channel: str = Field("phone", max_length=10)
    service_item: str = Field("", max_length=60)
    script: str = Field("", max_length=4000, description="empty: the seeds' script")
    planned_count: int = Field(0, ge=0, le=10_000_000, description="0: every selected customer")
    team_id: int | None = Field(None, ge=1, le=2**63 - 1)
    rules: PlanRulesIn | None = None


class PlanEditIn(PlanIn):
    """The whole plan again (a draft, or one sent back: it becomes a draft to submit again)."""

    version: int | None = Field(None, description="the version read; another answers 409")


class PlanLevelCountOut(Schema):
    level: str
    count: int


class PlanPreviewOut(Schema):
    """The selection counted before a plan is submitted and issued."""

    total: int
    levels: list[PlanLevelCountOut]
    with_owner: int
    with_open_visit: int
    kept: int


class VersionIn(Schema):
    version: int | None = Field(None, description="the version read; another answers 409")


class DecisionIn(VersionIn):
    approve: bool
    note: str = Field("", max_length=300, description="required when the plan goes back")


class MoveIn(Schema):
    visit_ids: list[int] = Field(..., min_length=1, max_length=5000)
    agent_id: int = Field(..., ge=1, le=2**63 - 1)


class MovedOut(Schema):
    moved: int


class CareIn(Schema):
    """A care campaign 关怀: a holiday greeting (occasion: a festival of the business calendar) or
    an event/promotion message (its words in `text`), sent at `send_time` on the day (moved out of
    quiet hours), to the customers in the range with the kind's consent (opted-out ones are left
    out, with the reason, as on the care page)."""

    kind: str = Field(..., max_length=12, description="holiday, event or promotion")
    occasion: dt.date
    send_time: dt.time = dt.time(10, 0)
    text: str = Field("", max_length=60)
    channel: str = Field("", max_length=10, description="sms, email or empty: the SMS first")
    template_code: str = Field("", max_length=40)
    rules: PlanRulesIn | None = None


class CareLeftOutOut(Schema):
    reason: str
    count: int
    names: list[str]


class CarePreviewOut(Schema):
    selected: int
    sms: int
    email: int
    scheduled: int
    skipped: int
    left_out: list[CareLeftOutOut]


class CareScheduledOut(Schema):
    scheduled: int
    skipped: int
