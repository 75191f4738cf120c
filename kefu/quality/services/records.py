"""A supervisor's records naming an agent (AgentRecord): a customer's praise 表扬 — their words,
where they came from (a letter, a call, a survey, a chat) — and a complaint upheld against the
agent 投诉成立, a complaint ticket judged valid (seed 001: 投诉判断 … 如果投诉成立, the responsible
party is named). The month's praise and upheld complaints come from these records, not from
numbers typed on the reward/penalty sheet: the KPIs count them (kpi.facts) and the rules turn them
into points (sheet_rules). Recording and withdrawing are audited."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm, Role
from kefu.conversations.models import Conversation
from kefu.core.errors import Conflict, DomainError, PermissionRefused
from kefu.quality import selectors
from kefu.quality.models import AgentRecord, PraiseSource, RecordKind
from kefu.tickets.models import Ticket
from kefu.tickets.states import TicketType, Validity
from kefu.visits.models import QuestionKind, SurveyAnswer, SurveyTrigger

WORDS_MAX = 500
TOP_SCORE = 5  # CSAT 非常满意
TOP_NPS = 9  # NPS promoters: 9 and 10


def _require(actor: User) -> None:
    if not actor.has_perm(Perm.EVALUATE):
        raise PermissionRefused(_("You do not have permission to do this."))


def _agent(agent_id: int, *, actor: User) -> User:
    """An active agent the actor may name (their teams' agents: selectors.may_record_for)."""
    agent = User.objects.filter(pk=agent_id, role=Role.AGENT, is_active=True).first()
    if agent is None or not selectors.may_record_for(actor, agent.pk):
        raise DomainError(_("Choose an active agent."), field="agent_id")
    return agent


def _words(words: str) -> str:
    words = " ".join(words.split())
    if not words:
        raise DomainError(_("Write what the customer said."), field="words")
    if len(words) > WORDS_MAX:
        raise DomainError(_("At most %(max)d characters.") % {"max": WORDS_MAX}, field="words")
    return words


def upheld_complaints() -> list[Ticket]:
    """The complaints a supervisor may uphold against an agent: judged valid, newest first."""
    return list(
        Ticket.objects.filter(type=TicketType.COMPLAINT, validity=Validity.VALID).order_by(
            "-created_at", "-id"
        )[:300]
    )


@transaction.atomic
def record_praise(
    *,
    actor: User,
    agent_id: int,
    source: str,
    words: str,
    conversation_id: int | None = None,
    at: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> AgentRecord:
    """A customer praised the agent: their words and where they came from; the chat it was about,
    if any, must be one the agent served."""
    _require(actor)
    agent = _agent(agent_id, actor=actor)
    if source not in PraiseSource.values:
        raise DomainError(_("Choose where the praise came from."), field="source")
    conversation = None
    if conversation_id is not None:
        conversation = Conversation.objects.filter(pk=conversation_id, assignee=agent).first()
        if conversation is None:
            raise DomainError(_("That chat was not served by this agent."), field="conversation_id")
    record = AgentRecord.objects.create(
        kind=RecordKind.PRAISE,
        agent=agent,
        conversation=conversation,
        source=source,
        words=_words(words),
        recorded_by=actor,
        recorded_at=at or timezone.now(),
    )
    _audit(record, actor=actor, request=request)
    return record


@transaction.atomic
def uphold_complaint(
    *,
    actor: User,
    ticket_id: int,
    agent_id: int,
    words: str,
    at: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> AgentRecord:
    """投诉成立: the complaint (a ticket of the complaint kind, judged valid) is upheld against the
    agent, with what was found. Once per complaint and agent."""
    _require(actor)
    agent = _agent(agent_id, actor=actor)
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or ticket.type != TicketType.COMPLAINT:
        raise DomainError(_("Choose a complaint."), field="ticket_id")
    if ticket.validity != Validity.VALID:
        raise DomainError(
            _("Only a complaint judged valid can be upheld against an agent."), field="ticket_id"
        )
    try:
        with transaction.atomic():
            record = AgentRecord.objects.create(
                kind=RecordKind.COMPLAINT_UPHELD,
                agent=agent,
                ticket=ticket,
                words=_words(words),
                recorded_by=actor,
                recorded_at=at or timezone.now(),
            )
    except IntegrityError as error:
        raise Conflict(
            _("Complaint %(number)s is already upheld against %(agent)s.")
            % {"number": ticket.number, "agent": agent}
        ) from error
    _audit(record, actor=actor, request=request)
    return record


@transaction.atomic
def withdraw_record(
    *, actor: User, record_id: int, reason: str, request: HttpRequest | None = None
) -> None:
    """A record made in error is withdrawn, with the reason (audited); sheets already approved
    keep their points. Only a record the actor sees (selectors.visible_records)."""
    _require(actor)
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError(_("Say why the record is withdrawn."), field="reason")
    record = (
        selectors.visible_records(actor)
        .select_for_update(of=("self",))
        .filter(pk=record_id)
        .first()
    )
    if record is None:
        raise DomainError(_("That record no longer exists."))
    audit(
        AuditAction.DELETE,
        actor=actor,
        obj=record,
        object_repr=f"{record.get_kind_display()}: {record.agent}",
        request=request,
        details={"kind": record.kind, "agent": record.agent_id, "reason": reason[:300]},
    )
    record.delete()


def survey_praise_words(answer: SurveyAnswer) -> str:
    """The customer's own words in a survey answered with a top score (a 1–5 question at 5 or a
    0–10 question at 9 or 10), or "" when the answer is not praise (no top score, or no words)."""
    top = False
    said: list[str] = []
    for question in answer.invitation.survey.questions.all():
        value = answer.answers.get(str(question.pk))
        if (question.kind == QuestionKind.SCORE and value == TOP_SCORE) or (
            question.kind == QuestionKind.NPS and isinstance(value, int) and value >= TOP_NPS
        ):
            top = True
        elif question.kind == QuestionKind.TEXT and isinstance(value, str) and value.strip():
            said.append(" ".join(value.split()))
    if not top:
        return ""
    return "；".join(said)[:WORDS_MAX]


def record_survey_praise(answer_id: int) -> AgentRecord | None:
    """The praise of a survey answer (SurveyAnswered): a top score with the customer's words,
    about the agent who served them (the invitation's agent, after their chat, ticket or visit),
    recorded for that agent by kefu itself, once per answer (a second delivery finds it).
    None when the answer is not praise or names no active agent."""
    if AgentRecord.objects.filter(survey_answer_id=answer_id).exists():
        return None
    answer = (
        SurveyAnswer.objects.select_related("invitation__survey", "invitation__agent")
        .filter(pk=answer_id)
        .first()
    )
    if answer is None:
        return None
    invitation = answer.invitation
    agent = invitation.agent
    if agent is None or not agent.is_active or agent.role != Role.AGENT:
        return None
    words = survey_praise_words(answer)
    if not words:
        return None
    conversation_id = None
    if invitation.source == SurveyTrigger.CONVERSATION and invitation.source_id is not None:
        conversation_id = (
            Conversation.objects.filter(pk=invitation.source_id, assignee=agent)
            .values_list("pk", flat=True)
            .first()
        )
    try:
        with transaction.atomic():
            record = AgentRecord.objects.create(
                kind=RecordKind.PRAISE,
                agent=agent,
                conversation_id=conversation_id,
                source=PraiseSource.SURVEY,
                words=words,
                recorded_by=None,
                recorded_at=answer.answered_at,
                survey_answer=answer,
            )
            _audit(record, actor=None, request=None)
    except IntegrityError:  # a concurrent delivery of the same answer recorded it first
        return None
    return record


def _audit(record: AgentRecord, *, actor: User | None, request: HttpRequest | None) -> None:
    audit(
        AuditAction.QUALITY_REVIEW,
        actor=actor,
        obj=record,
        object_repr=f"{record.get_kind_display()}: {record.agent}",
        request=request,
        details={
            "kind": record.kind,
            "agent": record.agent_id,
            "ticket": record.ticket_id,
            "conversation": record.conversation_id,
            "source": record.source,
            "survey_answer": record.survey_answer_id,
        },
    )
