"""Quality API of the records naming an agent (services/records.py), as the page /quality/records/
has them: a customer's praise 表扬 (recorded by a supervisor, or by kefu from a survey answered with
a top score and the customer's words) and a complaint upheld against an agent 投诉成立. Supervisors and
managers (Perm.EVALUATE) read the records of the agents they oversee (a supervisor in teams: their
teams'; `selectors.visible_records`) and record or withdraw them; an agent reads their own. A
record the user may not see is 404, a write their role may not make 403, a value a rule refuses
422 naming the field; every write is audited as on the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from ninja import Field, Router, Schema, Status

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.quality import api as reads
from kefu.quality import selectors
from kefu.quality.models import AgentRecord, PraiseSource, RecordKind
from kefu.quality.services import records

router = Router(tags=["quality"])


class AgentRecordOut(Schema):
    id: int
    kind: str  # praise or complaint_upheld
    kind_label: str
    agent_id: int
    agent_name: str
    ticket_id: int | None  # the complaint upheld
    ticket_number: str | None
    conversation_id: int | None  # the chat the praise was about, if any
    source: (
        str  # where the praise came from (letter, phone, chat, survey, other); "" for a complaint
    )
    source_label: str
    words: str  # what the customer said, or what was found
    recorded_by_id: int | None  # empty: recorded by kefu from a survey answer
    recorded_by_name: str
    survey_answer_id: int | None
    recorded_at: dt.datetime


def record_out(record: AgentRecord) -> dict[str, Any]:
    return {
        "id": record.pk,
        "kind": record.kind,
        "kind_label": record.get_kind_display(),
        "agent_id": record.agent_id,
        "agent_name": str(record.agent),
        "ticket_id": record.ticket_id,
        "ticket_number": record.ticket.number if record.ticket else None,
        "conversation_id": record.conversation_id,
        "source": record.source,
        "source_label": record.get_source_display() if record.source else "",
        "words": record.words,
        "recorded_by_id": record.recorded_by_id,
        "recorded_by_name": str(record.recorded_by) if record.recorded_by else "",
        "survey_answer_id": record.survey_answer_id,
        "recorded_at": record.recorded_at,
    }


def _evaluates(user: User) -> None:
    if not user.has_perm(Perm.EVALUATE):
        raise PermissionDenied


@router.get(
    "/quality/records",
    response=list[AgentRecordOut],
    summary="The month's (2026-11) praise and upheld complaints naming an agent, newest first: "
    "those of the agents a supervisor oversees, an agent's own",
)
def agent_records(
    request: AuthenticatedRequest,
    month: str,
    kind: RecordKind | None = None,
    agent: int | None = None,
) -> list[dict[str, Any]]:
    user = request.user
    if not (user.has_perm(Perm.EVALUATE) or user.has_perm(Perm.SERVE_CUSTOMERS)):
        raise PermissionDenied
    found = selectors.month_records(user, reads._checked_month(month), kind=kind or "")
    if agent is not None:
        found = found.filter(agent_id=agent)
    return [record_out(r) for r in found[:1000]]


@router.get(
    "/quality/records/{record_id}",
    response=AgentRecordOut,
    summary="One record naming an agent",
)
def agent_record(request: AuthenticatedRequest, record_id: int) -> dict[str, Any]:
    return record_out(selectors.access_record(actor=request.user, record_id=record_id))


class PraiseIn(Schema):
    agent_id: int
    source: PraiseSource
    words: str = Field(min_length=1, max_length=records.WORDS_MAX, description="what was said")
    conversation_id: int | None = Field(None, description="the chat it was about, served by them")


@router.post(
    "/quality/records/praise",
    response={201: AgentRecordOut},
    summary="Record a customer's praise 表扬 of an agent: their words and where they came from",
)
def record_praise(request: AuthenticatedRequest, body: PraiseIn) -> Status[Any]:
    _evaluates(request.user)
    record = records.record_praise(
        actor=request.user,
        agent_id=body.agent_id,
        source=str(body.source),
        words=body.words,
        conversation_id=body.conversation_id,
        request=request,
    )
    return Status(201, record_out(record))


class UpheldIn(Schema):
    ticket_id: int = Field(description="a complaint judged valid")
    agent_id: int
    words: str = Field(min_length=1, max_length=records.WORDS_MAX, description="what was found")


@router.post(
    "/quality/records/complaints",
    response={201: AgentRecordOut},
    summary="Uphold a complaint judged valid against an agent 投诉成立 (once per complaint and "
    "agent; a second answers 409)",
)
def uphold_complaint(request: AuthenticatedRequest, body: UpheldIn) -> Status[Any]:
    _evaluates(request.user)
    record = records.uphold_complaint(
        actor=request.user,
        ticket_id=body.ticket_id,
        agent_id=body.agent_id,
        words=body.words,
        request=request,
    )
    return Status(201, record_out(record))


class WithdrawIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


class WithdrawnOut(Schema):
    id: int
    withdrawn: bool


@router.post(
    "/quality/records/{record_id}/withdraw",
    response=WithdrawnOut,
    summary="Withdraw a record made in error, with the reason (sheets already approved keep "
    "their points)",
)
def withdraw_record(
    request: AuthenticatedRequest, record_id: int, body: WithdrawIn
) -> dict[str, Any]:
    _evaluates(request.user)
    selectors.access_record(actor=request.user, record_id=record_id)
    records.withdraw_record(
        actor=request.user, record_id=record_id, reason=body.reason, request=request
    )
    return {"id": record_id, "withdrawn": True}
