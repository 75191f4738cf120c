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
from kefu.quality.models import AgentRecord, PraiseSource, RecordKind
from kefu.tickets.models import Ticket
from kefu.tickets.states import TicketType, Validity

WORDS_MAX = 500


def _require(actor: User) -> None:
    if not actor.has_perm(Perm.EVALUATE):
        raise PermissionRefused(_("You do not have permission to do this."))


def _agent(agent_id: int) -> User:
    agent = User.objects.filter(pk=agent_id, role=Role.AGENT, is_active=True).first()
    if agent is None:
        raise DomainError(_("Choose an active agent."))
    return agent


def _words(words: str) -> str:
    words = " ".join(words.split())
    if not words:
        raise DomainError(_("Write what the customer said."))
    if len(words) > WORDS_MAX:
        raise DomainError(_("At most %(max)d characters.") % {"max": WORDS_MAX})
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
    agent = _agent(agent_id)
    if source not in PraiseSource.values:
        raise DomainError(_("Choose where the praise came from."))
    conversation = None
    if conversation_id is not None:
        conversation = Conversation.objects.filter(pk=conversation_id, assignee=agent).first()
        if conversation is None:
            raise DomainError(_("That chat was not served by this agent."))
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
    agent = _agent(agent_id)
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or ticket.type != TicketType.COMPLAINT:
        raise DomainError(_("Choose a complaint."))
    if ticket.validity != Validity.VALID:
        raise DomainError(_("Only a complaint judged valid can be upheld against an agent."))
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
    keep their points."""
    _require(actor)
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError(_("Say why the record is withdrawn."))
    record = AgentRecord.objects.select_for_update().filter(pk=record_id).first()
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


def _audit(record: AgentRecord, *, actor: User, request: HttpRequest | None) -> None:
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
        },
    )
