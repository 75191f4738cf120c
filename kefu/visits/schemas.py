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
