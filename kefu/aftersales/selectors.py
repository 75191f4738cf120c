"""Reads of the after-sales app: who sees which case, the register (售后登记表), figures for reports.

Those who serve customers see every case. Warehouse staff see the cases from the parcel's return on
(a replacement to ship, a refund finance is paying); finance staff the cases with a refund to pay or paid. Anyone else sees none (404)."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404, HttpRequest
from django.utils import timezone

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.aftersales.models import (
    AfterSalesCase,
    CaseKind,
    CaseState,
    ClaimState,
    CourierClaim,
    InvoiceRequest,
    InvoiceState,
    MoneyLine,
    MoneyLineState,
    Review,
    ReviewState,
)

DEPARTMENT_STATES = {
    # the warehouse keeps seeing a parcel it took in while finance refunds it (read only)
    "warehouse": [
        CaseState.AWAITING_RETURN,
        CaseState.REFUND_PENDING,
        CaseState.REISSUE_PENDING,
        CaseState.DONE,
    ],
    "finance": [CaseState.REFUND_PENDING, CaseState.DONE],
}


def may_open_register(user: User) -> bool:
    return user.has_perm(Perm.SERVE_CUSTOMERS) or user.has_perm(Perm.WORK_ROUTED_TASKS)


def visible_cases(user: User) -> QuerySet[AfterSalesCase]:
    qs = AfterSalesCase.objects.select_related("order", "customer")
    if user.has_perm(Perm.SERVE_CUSTOMERS):
        return qs
    department = getattr(user, "department", None)
    if user.has_perm(Perm.WORK_ROUTED_TASKS) and department is not None:
        states = DEPARTMENT_STATES.get(department.code)
        if department.code == "warehouse":
            # a refund only never passed the warehouse
            return qs.filter(state__in=states).exclude(
                kind=CaseKind.REFUND_ONLY, state__in=[CaseState.REFUND_PENDING, CaseState.DONE]
            )
        if states:
            return qs.filter(state__in=states)
    return qs.none()


def access_case(*, actor: User, case_id: int, request: HttpRequest | None = None) -> AfterSalesCase:
    case = AfterSalesCase.objects.filter(pk=case_id).first()
    if case is None:
        raise Http404
    found = visible_cases(actor).filter(pk=case_id).first()
    if found is None:
        audit(AuditAction.ACCESS_DENIED, actor=actor, obj=case, request=request)
        raise Http404
    return found


def register(
    user: User, *, state: str = "", kind: str = "", q: str = ""
) -> QuerySet[AfterSalesCase]:
    qs = visible_cases(user).order_by("-id")
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    q = q.strip()
    if q:
        qs = qs.filter(Q(order__number=q) | Q(order__buyer_id=q) | Q(return_tracking=q))
    return qs


def order_cases(order_id: int) -> list[AfterSalesCase]:
    return list(AfterSalesCase.objects.filter(order_id=order_id).order_by("-id")[:20])


def case_figures(*, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Figures for the reports app over [start, end): cases opened by kind and by state, refunds
    paid (fen), arbitration cases. SQL aggregates only."""
    cases = AfterSalesCase.objects.filter(created_at__gte=start, created_at__lt=end)
    by_kind = dict(cases.values_list("kind").annotate(n=Count("id")).order_by())
    by_state = dict(cases.values_list("state").annotate(n=Count("id")).order_by())
    refunded = AfterSalesCase.objects.filter(
        finished_at__gte=start, finished_at__lt=end, state=CaseState.DONE
    ).aggregate(total=Sum("refund_fen"))["total"]
    return {
        "cases": cases.count(),
        "by_kind": {k: by_kind.get(k, 0) for k in CaseKind.values},
        "by_state": {s: by_state.get(s, 0) for s in CaseState.values},
        "refunded_fen": refunded or 0,
        "arbitration": cases.filter(arbitration=True).count(),
    }


def finance_cutoff() -> dt.time:
    hours, _sep, minutes = str(settings.KEFU_FINANCE_SHEET_CUTOFF).partition(":")
    try:
        return dt.time(int(hours), int(minutes or 0))
    except ValueError:
        return dt.time(17, 0)


def open_sheet_day(now: dt.datetime | None = None) -> dt.date:
    """The sheet a refund or a money line handed over now goes on: today's until the cut-off, the
    next day's after it (so finance opening the sheet at 18:00 sees what was just handed over)."""
    local = timezone.localtime(now)
    return local.date() + dt.timedelta(days=1 if local.time() >= finance_cutoff() else 0)


def finance_sheet(user: User, *, day: dt.date) -> dict[str, Any]:
    """The day's refund sheet for finance (seed 003/004: 邮费、赔偿、退款表交财务): the refunds handed
    over before the day's cut-off and not yet paid, and those paid that day, each with its total in
    fen. Refunds handed over after the cut-off go on the next day's sheet."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    cutoff = dt.datetime.combine(day, finance_cutoff(), tzinfo=tz)
    base = visible_cases(user).select_related("order", "customer").order_by("id")
    to_pay = base.filter(state=CaseState.REFUND_PENDING, refund_requested_at__lt=cutoff)
    paid = base.filter(refund_paid_at__gte=start, refund_paid_at__lt=start + dt.timedelta(days=1))
    money = money_lines_for_sheet(day=day) if may_see_money(user) else {}
    return {
        **money,
        "day": day,
        "cutoff": finance_cutoff(),
        "to_pay": list(to_pay),
        "to_pay_fen": to_pay.aggregate(total=Sum("refund_fen"))["total"] or 0,
        "paid": list(paid),
        "paid_fen": paid.aggregate(total=Sum("refund_fen"))["total"] or 0,
    }


# --- money: postage and compensation lines, courier claims, invoices ---------------------------


def is_finance(user: User) -> bool:
    """Finance staff (department code `finance`) or a supervisor who may step in."""
    if user.has_perm(Perm.HANDLE_EMERGENCY):
        return True
    department = getattr(user, "department", None)
    return (
        user.has_perm(Perm.WORK_ROUTED_TASKS)
        and department is not None
        and department.code == "finance"
    )


def may_see_money(user: User) -> bool:
    return user.has_perm(Perm.SERVE_CUSTOMERS) or is_finance(user)


M = TypeVar("M", bound=models.Model)


def _access(qs: QuerySet[M], *, actor: User, pk: int, request: HttpRequest | None = None) -> M:
    found = qs.filter(pk=pk).first()
    if found is None:
        raise Http404
    if not may_see_money(actor):
        audit(AuditAction.ACCESS_DENIED, actor=actor, obj=found, request=request)
        raise Http404
    return found


def access_money_line(
    *, actor: User, line_id: int, request: HttpRequest | None = None
) -> MoneyLine:
    return _access(
        MoneyLine.objects.select_related("case", "case__order", "case__customer"),
        actor=actor,
        pk=line_id,
        request=request,
    )


def access_claim(*, actor: User, claim_id: int, request: HttpRequest | None = None) -> CourierClaim:
    return _access(
        CourierClaim.objects.select_related("order", "customer", "case"),
        actor=actor,
        pk=claim_id,
        request=request,
    )


def access_invoice(
    *, actor: User, invoice_id: int, request: HttpRequest | None = None
) -> InvoiceRequest:
    return _access(
        InvoiceRequest.objects.select_related("order", "customer", "decided_by"),
        actor=actor,
        pk=invoice_id,
        request=request,
    )


def case_money_lines(case_id: int) -> list[MoneyLine]:
    return list(
        MoneyLine.objects.filter(case_id=case_id).select_related("requested_by", "decided_by")
    )


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(month.replace(day=1), dt.time(), tzinfo=tz)
    following = (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return start, dt.datetime.combine(following, dt.time(), tzinfo=tz)


def claims_sheet(user: User, *, month: dt.date, state: str = "") -> dict[str, Any]:
    """The monthly courier-claims sheet: the claims filed that month with their totals by courier
    (claimed, agreed, received), and every claim still open whenever it was filed."""
    if not may_see_money(user):
        return {"claims": [], "by_courier": [], "open": [], "totals": {}}
    start, end = month_bounds(month)
    filed = CourierClaim.objects.filter(filed_at__gte=start, filed_at__lt=end)
    if state in ClaimState.values:
        filed = filed.filter(state=state)
    sums = {
        "claimed": Sum("claimed_fen"),
        "agreed": Sum("agreed_fen"),
        "received": Sum("received_fen"),
    }
    by_courier = list(
        filed.values("courier").annotate(n=Count("id"), **sums).order_by("-n", "courier")
    )
    totals = filed.aggregate(n=Count("id"), **sums)
    return {
        "claims": list(filed.select_related("order", "customer").order_by("-id")[:500]),
        "by_courier": by_courier,
        "totals": {k: v or 0 for k, v in totals.items()},
        "open": list(
            CourierClaim.objects.filter(state__in=[ClaimState.FILED, ClaimState.ACCEPTED])
            .select_related("order")
            .order_by("filed_at")[:200]
        ),
    }


def invoice_list(user: User, *, state: str = "") -> QuerySet[InvoiceRequest]:
    if not may_see_money(user):
        return InvoiceRequest.objects.none()
    qs = InvoiceRequest.objects.select_related("order", "customer").order_by("-id")
    if state in InvoiceState.values:
        qs = qs.filter(state=state)
    return qs


def order_money(order_id: int) -> dict[str, Any]:
    return {
        "claims": list(CourierClaim.objects.filter(order_id=order_id).order_by("-id")[:20]),
        "invoices": list(InvoiceRequest.objects.filter(order_id=order_id).order_by("-id")[:20]),
    }


def money_lines_for_sheet(*, day: dt.date) -> dict[str, Any]:
    """Postage and compensation for the day's finance sheet: the lines asked before the cut-off and
    not yet decided or paid, and those paid that day."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    cutoff = dt.datetime.combine(day, finance_cutoff(), tzinfo=tz)
    base = MoneyLine.objects.select_related("case", "case__order", "case__customer").order_by("id")
    pending = base.filter(
        state__in=[MoneyLineState.REQUESTED, MoneyLineState.APPROVED], requested_at__lt=cutoff
    )
    paid = base.filter(paid_at__gte=start, paid_at__lt=start + dt.timedelta(days=1))
    return {
        "lines_pending": list(pending),
        "lines_pending_fen": pending.aggregate(total=Sum("amount_fen"))["total"] or 0,
        "lines_paid": list(paid),
        "lines_paid_fen": paid.aggregate(total=Sum("amount_fen"))["total"] or 0,
    }


# --- reviews 中差评 -------------------------------------------------------------------------------


def review_list(user: User, *, state: str = "", order_id: int | None = None) -> QuerySet[Review]:
    if not user.has_perm(Perm.SERVE_CUSTOMERS):
        return Review.objects.none()
    qs = Review.objects.select_related("order", "customer").order_by("-id")
    if state in ReviewState.values:
        qs = qs.filter(state=state)
    if order_id:
        qs = qs.filter(order_id=order_id)
    return qs


def may_read_reviews(user: User) -> bool:
    return user.has_perm(Perm.SERVE_CUSTOMERS)


def visible_reviews(user: User) -> QuerySet[Review]:
    return Review.objects.all() if may_read_reviews(user) else Review.objects.none()


def access_review(*, actor: User, review_id: int, request: HttpRequest | None = None) -> Review:
    """Reviews are read by those who serve customers; anyone else gets 404, as for a missing one."""
    review = Review.objects.select_related("order", "customer").filter(pk=review_id).first()
    if review is None:
        raise Http404
    if not may_read_reviews(actor):
        audit(AuditAction.ACCESS_DENIED, actor=actor, obj=review, request=request)
        raise Http404
    return review
