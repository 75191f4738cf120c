"""The manual review 人工复核: an inspector (Perm.INSPECT_QUALITY) scores a sampled conversation item by
item; the agent sees the result and may appeal once within the appeal period; a supervisor
(Perm.EVALUATE) upholds or changes the score. Every step is audited."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.core.errors import Conflict, DomainError, PermissionRefused
from kefu.core.events import emit as emit_event
from kefu.core.text import strip_control_characters
from kefu.quality.events import AppealDecided, ReviewAppealed, ReviewDone
from kefu.quality.models import Inspection, Review, ReviewState, SampleReason
from kefu.quality.services.rubric import active_items
from kefu.quality.states import REVIEW_FLOW

MAX_TEXT = 500


def _text(raw: str) -> str:
    return " ".join(strip_control_characters(raw or "").split())


def _locked(review_id: int) -> Review:
    review = (
        Review.objects.select_for_update().select_related("inspection").filter(pk=review_id).first()
    )
    if review is None:
        raise DomainError(_("This review does not exist (any more)."))
    return review


def _check_version(review: Review, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != review.version:
        raise Conflict(_("Someone changed this review meanwhile; look at it again."))
    review.version += 1


@transaction.atomic
def pick_for_review(
    *, actor: User, inspection_id: int, request: HttpRequest | None = None
) -> Review:
    """An inspector picks a checked conversation the sampling rules left out."""
    if not actor.has_perm(Perm.INSPECT_QUALITY):
        raise PermissionRefused(_("You do not have permission to do this."))
    inspection = Inspection.objects.filter(pk=inspection_id).first()
    if inspection is None:
        raise DomainError(_("This conversation has not been checked."))
    try:
        with transaction.atomic():
            review = Review.objects.create(inspection=inspection, reason=SampleReason.MANUAL)
    except IntegrityError as error:
        raise Conflict(_("This conversation is up for review already.")) from error
    audit(
        AuditAction.QUALITY_REVIEW,
        actor=actor,
        obj=review,
        request=request,
        details={
            "step": "picked",
            "conversation": inspection.conversation_id,
            "call": inspection.call_id,
        },
    )
    return review


@transaction.atomic
def review_conversation(
    *,
    actor: User,
    review_id: int,
    item_points: dict[int, int],
    comment: str,
    expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> Review:
    """Score each active item between 0 and its weight; the score is their sum."""
    review = _locked(review_id)
    REVIEW_FLOW.check(review.state, "review", actor=actor, obj=review)
    items = active_items()
    points: dict[str, int] = {}
    for item in items:
        given = item_points.get(item.pk)
        if given is None or not 0 <= given <= item.weight:
            raise DomainError(
                _("%(item)s: give between 0 and %(weight)d points.")
                % {"item": item.label, "weight": item.weight}
            )
        points[str(item.pk)] = given
    comment = _text(comment)
    if len(comment) > MAX_TEXT:
        raise DomainError(_("The comment has at most %(n)d characters.") % {"n": MAX_TEXT})
    _check_version(review, expected_version)
    review.state = ReviewState.DONE
    review.reviewer = actor
    review.item_points = points
    score = sum(points.values())
    review.score = score
    review.final_score = score
    review.comment = comment
    review.reviewed_at = timezone.now()
    review.save()
    audit(
        AuditAction.QUALITY_REVIEW,
        actor=actor,
        obj=review,
        request=request,
        details={
            "step": "reviewed",
            "score": review.score,
            "conversation": review.inspection.conversation_id,
        },
    )
    emit_event(
        ReviewDone(
            review_id=review.pk,
            agent_id=review.inspection.agent_id,
            reviewer_id=actor.pk,
            score=score,
            findings=review.inspection.findings.count(),
            inspection_id=review.inspection_id,
            conversation_id=review.inspection.conversation_id,
            call_id=review.inspection.call_id,
        )
    )
    return review


@transaction.atomic
def appeal_review(
    *, actor: User, review_id: int, reason: str, request: HttpRequest | None = None
) -> Review:
    """The agent disagrees: once, within the appeal period, with a reason."""
    review = _locked(review_id)
    REVIEW_FLOW.check(review.state, "appeal", actor=actor, obj=review)
    reason = _text(reason)
    if not reason or len(reason) > MAX_TEXT:
        raise DomainError(_("Say why you appeal, in at most %(n)d characters.") % {"n": MAX_TEXT})
    review.version += 1
    review.state = ReviewState.APPEALED
    review.appeal_reason = reason
    review.appealed_at = timezone.now()
    review.save()
    audit(
        AuditAction.QUALITY_REVIEW,
        actor=actor,
        obj=review,
        request=request,
        details={"step": "appealed", "conversation": review.inspection.conversation_id},
    )
    emit_event(
        ReviewAppealed(
            review_id=review.pk,
            agent_id=actor.pk,
            inspection_id=review.inspection_id,
            conversation_id=review.inspection.conversation_id,
            call_id=review.inspection.call_id,
        )
    )
    return review


@transaction.atomic
def decide_appeal(
    *,
    actor: User,
    review_id: int,
    uphold: bool,
    note: str,
    new_score: int | None = None,
    expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> Review:
    """Uphold the inspector's score, or change it; either way with a reason the agent reads."""
    review = _locked(review_id)
    REVIEW_FLOW.check(review.state, "decide", actor=actor, obj=review)
    note = _text(note)
    if not note or len(note) > MAX_TEXT:
        raise DomainError(
            _("Give the reason for the decision, in at most %(n)d characters.") % {"n": MAX_TEXT}
        )
    if not uphold and (new_score is None or not 0 <= new_score <= 100):
        raise DomainError(_("Give the new score, between 0 and 100."))
    _check_version(review, expected_version)
    review.state = ReviewState.DECIDED
    review.decided_by = actor
    review.decided_at = timezone.now()
    review.decision_note = note
    final = (review.score or 0) if uphold else (new_score or 0)
    review.final_score = final
    review.save()
    audit(
        AuditAction.QUALITY_REVIEW,
        actor=actor,
        obj=review,
        request=request,
        details={
            "step": "decided",
            "upheld": uphold,
            "final_score": review.final_score,
            "conversation": review.inspection.conversation_id,
        },
    )
    emit_event(
        AppealDecided(
            review_id=review.pk,
            agent_id=review.inspection.agent_id,
            decided_by_id=actor.pk,
            upheld=uphold,
            final_score=final,
            inspection_id=review.inspection_id,
            conversation_id=review.inspection.conversation_id,
            call_id=review.inspection.call_id,
        )
    )
    return review
