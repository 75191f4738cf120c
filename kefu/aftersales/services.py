"""Writes of the after-sales app: open a case on an order, add and review photos, move the case
along CASE_FLOW. Each move is logged on the case and the customer's timeline and emits CaseMoved."""

from __future__ import annotations

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.aftersales.events import CaseMoved
from kefu.aftersales.models import AfterSalesCase, CaseKind, CasePhoto, CaseState
from kefu.aftersales.states import CASE_FLOW
from kefu.core import timeline
from kefu.core.errors import Conflict, DomainError, InvalidState, PermissionRefused
from kefu.core.events import emit
from kefu.core.text import strip_control_characters
from kefu.core.uploads import inspect_upload, storage_path
from kefu.orders.models import FulfilmentState, Order

MAX_PHOTOS = 9
REFUNDS = {CaseKind.RETURN, CaseKind.QUALITY, CaseKind.REFUND_ONLY}


def _clean(text: str, max_length: int) -> str:
    return strip_control_characters(text or "").strip()[:max_length]


def refundable_fen(order: Order, *, excluding: int | None = None) -> int:
    """What was paid less what other live cases already refund."""
    live = AfterSalesCase.objects.filter(order=order).exclude(state=CaseState.REJECTED)
    if excluding is not None:
        live = live.exclude(pk=excluding)
    taken = live.aggregate(total=Sum("refund_fen"))["total"] or 0
    return max(order.paid_fen - taken, 0)


def _log(case: AfterSalesCase, *, move: str, before: str, actor: User, note: str = "") -> None:
    case.log = [
        *case.log,
        {
            "move": move,
            "from": before,
            "to": case.state,
            "at": timezone.now().isoformat(),
            "by": actor.pk,
            "by_name": str(actor),
            "note": note,
        },
    ]


def _record(case: AfterSalesCase, *, actor: User, move: str, summary: str) -> None:
    if case.customer_id:
        timeline.record(
            subject=case,
            customer_id=case.customer_id,
            kind=f"aftersales.{move}",
            actor=actor,
            summary=summary,
            data={"case_id": case.pk, "order_id": case.order_id, "state": case.state},
        )
    emit(
        CaseMoved(
            case_id=case.pk, order_id=case.order_id, move=move, state=case.state, actor_id=actor.pk
        )
    )


@transaction.atomic
def open_case(
    *, actor: User, order: Order, kind: str, reason: str, refund_fen: int = 0
) -> AfterSalesCase:
    if not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("You do not have permission to do this."))
    if kind not in CaseKind.values:
        raise DomainError(_("Choose the kind of after-sales case."))
    reason = _clean(reason, 500)
    if not reason:
        raise DomainError(_("Write what the buyer reports."))
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.state == FulfilmentState.UNPAID or (order.paid_fen == 0 and kind in REFUNDS):
        raise InvalidState(_("The order is not paid: there is nothing to refund or return."))
    if kind not in REFUNDS and refund_fen:
        raise DomainError(_("An exchange or a reissue refunds nothing; leave the refund at 0."))
    if kind in REFUNDS and refund_fen <= 0:
        raise DomainError(_("Give the amount to refund."))
    if refund_fen > refundable_fen(order):
        raise DomainError(
            _("The refund is larger than what was paid and not yet refunded (¥%(left)s).")
            % {"left": f"{refundable_fen(order) / 100:.2f}"}
        )
    case = AfterSalesCase.objects.create(
        order=order,
        customer_id=order.customer_id,
        kind=kind,
        reason=reason,
        refund_fen=refund_fen,
        created_by=actor,
    )
    _log(case, move="open", before="", actor=actor, note=reason[:200])
    case.save(update_fields=["log"])
    _record(
        case,
        actor=actor,
        move="open",
        summary=_("After-sales case (%(kind)s) opened on order %(number)s")
        % {"kind": case.get_kind_display(), "number": order.number},
    )
    return case


@transaction.atomic
def add_photo(*, actor: User, case: AfterSalesCase, upload: File[bytes]) -> CasePhoto:
    """A photo from the buyer: only an image (checked by its content, not its name)."""
    if not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("You do not have permission to do this."))
    if case.state != CaseState.OPENED:
        raise InvalidState(_("Photos are added while the case is being reviewed."))
    inspected = inspect_upload(upload)
    if not inspected.kind.is_image:
        raise DomainError(
            _("“%(name)s” is not a photo; send a PNG, JPEG, GIF or WebP image.")
            % {"name": inspected.name}
        )
    if case.photos.count() >= MAX_PHOTOS:
        raise DomainError(_("A case holds at most %(max)d photos.") % {"max": MAX_PHOTOS})
    stored = default_storage.save(storage_path("aftersales", inspected), upload)
    try:
        with transaction.atomic():
            photo = CasePhoto.objects.create(
                case=case,
                file=stored,
                name=inspected.name,
                content_type=inspected.kind.content_type,
                size=inspected.size,
                uploaded_by=actor,
            )
            AfterSalesCase.objects.filter(pk=case.pk).update(photos_reviewed=False)
    except Exception:
        default_storage.delete(stored)
        raise
    return photo


@transaction.atomic
def review_photos(*, actor: User, case: AfterSalesCase) -> AfterSalesCase:
    if not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("You do not have permission to do this."))
    case = AfterSalesCase.objects.select_for_update().get(pk=case.pk)
    if not case.photos.exists():
        raise DomainError(_("There is no photo to review yet."))
    case.photos_reviewed = True
    _log(case, move="review_photos", before=case.state, actor=actor)
    case.save(update_fields=["photos_reviewed", "log"])
    return case


@transaction.atomic
def move_case(
    *,
    actor: User,
    case: AfterSalesCase,
    move: str,
    note: str = "",
    parcel_notes: str = "",
    expected_version: int | None = None,
) -> AfterSalesCase:
    case = AfterSalesCase.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and expected_version != case.version:
        raise Conflict(_("This case was changed meanwhile; reload the page."))
    transition = CASE_FLOW.check(case.state, move, actor=actor, obj=case)
    before = case.state
    if move.startswith("intake"):
        case.parcel_notes = _clean(parcel_notes, 500)
    if move == "pay_refund":
        order = Order.objects.select_for_update().get(pk=case.order_id)
        if case.refund_fen > refundable_fen(order, excluding=case.pk):
            raise DomainError(_("The refund is larger than what was paid and not yet refunded."))
    if move == "flag_arbitration":
        case.arbitration = True
    if transition.target is not None:
        case.state = transition.target
    if case.state == CaseState.REFUND_PENDING and before != CaseState.REFUND_PENDING:
        case.refund_requested_at = timezone.now()
    if move == "pay_refund":
        case.refund_paid_at = timezone.now()
    if case.state in (CaseState.DONE, CaseState.REJECTED):
        case.finished_at = timezone.now()
    case.version += 1
    detail = case.parcel_notes if move.startswith("intake") else ""
    _log(case, move=move, before=before, actor=actor, note=_clean(note, 200) or detail[:200])
    case.save()
    _record(
        case,
        actor=actor,
        move=move,
        summary=_("After-sales case #%(id)s: %(move)s") % {"id": case.pk, "move": transition.label},
    )
    return case
