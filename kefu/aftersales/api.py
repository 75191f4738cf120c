"""After-sales API: open a case on an order, read it, move it along CASE_FLOW (the same services and
guards as the pages: a department acting on another's step gets 403)."""

from django.utils.translation import gettext as _
from ninja import Router, Status

from kefu.aftersales import selectors, services
from kefu.aftersales.models import AfterSalesCase
from kefu.aftersales.schemas import CaseIn, CaseOut, MoveIn
from kefu.aftersales.states import CASE_FLOW
from kefu.orders.selectors import access_order
from kefu.orders.services.money import parse_fen

router = Router(tags=["aftersales"])


def case_out(case: AfterSalesCase, viewer) -> dict:
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
def open_case(request, order_id: int, body: CaseIn):
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
def get_case(request, case_id: int):
    return case_out(
        selectors.access_case(actor=request.user, case_id=case_id, request=request), request.user
    )


@router.post(
    "/aftersales/{case_id}/moves/{move}",
    response=CaseOut,
    summary="Move a case (accept_return, accept_refund, accept_reissue, reject, intake_refund, "
    "intake_exchange, ship_again, pay_refund, flag_arbitration)",
)
def move_case(request, case_id: int, move: str, body: MoveIn):
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
