"""Quality API of the manual review 人工复核 and the month's performance sheets: an inspector picks a
checked chat or call the sampling left out and scores it item by item, the agent appeals once
within the appeal period, a supervisor decides; a supervisor computes the month's sheets. The
pages' people and services (kefu/quality/inspection_views.py, performance_views.py): a check the
user may not see is 404, a step their role may not take 403, a step the review's state does not
allow 400; every step is audited and the agent or the supervisors are told as on the page."""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.core.errors import DomainError
from kefu.quality import api as reads
from kefu.quality import selectors
from kefu.quality.models import Review
from kefu.quality.services import performance, reviews
from kefu.quality.services.reviews import MAX_TEXT

router = Router(tags=["quality"])


def _review(request: AuthenticatedRequest, inspection_id: int) -> Review:
    inspection = selectors.access_inspection(actor=request.user, inspection_id=inspection_id)
    review = selectors.review_of(inspection)
    if review is None:
        raise DomainError(_("This conversation is not up for review."))
    return review


@router.post(
    "/quality/checks/{inspection_id}/pick",
    response={201: reads.InspectionOut},
    summary="Put a checked chat or call the sampling rules left out up for review (an inspector)",
)
def pick(request: AuthenticatedRequest, inspection_id: int) -> Status[Any]:
    if not request.user.has_perm(Perm.INSPECT_QUALITY):
        raise PermissionDenied
    inspection = selectors.access_inspection(actor=request.user, inspection_id=inspection_id)
    reviews.pick_for_review(actor=request.user, inspection_id=inspection.pk, request=request)
    return Status(201, reads.inspection_detail(request, inspection.pk))


class ItemPointsIn(Schema):
    item_id: int
    points: int = Field(ge=0, le=100, description="between 0 and the item's weight")


class ReviewIn(Schema):
    items: list[ItemPointsIn] = Field(
        max_length=100, description="every active rubric item once (GET /quality/rubric)"
    )
    comment: str = Field("", max_length=MAX_TEXT)
    version: int | None = Field(None, description="the review's version read; another answers 409")


@router.post(
    "/quality/checks/{inspection_id}/review",
    response=reads.InspectionOut,
    summary="Score a check up for review item by item (an inspector, never on their own chat); "
    "the score is the sum and the agent is told",
)
def review(request: AuthenticatedRequest, inspection_id: int, body: ReviewIn) -> dict[str, Any]:
    found = _review(request, inspection_id)
    reviews.review_conversation(
        actor=request.user,
        review_id=found.pk,
        item_points={i.item_id: i.points for i in body.items},
        comment=body.comment,
        expected_version=body.version,
        request=request,
    )
    return reads.inspection_detail(request, inspection_id)


class AppealIn(Schema):
    reason: str = Field(min_length=1, max_length=MAX_TEXT)


@router.post(
    "/quality/checks/{inspection_id}/appeal",
    response=reads.InspectionOut,
    summary="The agent appeals the review of their chat or call, once, within the appeal period; "
    "the supervisors are told",
)
def appeal(request: AuthenticatedRequest, inspection_id: int, body: AppealIn) -> dict[str, Any]:
    found = _review(request, inspection_id)
    reviews.appeal_review(
        actor=request.user, review_id=found.pk, reason=body.reason, request=request
    )
    return reads.inspection_detail(request, inspection_id)


class AppealDecisionIn(Schema):
    decision: Literal["uphold", "change"]
    note: str = Field(min_length=1, max_length=MAX_TEXT, description="the reason the agent reads")
    score: int | None = Field(None, ge=0, le=100, description="the new score (to change it)")
    version: int | None = Field(None, description="the review's version read; another answers 409")


@router.post(
    "/quality/checks/{inspection_id}/decide",
    response=reads.InspectionOut,
    summary="A supervisor upholds the reviewed score or changes it, with a reason; the agent is "
    "told",
)
def decide(
    request: AuthenticatedRequest, inspection_id: int, body: AppealDecisionIn
) -> dict[str, Any]:
    found = _review(request, inspection_id)
    reviews.decide_appeal(
        actor=request.user,
        review_id=found.pk,
        uphold=body.decision == "uphold",
        note=body.note,
        new_score=body.score,
        expected_version=body.version,
        request=request,
    )
    return reads.inspection_detail(request, inspection_id)


class ComputedOut(Schema):
    written: int  # sheets made or refreshed; signed sheets stay as signed


@router.post(
    "/quality/performance/compute",
    response=ComputedOut,
    summary="Compute the month's (2026-11) performance sheets of every agent from the facts now "
    "(the scheduler does it by the 5th); drafts are refreshed, signed sheets kept",
)
def compute_performance(request: AuthenticatedRequest, month: str) -> dict[str, Any]:
    first = reads._checked_month(month)
    return {"written": performance.generate_sheets(actor=request.user, month=first)}
