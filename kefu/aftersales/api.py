"""After-sales API: open a case on an order, read it, move it along CASE_FLOW (the same services and
guards as the pages: a department acting on another's step gets 403)."""

from typing import Any

from django.utils.translation import gettext as _
from ninja import P, QueryEx, Router, Status

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.aftersales import reviews, selectors, services
from kefu.aftersales.models import AfterSalesCase, Review, ReviewState
from kefu.aftersales.schemas import (
    CaseIn,
    CaseOut,
    MoveIn,
    ReviewIn,
    ReviewMoveIn,
    ReviewOut,
    ReviewPage,
)
from kefu.aftersales.states import CASE_FLOW
from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.pagination import keyset_page
from kefu.orders.selectors import access_order
from kefu.orders.services.money import parse_fen

router = Router(tags=["aftersales"])


def case_out(case: AfterSalesCase, viewer: User) -> dict[str, Any]:
    return {
        **{
            name: getattr(case, name)
            for name in (
                "id",
                "order_id",
                "customer_id",
                "kind",
                "state",
                "reason",
                "refund_fen",
                "photos_reviewed",
                "arbitration",
                "parcel_notes",
                "created_at",
                "finished_at",
                "version",
                "log",
            )
        },
        "state_label": case.get_state_display(),
        "moves": [t.name for t in CASE_FLOW.allowed(case.state, actor=viewer, obj=case)],
    }


@router.post(
    "/orders/{order_id}/aftersales",
    response={201: CaseOut},
    summary="Open an after-sales case on an order (the refund at most what was paid)",
)
def open_case(request: AuthenticatedRequest, order_id: int, body: CaseIn) -> Status[dict[str, Any]]:
    order = access_order(actor=request.user, order_id=order_id, request=request)
    case = services.open_case(
        actor=request.user,
        order=order,
        kind=body.kind,
        reason=body.reason,
        refund_fen=parse_fen(body.refund, label=_("Refund")),
    )
    return Status(201, case_out(case, request.user))


@router.get("/aftersales/{case_id}", response=CaseOut, summary="One after-sales case")
def get_case(request: AuthenticatedRequest, case_id: int) -> dict[str, Any]:
    return case_out(
        selectors.access_case(actor=request.user, case_id=case_id, request=request), request.user
    )


@router.post(
    "/aftersales/{case_id}/moves/{move}",
    response=CaseOut,
    summary="Move a case (accept_return, accept_refund, accept_reissue, reject, intake_refund, "
    "intake_exchange, ship_again, pay_refund, flag_arbitration)",
)
def move_case(
    request: AuthenticatedRequest, case_id: int, move: str, body: MoveIn
) -> dict[str, Any]:
    case = selectors.access_case(actor=request.user, case_id=case_id, request=request)
    CASE_FLOW.check_role(case.state, move, actor=request.user, obj=case)
    case = services.move_case(
        actor=request.user,
        case=case,
        move=move,
        note=body.note,
        parcel_notes=body.parcel_notes,
        expected_version=body.version,
    )
    return case_out(case, request.user)


# --- reviews 中差评 -------------------------------------------------------------------------------

REVIEW_MOVES = ("contact", "close")


def review_out(review: Review, viewer: User) -> dict[str, Any]:
    moves: list[str] = []
    if viewer.has_perm(Perm.SERVE_CUSTOMERS):
        if review.state != ReviewState.CLOSED:
            moves.append("contact")
        if review.state == ReviewState.CONTACTED:
            moves.append("close")
    return {
        **{
            name: getattr(review, name)
            for name in (
                "id",
                "order_id",
                "customer_id",
                "rating",
                "text",
                "reviewed_on",
                "state",
                "contact_note",
                "contacted_at",
                "outcome",
                "created_at",
                "closed_at",
            )
        },
        "order_number": review.order.number,
        "state_label": review.get_state_display(),
        "moves": moves,
    }


@router.get(
    "/reviews", response=ReviewPage, summary="List neutral and negative reviews (newest first)"
)
def list_reviews(
    request: AuthenticatedRequest,
    state: QueryEx[str, P(description="open, contacted or closed")] = "",
    order_id: QueryEx[int | None, P(ge=1, le=2**31 - 1)] = None,
    cursor: int | None = None,
    limit: QueryEx[int, P(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    if not request.user.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("You do not have permission to do this."))
    qs = selectors.review_list(request.user, state=state, order_id=order_id)
    page = keyset_page(qs, cursor=cursor, size=limit)
    return {
        "items": [review_out(r, request.user) for r in page.items],
        "next_cursor": page.next_cursor,
    }


@router.post(
    "/orders/{order_id}/reviews",
    response={201: ReviewOut},
    summary="Record a neutral or negative review (中差评) of an order",
)
def post_review(
    request: AuthenticatedRequest, order_id: int, body: ReviewIn
) -> Status[dict[str, Any]]:
    order = access_order(actor=request.user, order_id=order_id, request=request)
    review = reviews.record_review(
        actor=request.user,
        order=order,
        rating=body.rating,
        text=body.text,
        reviewed_on=body.reviewed_on,
    )
    return Status(201, review_out(review, request.user))


@router.get("/reviews/{review_id}", response=ReviewOut, summary="One review with its handling")
def get_review(request: AuthenticatedRequest, review_id: int) -> dict[str, Any]:
    return review_out(
        selectors.access_review(actor=request.user, review_id=review_id, request=request),
        request.user,
    )


@router.post(
    "/reviews/{review_id}/moves/{move}",
    response=ReviewOut,
    summary="Handle a review: contact (note, no_money_offered must be true: no money is offered "
    "for a review) or close (outcome: revised, explained, refused)",
)
def move_review(
    request: AuthenticatedRequest, review_id: int, move: str, body: ReviewMoveIn
) -> dict[str, Any]:
    review = selectors.access_review(actor=request.user, review_id=review_id, request=request)
    if move == "contact":
        review = reviews.contact_reviewer(
            actor=request.user,
            review=review,
            note=body.note,
            no_money_offered=body.no_money_offered,
        )
    elif move == "close":
        review = reviews.close_review(actor=request.user, review=review, outcome=body.outcome)
    else:
        raise DomainError(_("Unknown step: use contact or close."))
    return review_out(Review.objects.select_related("order").get(pk=review.pk), request.user)
