"""Neutral and negative reviews 中差评 (seed 002 第一篇中差评处理): record the review, record the
contact made, close it with its outcome. The rule: no money is offered for a review — an agent
confirms it at the contact, and a contact that offered money is refused (the problem, if real, is
settled by an after-sales case)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.aftersales.events import ReviewClosed
from kefu.aftersales.models import Review, ReviewOutcome, ReviewRating, ReviewState
from kefu.core import timeline
from kefu.core.errors import DomainError, InvalidState, PermissionRefused
from kefu.core.events import emit
from kefu.core.text import strip_control_characters
from kefu.orders.models import Order


def _require_serving(actor: User) -> None:
    if not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("You do not have permission to do this."))


def _clean(text: str, max_length: int) -> str:
    return strip_control_characters(text or "").strip()[:max_length]


def _note(review: Review, *, actor: User, kind: str, summary: str) -> None:
    if review.customer_id:
        timeline.record(
            subject=review,
            customer_id=review.customer_id,
            kind=f"aftersales.review_{kind}",
            actor=actor,
            summary=summary,
            data={"review_id": review.pk, "order_id": review.order_id},
        )


@transaction.atomic
def record_review(
    *, actor: User, order: Order, rating: str, text: str, reviewed_on: dt.date
) -> Review:
    _require_serving(actor)
    if rating not in ReviewRating.values:
        raise DomainError(_("Choose neutral or negative."))
    text = _clean(text, 1000)
    if not text:
        raise DomainError(_("Copy the review's text."))
    if reviewed_on > timezone.localdate():
        raise DomainError(_("The review's date cannot be in the future."))
    review = Review.objects.create(
        order=order,
        customer_id=order.customer_id,
        rating=rating,
        text=text,
        reviewed_on=reviewed_on,
        created_by=actor,
    )
    _note(
        review,
        actor=actor,
        kind="recorded",
        summary=_("%(rating)s on order %(number)s: %(text)s")
        % {"rating": review.get_rating_display(), "number": order.number, "text": text[:150]},
    )
    return review


@transaction.atomic
def contact_reviewer(*, actor: User, review: Review, note: str, no_money_offered: bool) -> Review:
    _require_serving(actor)
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.state == ReviewState.CLOSED:
        raise InvalidState(_("This review is closed."))
    if not no_money_offered:
        raise DomainError(
            _(
                "No money is offered for a review. If the buyer has a real problem, open an "
                "after-sales case for it; the review is answered on its own."
            )
        )
    note = _clean(note, 500)
    if not note:
        raise DomainError(_("Write how you contacted the buyer and what was said."))
    review.contact_note = note
    review.contacted_at = timezone.now()
    review.state = ReviewState.CONTACTED
    review.save()
    _note(
        review,
        actor=actor,
        kind="contacted",
        summary=_("Reviewer contacted: %(note)s") % {"note": note[:150]},
    )
    return review


@transaction.atomic
def close_review(*, actor: User, review: Review, outcome: str) -> Review:
    _require_serving(actor)
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.state != ReviewState.CONTACTED:
        raise InvalidState(_("Contact the buyer first, then record the outcome."))
    if outcome not in ReviewOutcome.values:
        raise DomainError(_("Choose the outcome."))
    review.outcome = outcome
    review.state = ReviewState.CLOSED
    review.closed_at = timezone.now()
    review.save()
    _note(
        review,
        actor=actor,
        kind="closed",
        summary=_("Review handled: %(outcome)s") % {"outcome": review.get_outcome_display()},
    )
    emit(ReviewClosed(review_id=review.pk, order_id=review.order_id, outcome=outcome))
    return review
