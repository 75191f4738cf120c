"""After-sales money (seed 003/004: 邮费、赔偿、退款表交财务; 丢件; 发票): postage refunds and
compensation on a case, claims against the courier for a lost or damaged parcel 快递理赔, and invoice
requests 发票. The desk asks; finance approves, pays, receives the courier's money and issues invoices
(supervisors may step in). Amounts in fen; every step on the record's log or the customer's timeline,
every finance decision in the audit log."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.aftersales.events import MoneyMoved
from kefu.aftersales.models import (
    AfterSalesCase,
    CaseState,
    ClaimKind,
    ClaimState,
    CourierClaim,
    InvoiceKind,
    InvoiceRequest,
    InvoiceState,
    MoneyLine,
    MoneyLineKind,
    MoneyLineState,
)
from kefu.aftersales.states import in_department
from kefu.core import timeline
from kefu.core.business_calendar import BusinessCalendar
from kefu.core.errors import DomainError, InvalidState, PermissionRefused
from kefu.core.events import emit
from kefu.core.statemachine import StateMachine, Transition, require_perm
from kefu.core.text import strip_control_characters
from kefu.orders.models import FulfilmentState, Order
from kefu.orders.services.promises import next_working_day

FINANCE = in_department("finance")
DESK = require_perm(Perm.SERVE_CUSTOMERS)

MONEY_LINE_FLOW = StateMachine(
    subject=gettext_lazy("money line"),
    states=MoneyLineState,
    transitions=[
        Transition(
            "approve",
            gettext_lazy("Approve"),
            source={MoneyLineState.REQUESTED},
            target=MoneyLineState.APPROVED,
            guard=FINANCE,
        ),
        Transition(
            "decline",
            gettext_lazy("Decline"),
            source={MoneyLineState.REQUESTED},
            target=MoneyLineState.DECLINED,
            guard=FINANCE,
        ),
        Transition(
            "pay",
            gettext_lazy("Paid"),
            source={MoneyLineState.APPROVED},
            target=MoneyLineState.PAID,
            guard=FINANCE,
        ),
    ],
)

CLAIM_FLOW = StateMachine(
    subject=gettext_lazy("courier claim"),
    states=ClaimState,
    transitions=[
        Transition(
            "accept",
            gettext_lazy("The courier accepted"),
            source={ClaimState.FILED},
            target=ClaimState.ACCEPTED,
            guard=DESK,
        ),
        Transition(
            "reject",
            gettext_lazy("The courier rejected"),
            source={ClaimState.FILED},
            target=ClaimState.REJECTED,
            guard=DESK,
        ),
        Transition(
            "settle",
            gettext_lazy("Money received from the courier"),
            source={ClaimState.ACCEPTED},
            target=ClaimState.SETTLED,
            guard=FINANCE,
        ),
    ],
)

INVOICE_FLOW = StateMachine(
    subject=gettext_lazy("invoice request"),
    states=InvoiceState,
    transitions=[
        Transition(
            "issue",
            gettext_lazy("Invoice issued"),
            source={InvoiceState.REQUESTED},
            target=InvoiceState.ISSUED,
            guard=FINANCE,
        ),
        Transition(
            "decline",
            gettext_lazy("Decline"),
            source={InvoiceState.REQUESTED},
            target=InvoiceState.DECLINED,
            guard=FINANCE,
        ),
    ],
)

# 统一社会信用代码 (GB 32100-2015): 18 characters of this alphabet, the last a check character.
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
OLD_TAX_NUMBER = re.compile(r"^[0-9]{6}[0-9A-Z]{9}$")  # a 15-character 税务登记号 before 2015
INVOICE_NUMBER = re.compile(r"^(?:[0-9]{8}|[0-9]{20})$")  # paper (8 digits) or 全电发票 (20)


def _clean(text: str, max_length: int) -> str:
    return strip_control_characters(text or "").strip()[:max_length]


def credit_code(first_17: str) -> str:
    """The unified social credit code with its check character (for examples and demo data)."""
    total = sum(
        CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first_17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return first_17 + CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def clean_tax_number(value: str) -> str:
    """A company's tax number: the 18-character unified social credit code with its check character,
    or an old 15-character tax registration number. Spaces dropped, letters upper-cased."""
    text = unicodedata.normalize("NFKC", value or "").replace(" ", "").strip().upper()
    if len(text) == 18 and all(c in CREDIT_CODE_CHARS for c in text):
        total = sum(
            CREDIT_CODE_CHARS.index(c) * w
            for c, w in zip(text[:17], CREDIT_CODE_WEIGHTS, strict=True)
        )
        check = (31 - total % 31) % 31
        if CREDIT_CODE_CHARS[check] == text[17]:
            return text
        raise DomainError(
            _("The tax number's last character does not match: check the 18 characters again.")
        )
    if OLD_TAX_NUMBER.match(text):
        return text
    raise DomainError(
        _(
            "A tax number is the 18-character unified social credit code "
            "(digits and capital letters, no I, O, S, V or Z)."
        )
    )


def _require(actor: User, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionRefused(_("You do not have permission to do this."))


def _log(obj: Any, *, move: str, before: str, actor: User, note: str = "") -> None:
    obj.log = [
        *obj.log,
        {
            "move": move,
            "from": before,
            "to": obj.state,
            "at": timezone.now().isoformat(),
            "by": actor.pk,
            "by_name": str(actor),
            "note": note,
        },
    ]


def _record(
    *,
    subject: models.Model,
    customer_id: int | None,
    kind: str,
    actor: User,
    summary: str,
    data: dict[str, Any],
) -> None:
    if customer_id:
        timeline.record(
            subject=subject,
            customer_id=customer_id,
            kind=kind,
            actor=actor,
            summary=summary,
            data=data,
        )


def _emit(*, record: str, obj: Any, move: str, actor: User) -> None:
    emit(MoneyMoved(record=record, record_id=obj.pk, move=move, state=obj.state, actor_id=actor.pk))


def _decision(
    actor: User,
    obj: models.Model,
    *,
    step: str,
    request: HttpRequest | None = None,
    **details: Any,
) -> None:
    audit(
        AuditAction.FINANCE_DECISION,
        actor=actor,
        obj=obj,
        request=request,
        details={"step": step, **details},
    )


def yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


# --- postage refunds and compensation on a case ------------------------------------------------


@transaction.atomic
def add_money_line(
    *, actor: User, case: AfterSalesCase, kind: str, amount_fen: int, reason: str
) -> MoneyLine:
    """The desk asks finance for a postage refund or a compensation on a case. The lines of a case
    (not declined) together stay within what the buyer paid for the order."""
    _require(actor, Perm.SERVE_CUSTOMERS)
    if kind not in MoneyLineKind.values:
        raise DomainError(_("Choose postage refund or compensation."))
    reason = _clean(reason, 300)
    if not reason:
        raise DomainError(_("Write why the buyer gets this money."))
    if amount_fen <= 0:
        raise DomainError(_("Give the amount."))
    case = AfterSalesCase.objects.select_for_update().select_related("order").get(pk=case.pk)
    if case.state == CaseState.REJECTED:
        raise InvalidState(_("The case was rejected: nothing is paid on it."))
    taken = (
        MoneyLine.objects.filter(case__order_id=case.order_id)
        .exclude(state=MoneyLineState.DECLINED)
        .aggregate(total=Sum("amount_fen"))["total"]
        or 0
    )
    left = case.order.paid_fen - taken
    if amount_fen > left:
        raise DomainError(
            _("Postage and compensation on this order cannot exceed what was paid (%(left)s left).")
            % {"left": yuan(max(left, 0))}
        )
    line = MoneyLine.objects.create(
        case=case, kind=kind, amount_fen=amount_fen, reason=reason, requested_by=actor
    )
    _record(
        subject=case,
        customer_id=case.customer_id,
        kind="aftersales.money_requested",
        actor=actor,
        summary=_("%(kind)s of %(amount)s asked on after-sales case #%(id)s: %(reason)s")
        % {
            "kind": line.get_kind_display(),
            "amount": yuan(amount_fen),
            "id": case.pk,
            "reason": reason[:120],
        },
        data={"case_id": case.pk, "money_line_id": line.pk, "amount_fen": amount_fen},
    )
    _emit(record="money_line", obj=line, move="request", actor=actor)
    return line


@transaction.atomic
def move_money_line(
    *,
    actor: User,
    line: MoneyLine,
    move: str,
    reason: str = "",
    request: HttpRequest | None = None,
) -> MoneyLine:
    line = MoneyLine.objects.select_for_update().select_related("case").get(pk=line.pk)
    transition = MONEY_LINE_FLOW.check(line.state, move, actor=actor, obj=line)
    reason = _clean(reason, 300)
    if move == "decline" and not reason:
        raise DomainError(_("Write why it is declined."))
    now = timezone.now()
    if move in ("approve", "decline"):
        line.decided_by, line.decided_at = actor, now
    if move == "decline":
        line.decline_reason = reason
    if move == "pay":
        line.paid_at = now
    assert transition.target is not None
    line.state = transition.target
    line.save()
    _decision(actor, line, step=f"money_line.{move}", request=request, amount_fen=line.amount_fen)
    _record(
        subject=line.case,
        customer_id=line.case.customer_id,
        kind=f"aftersales.money_{move}",
        actor=actor,
        summary=_("%(kind)s of %(amount)s: %(step)s")
        % {
            "kind": line.get_kind_display(),
            "amount": yuan(line.amount_fen),
            "step": transition.label,
        },
        data={"case_id": line.case_id, "money_line_id": line.pk, "state": line.state},
    )
    _emit(record="money_line", obj=line, move=move, actor=actor)
    return line


# --- courier claims 快递理赔 ---------------------------------------------------------------------


@transaction.atomic
def file_claim(
    *,
    actor: User,
    order: Order,
    kind: str,
    claimed_fen: int,
    description: str,
    courier: str = "",
    tracking_number: str = "",
    case: AfterSalesCase | None = None,
) -> CourierClaim:
    """A claim against the courier for a parcel of a shipped order that was lost or arrived
    damaged. At most what the buyer paid; one open claim per parcel."""
    _require(actor, Perm.SERVE_CUSTOMERS)
    if kind not in ClaimKind.values:
        raise DomainError(_("Choose lost or damaged."))
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.state not in (FulfilmentState.SHIPPED, FulfilmentState.RECEIVED):
        raise InvalidState(_("Only a shipped parcel can be claimed from the courier."))
    description = _clean(description, 500)
    if not description:
        raise DomainError(_("Write what happened to the parcel."))
    courier = _clean(courier, 40) or order.logistics_company
    tracking_number = _clean(tracking_number, 64) or order.tracking_number
    if not courier or not tracking_number:
        raise DomainError(_("Give the courier and the tracking number."))
    if claimed_fen <= 0:
        raise DomainError(_("Give the amount claimed."))
    if claimed_fen > order.paid_fen:
        raise DomainError(
            _("The claim cannot exceed what the buyer paid (%(paid)s).")
            % {"paid": yuan(order.paid_fen)}
        )
    if CourierClaim.objects.filter(
        tracking_number=tracking_number, state__in=[ClaimState.FILED, ClaimState.ACCEPTED]
    ).exists():
        raise InvalidState(_("This parcel already has an open claim."))
    if case is not None and case.order_id != order.pk:
        raise DomainError(_("The after-sales case belongs to another order."))
    claim = CourierClaim.objects.create(
        order=order,
        case=case,
        customer_id=order.customer_id,
        kind=kind,
        courier=courier,
        tracking_number=tracking_number,
        description=description,
        claimed_fen=claimed_fen,
        created_by=actor,
    )
    _log(claim, move="file", before="", actor=actor, note=description[:200])
    claim.save(update_fields=["log"])
    _record(
        subject=claim,
        customer_id=claim.customer_id,
        kind="aftersales.claim_filed",
        actor=actor,
        summary=_("Claim with %(courier)s for order %(number)s (%(kind)s): %(amount)s")
        % {
            "courier": courier,
            "number": order.number,
            "kind": claim.get_kind_display(),
            "amount": yuan(claimed_fen),
        },
        data={"claim_id": claim.pk, "order_id": order.pk},
    )
    _emit(record="claim", obj=claim, move="file", actor=actor)
    return claim


@transaction.atomic
def move_claim(
    *,
    actor: User,
    claim: CourierClaim,
    move: str,
    amount_fen: int = 0,
    note: str = "",
    reference: str = "",
    request: HttpRequest | None = None,
) -> CourierClaim:
    claim = CourierClaim.objects.select_for_update().get(pk=claim.pk)
    transition = CLAIM_FLOW.check(claim.state, move, actor=actor, obj=claim)
    note = _clean(note, 300)
    before = claim.state
    if move == "accept":
        if amount_fen <= 0 or amount_fen > claim.claimed_fen:
            raise DomainError(
                _("The agreed amount is more than nothing and at most the claim (%(claimed)s).")
                % {"claimed": yuan(claim.claimed_fen)}
            )
        claim.agreed_fen = amount_fen
        claim.courier_reference = _clean(reference, 64)
        claim.answer = note
    elif move == "reject":
        if not note:
            raise DomainError(_("Write the courier's reason."))
        claim.answer = note
        claim.settled_at = timezone.now()
    elif move == "settle":
        if amount_fen <= 0 or amount_fen > claim.agreed_fen:
            raise DomainError(
                _(
                    "The amount received is more than nothing and at most what was agreed (%(agreed)s)."
                )
                % {"agreed": yuan(claim.agreed_fen)}
            )
        claim.received_fen = amount_fen
        claim.settled_at = timezone.now()
    assert transition.target is not None
    claim.state = transition.target
    _log(claim, move=move, before=before, actor=actor, note=note[:200])
    claim.save()
    if move == "settle":
        _decision(actor, claim, step="claim.settle", request=request, amount_fen=amount_fen)
    _record(
        subject=claim,
        customer_id=claim.customer_id,
        kind=f"aftersales.claim_{move}",
        actor=actor,
        summary=_("Courier claim #%(id)s: %(step)s") % {"id": claim.pk, "step": transition.label},
        data={"claim_id": claim.pk, "state": claim.state},
    )
    _emit(record="claim", obj=claim, move=move, actor=actor)
    return claim


# --- invoices 发票 -----------------------------------------------------------------------------


def invoice_due(now: dt.datetime) -> dt.datetime:
    """The end of the KEFU_INVOICE_DAYS-th working day after `now` (Beijing)."""
    calendar = BusinessCalendar()
    day = timezone.localtime(now).date()
    for _i in range(max(int(settings.KEFU_INVOICE_DAYS), 1)):
        day = next_working_day(day, calendar)
    end = dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time(), tzinfo=timezone.get_current_timezone()
    )
    return end


@transaction.atomic
def request_invoice(
    *,
    actor: User,
    order: Order,
    kind: str,
    title: str,
    tax_number: str = "",
    amount_fen: int = 0,
    email: str = "",
) -> InvoiceRequest:
    """The buyer asks for an invoice. A special VAT invoice needs the company's tax number; an
    ordinary one to a company gives it too (a person's name needs none). Invoices of an order
    together cover at most what was paid."""
    _require(actor, Perm.SERVE_CUSTOMERS)
    if kind not in InvoiceKind.values:
        raise DomainError(_("Choose the kind of invoice."))
    title = _clean(title, 100)
    if not title:
        raise DomainError(_("Write the invoice title (抬头): the company's or the person's name."))
    tax_number = tax_number.strip()
    if tax_number:
        tax_number = clean_tax_number(tax_number)
    elif kind == InvoiceKind.SPECIAL:
        raise DomainError(_("A special VAT invoice needs the company's tax number."))
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError(_("The e-mail address is not valid.")) from None
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.paid_fen <= 0:
        raise InvalidState(_("The order is not paid: there is nothing to invoice."))
    if amount_fen <= 0:
        amount_fen = order.paid_fen
    invoiced = (
        InvoiceRequest.objects.filter(order=order)
        .exclude(state=InvoiceState.DECLINED)
        .aggregate(total=Sum("amount_fen"))["total"]
        or 0
    )
    if amount_fen > order.paid_fen - invoiced:
        raise DomainError(
            _("Invoices on this order cannot exceed what was paid (%(left)s left to invoice).")
            % {"left": yuan(max(order.paid_fen - invoiced, 0))}
        )
    invoice = InvoiceRequest.objects.create(
        order=order,
        customer_id=order.customer_id,
        kind=kind,
        title=title,
        tax_number=tax_number,
        amount_fen=amount_fen,
        email=email,
        due_at=invoice_due(timezone.now()),
        requested_by=actor,
    )
    _record(
        subject=invoice,
        customer_id=invoice.customer_id,
        kind="aftersales.invoice_requested",
        actor=actor,
        summary=_("Invoice asked on order %(number)s: %(title)s, %(amount)s")
        % {"number": order.number, "title": title[:60], "amount": yuan(amount_fen)},
        data={"invoice_id": invoice.pk, "order_id": order.pk},
    )
    _emit(record="invoice", obj=invoice, move="request", actor=actor)
    return invoice


@transaction.atomic
def move_invoice(
    *,
    actor: User,
    invoice: InvoiceRequest,
    move: str,
    invoice_number: str = "",
    reason: str = "",
    request: HttpRequest | None = None,
) -> InvoiceRequest:
    invoice = InvoiceRequest.objects.select_for_update().get(pk=invoice.pk)
    transition = INVOICE_FLOW.check(invoice.state, move, actor=actor, obj=invoice)
    if move == "issue":
        number = unicodedata.normalize("NFKC", invoice_number or "").strip()
        if not INVOICE_NUMBER.match(number):
            raise DomainError(_("The invoice number is 8 or 20 digits."))
        invoice.invoice_number = number
    else:
        reason = _clean(reason, 300)
        if not reason:
            raise DomainError(_("Write why it is declined."))
        invoice.decline_reason = reason
    invoice.decided_by, invoice.decided_at = actor, timezone.now()
    assert transition.target is not None
    invoice.state = transition.target
    invoice.save()
    _decision(
        actor,
        invoice,
        step=f"invoice.{move}",
        request=request,
        amount_fen=invoice.amount_fen,
        invoice_number=invoice.invoice_number,
    )
    _record(
        subject=invoice,
        customer_id=invoice.customer_id,
        kind=f"aftersales.invoice_{move}",
        actor=actor,
        summary=_("Invoice request #%(id)s: %(step)s %(number)s")
        % {"id": invoice.pk, "step": transition.label, "number": invoice.invoice_number},
        data={"invoice_id": invoice.pk, "state": invoice.state},
    )
    _emit(record="invoice", obj=invoice, move=move, actor=actor)
    return invoice
