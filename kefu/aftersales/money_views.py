"""Pages of after-sales money: postage and compensation lines on a case (asked on the case page,
decided on the case page or the finance sheet), courier claims 快递理赔 with the monthly sheet, and
invoice requests 发票."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.aftersales import money, selectors
from kefu.aftersales.models import (
    AfterSalesCase,
    ClaimKind,
    ClaimState,
    InvoiceKind,
    InvoiceState,
    MoneyLineKind,
)
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.forms import StyledFormMixin
from kefu.core.pages import perform
from kefu.core.pagination import keyset_page
from kefu.orders.selectors import access_order
from kefu.orders.services.money import parse_fen


class MoneyLineForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=MoneyLineKind.choices)
    amount = forms.CharField(label=gettext_lazy("Amount (yuan)"), max_length=20)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


class ClaimForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ClaimKind.choices)
    amount = forms.CharField(label=gettext_lazy("Amount claimed (yuan)"), max_length=20)
    description = forms.CharField(
        label=gettext_lazy("What happened"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    courier = forms.CharField(label=gettext_lazy("Courier"), max_length=40, required=False)
    tracking_number = forms.CharField(
        label=gettext_lazy("Tracking number"), max_length=64, required=False
    )


class InvoiceForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=InvoiceKind.choices)
    title = forms.CharField(label=gettext_lazy("Invoice title"), max_length=100)
    tax_number = forms.CharField(label=gettext_lazy("Tax number"), max_length=30, required=False)
    amount = forms.CharField(
        label=gettext_lazy("Amount (yuan)"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("Empty: what was paid."),
    )
    email = forms.CharField(label=gettext_lazy("Send to (e-mail)"), max_length=254, required=False)


P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)


def _money_perm(
    view: Callable[Concatenate[AuthenticatedRequest, P], R],
) -> Callable[Concatenate[AuthenticatedRequest, P], R]:
    return require_perm(Perm.SERVE_CUSTOMERS, Perm.WORK_ROUTED_TASKS, Perm.HANDLE_EMERGENCY)(view)


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def money_line_add(request: AuthenticatedRequest, case_id: int) -> HttpResponseRedirect:
    case = selectors.access_case(actor=request.user, case_id=case_id, request=request)
    form = MoneyLineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Fill in the kind, the amount and the reason."))
        return redirect("aftersales:detail", case_id=case.pk)

    def action() -> None:
        money.add_money_line(
            actor=request.user,
            case=case,
            kind=form.cleaned_data["kind"],
            amount_fen=parse_fen(form.cleaned_data["amount"], label=_("Amount")),
            reason=form.cleaned_data["reason"],
        )

    return perform(
        request, action, success=_("Sent to finance."), then="aftersales:detail", case_id=case.pk
    )


@_money_perm
@require_POST
def money_line_move(request: AuthenticatedRequest, line_id: int) -> HttpResponseRedirect:
    line = selectors.access_money_line(actor=request.user, line_id=line_id, request=request)
    move = request.POST.get("move", "")
    money.MONEY_LINE_FLOW.check_role(line.state, move, actor=request.user, obj=line)
    try:
        money.move_money_line(
            actor=request.user,
            line=line,
            move=move,
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Step recorded."))
    return redirect(_next(request, f"/aftersales/{line.case_id}/"))


def money_context(request: AuthenticatedRequest, case: AfterSalesCase) -> dict[str, Any]:
    """What the case page shows of the case's money lines and who may do what."""
    lines = selectors.case_money_lines(case.pk)
    return {
        "money_lines": [
            (line, money.MONEY_LINE_FLOW.allowed(line.state, actor=request.user, obj=line))
            for line in lines
        ],
        "money_form": MoneyLineForm() if request.user.has_perm(Perm.SERVE_CUSTOMERS) else None,
    }


# --- courier claims ----------------------------------------------------------------------------


@_money_perm
def claim_list(request: AuthenticatedRequest) -> HttpResponse:
    if not selectors.may_see_money(request.user):
        raise Http404
    try:
        month = dt.date.fromisoformat(request.GET.get("month", "") + "-01")
    except ValueError:
        month = timezone.localdate().replace(day=1)
    state = request.GET.get("state", "")
    sheet = selectors.claims_sheet(request.user, month=month, state=state)
    return render(
        request,
        "aftersales/claims.html",
        {**sheet, "month": month, "state": state, "states": ClaimState.choices},
    )


@require_perm(Perm.SERVE_CUSTOMERS)
def claim_new(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    order = access_order(actor=request.user, order_id=order_id, request=request)
    form = ClaimForm(
        request.POST or None,
        initial={"courier": order.logistics_company, "tracking_number": order.tracking_number},
    )
    if request.method == "POST" and form.is_valid():
        try:
            claim = money.file_claim(
                actor=request.user,
                order=order,
                kind=form.cleaned_data["kind"],
                claimed_fen=parse_fen(form.cleaned_data["amount"], label=_("Amount claimed")),
                description=form.cleaned_data["description"],
                courier=form.cleaned_data["courier"],
                tracking_number=form.cleaned_data["tracking_number"],
            )
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("Claim filed with the courier."))
            return redirect("aftersales:claim", claim_id=claim.pk)
    return render(request, "aftersales/claim_new.html", {"order": order, "form": form})


@_money_perm
def claim_detail(request: AuthenticatedRequest, claim_id: int) -> HttpResponse:
    claim = selectors.access_claim(actor=request.user, claim_id=claim_id, request=request)
    if request.method == "POST":
        move = request.POST.get("move", "")
        money.CLAIM_FLOW.check_role(claim.state, move, actor=request.user, obj=claim)

        def action() -> None:
            money.move_claim(
                actor=request.user,
                claim=claim,
                move=move,
                amount_fen=parse_fen(request.POST.get("amount", ""), label=_("Amount")),
                note=request.POST.get("note", ""),
                reference=request.POST.get("reference", ""),
                request=request,
            )

        return perform(
            request, action, success=_("Step recorded."), then="aftersales:claim", claim_id=claim.pk
        )
    log = [
        {**entry, "when": dt.datetime.fromisoformat(entry["at"]) if entry.get("at") else None}
        for entry in claim.log
    ]
    return render(
        request,
        "aftersales/claim.html",
        {
            "claim": claim,
            "moves": money.CLAIM_FLOW.allowed(claim.state, actor=request.user, obj=claim),
            "log": log,
            "may_serve": request.user.has_perm(Perm.SERVE_CUSTOMERS),
        },
    )


# --- invoices ----------------------------------------------------------------------------------


@_money_perm
def invoice_list(request: AuthenticatedRequest) -> HttpResponse:
    if not selectors.may_see_money(request.user):
        raise Http404
    state = request.GET.get("state", "")
    page = keyset_page(
        selectors.invoice_list(request.user, state=state), cursor=request.GET.get("cursor")
    )
    return render(
        request,
        "aftersales/invoices.html",
        {"page": page, "state": state, "states": InvoiceState.choices, "now": timezone.now()},
    )


@require_perm(Perm.SERVE_CUSTOMERS)
def invoice_new(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    order = access_order(actor=request.user, order_id=order_id, request=request)
    form = InvoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invoice = money.request_invoice(
                actor=request.user,
                order=order,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                tax_number=form.cleaned_data["tax_number"],
                amount_fen=parse_fen(form.cleaned_data["amount"], label=_("Amount")),
                email=form.cleaned_data["email"],
            )
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("Invoice request sent to finance."))
            return redirect("aftersales:invoice", invoice_id=invoice.pk)
    return render(request, "aftersales/invoice_new.html", {"order": order, "form": form})


@_money_perm
def invoice_detail(request: AuthenticatedRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.access_invoice(actor=request.user, invoice_id=invoice_id, request=request)
    if request.method == "POST":
        move = request.POST.get("move", "")
        money.INVOICE_FLOW.check_role(invoice.state, move, actor=request.user, obj=invoice)
        return perform(
            request,
            lambda: money.move_invoice(
                actor=request.user,
                invoice=invoice,
                move=move,
                invoice_number=request.POST.get("invoice_number", ""),
                reason=request.POST.get("reason", ""),
                request=request,
            ),
            success=_("Step recorded."),
            then="aftersales:invoice",
            invoice_id=invoice.pk,
        )
    return render(
        request,
        "aftersales/invoice.html",
        {
            "invoice": invoice,
            "moves": money.INVOICE_FLOW.allowed(invoice.state, actor=request.user, obj=invoice),
            "may_serve": request.user.has_perm(Perm.SERVE_CUSTOMERS),
            "now": timezone.now(),
        },
    )


urlpatterns = [
    path("<int:case_id>/money/", money_line_add, name="money_line_add"),
    path("money/<int:line_id>/move/", money_line_move, name="money_line_move"),
    path("claims/", claim_list, name="claims"),
    path("claims/new/<int:order_id>/", claim_new, name="claim_new"),
    path("claims/<int:claim_id>/", claim_detail, name="claim"),
    path("invoices/", invoice_list, name="invoices"),
    path("invoices/new/<int:order_id>/", invoice_new, name="invoice_new"),
    path("invoices/<int:invoice_id>/", invoice_detail, name="invoice"),
]
