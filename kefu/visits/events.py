"""Events of return visits (docs/events.md)."""

from dataclasses import dataclass
from typing import ClassVar

from kefu.core.events import DomainEvent


@dataclass(frozen=True)
class PlanReminderDue(DomainEvent):
    """The 25th: next month's plan is due (seed 001); a draft was made if there was none."""

    name: ClassVar[str] = "visits.plan_reminder_due"
    campaign_id: int
    month: str  # 2027-01


@dataclass(frozen=True)
class CampaignSubmitted(DomainEvent):
    name: ClassVar[str] = "visits.campaign_submitted"
    campaign_id: int
    submitted_by_id: int


@dataclass(frozen=True)
class CampaignDecided(DomainEvent):
    name: ClassVar[str] = "visits.campaign_decided"
    campaign_id: int
    state: str  # approved or returned
    decided_by_id: int
    drafted_by_id: int | None


@dataclass(frozen=True)
class CampaignIssued(DomainEvent):
    name: ClassVar[str] = "visits.campaign_issued"
    campaign_id: int
    issued_count: int


@dataclass(frozen=True)
class VisitsMoved(DomainEvent):
    name: ClassVar[str] = "visits.moved"
    visit_ids: tuple[int, ...]
    to_agent_id: int
    moved_by_id: int


@dataclass(frozen=True)
class VisitRecorded(DomainEvent):
    name: ClassVar[str] = "visits.recorded"
    visit_id: int
    customer_id: int
    agent_id: int
    reached: bool
    satisfaction: str


@dataclass(frozen=True)
class SurveyAnswered(DomainEvent):
    """A customer answered a survey (once per invitation). `score` is the first 1–5 question's;
    `low` says it is at or below the survey's low score (a follow-up was made)."""

    name: ClassVar[str] = "visits.survey_answered"
    answer_id: int
    invitation_id: int
    survey_id: int
    customer_id: int
    agent_id: int | None
    team_id: int | None
    source: str  # ticket, conversation, visit or manual
    source_id: int | None
    score: int | None
    low: bool
    follow_up_visit_id: int | None


@dataclass(frozen=True)
class VisitDeadline(DomainEvent):
    """The deadline sweep: an open visit is due soon (`kind` "due_soon") or overdue ("overdue");
    told once each, to the agent and the supervisors."""

    name: ClassVar[str] = "visits.deadline"
    visit_id: int
    kind: str
    agent_id: int
    due_at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class SurveyOffered(DomainEvent):
    """A survey was offered in the chat widget after a chat ended (the survey's channel is the
    widget): the visitor's socket shows its link."""

    name: ClassVar[str] = "visits.survey_offered"
    invitation_id: int
    conversation_id: int
