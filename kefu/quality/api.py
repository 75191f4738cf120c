"""Quality API: the per-agent quality figures over a date range, and one checked conversation with
its findings and review. Reads only; the writes are the pages' (kefu/quality/inspection_views.py)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Router, Schema

from kefu.accounts.roles import Perm
from kefu.core.errors import DomainError
from kefu.quality import selectors

router = Router(tags=["quality"])


class AgentQualityOut(Schema):
    agent_id: int
    checked: int
    auto_score: float | None
    severe: int
    findings: int
    reviewed: int
    review_score: float | None
    appeals: int
    appeals_changed: int


class FindingOut(Schema):
    id: int
    kind: str
    label: str
    message_id: int | None
    matched: str
    detail: str
    points: int
    severe: bool


class ReviewOut(Schema):
    state: str
    reason: str
    score: int | None
    final_score: int | None
    comment: str
    reviewed_at: dt.datetime | None
    appeal_reason: str
    appealed_at: dt.datetime | None
    decision_note: str
    decided_at: dt.datetime | None


class InspectionOut(Schema):
    id: int
    conversation_id: int | None  # a chat's check; empty for a call's
    call_id: int | None  # a telephony call's check (by its notes)
    agent_id: int | None
    channel: str
    score: int
    severe: bool
    closed_at: dt.datetime
    findings: list[FindingOut]
    review: ReviewOut | None


@router.get(
    "/quality/agents",
    response=list[AgentQualityOut],
    summary="Per-agent quality figures of the conversations closed from start to end (days included)",
)
def agent_figures(request, start: dt.date, end: dt.date):
    user = request.user
    if not any(user.has_perm(p) for p in (Perm.VIEW_REPORTS, Perm.EVALUATE, Perm.INSPECT_QUALITY)):
        raise PermissionDenied
    if end < start or (end - start).days > 366:
        raise DomainError(_("Give a range of at most a year, its start before its end."))
    figures = selectors.agent_quality(start=start, end=end)
    return [vars(f) for f in figures.values()]


@router.get(
    "/quality/checks/{inspection_id}",
    response=InspectionOut,
    summary="One checked conversation: its automatic score, findings and review",
)
def inspection_detail(request, inspection_id: int):
    inspection = selectors.access_inspection(actor=request.user, inspection_id=inspection_id)
    review = selectors.review_of(inspection)
    return {
        "id": inspection.pk,
        "conversation_id": inspection.conversation_id,
        "call_id": inspection.call_id,
        "agent_id": inspection.agent_id,
        "channel": inspection.channel,
        "score": inspection.score,
        "severe": inspection.severe,
        "closed_at": inspection.closed_at,
        "findings": list(inspection.findings.all()),
        "review": review,
    }
