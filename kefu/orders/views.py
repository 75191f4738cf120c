"""Pages of the orders app: the list (with the printing desk's filter), an order with its remarks and
change requests, the order import (dry run, then confirm), and the chat workspace's orders pane."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.forms import StyledFormMixin, set_choices
from kefu.core.pages import perform
from kefu.core.pagination import keyset_page
from kefu.customers.selectors import access_customer
from kefu.orders import selectors
from kefu.orders.models import ChangeKind, FulfilmentState, ImportStatus, Order, Platform
from kefu.orders.services import changes, importing, orders, promises, remarks
from kefu.orders.services.money import parse_fen
from kefu.orders.states import STEP_LABELS, steps_for


class FilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Order, 旺旺 id or tracking no."), required=False, max_length=120
    )
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[("", gettext_lazy("Any state")), *FulfilmentState.choices],
    )
    platform = forms.ChoiceField(
        label=gettext_lazy("Platform"),
        required=False,
        choices=[("", gettext_lazy("Any platform")), *Platform.choices],
    )
    pending = forms.BooleanField(label=gettext_lazy("Remarks to confirm"), required=False)


class RemarkForm(StyledFormMixin, forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Remark"),
        max_length=remarks.MAX_REMARK,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ChangeForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What the customer wants"), choices=ChangeKind.choices
    )
    new_address = forms.CharField(label=gettext_lazy("New address"), max_length=300, required=False)
    item = forms.TypedChoiceField(
        label=gettext_lazy("Item"), coerce=int, required=False, empty_value=None
    )
    new_attributes = forms.CharField(
        label=gettext_lazy("New attributes"), max_length=200, required=False
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)

    def __init__(self, *args: Any, order: Order | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        items = list(order.items.all()) if order is not None else []
        set_choices(
            self, "item", [("", "—")] + [(i.pk, f"{i.name} {i.attributes}".strip()) for i in items]
        )


class TransferForm(StyledFormMixin, forms.Form):
    payer = forms.CharField(label=gettext_lazy("Payer"), max_length=60)
    bank = forms.CharField(label=gettext_lazy("Bank"), max_length=60, required=False)
    amount = forms.CharField(label=gettext_lazy("Amount"), max_length=20)
    transferred_on = forms.DateField(
        label=gettext_lazy("Transferred on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=64, required=False)


class ImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label=gettext_lazy("Order file (.xlsx or .csv)"))


@require_perm(Perm.SERVE_CUSTOMERS)
def order_list(request: AuthenticatedRequest) -> HttpResponse:
    form = FilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.order_list(
        request.user,
        q=filters.get("q", ""),
        state=filters.get("state", ""),
        platform=filters.get("platform", ""),
        pending=bool(filters.get("pending")),
    )
    page = keyset_page(qs, cursor=request.GET.get("cursor"))
    return render(
        request,
        "orders/list.html",
        {
            "form": form,
            "page": page,
            "pending_view": bool(filters.get("pending")),
            "may_import": selectors.may_import_orders(request.user),
        },
    )


@require_perm(Perm.SERVE_CUSTOMERS)
def order_detail(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    order = selectors.access_order(actor=request.user, order_id=order_id, request=request)
    change = selectors.open_change(order)
    change_steps: list[dict[str, Any]] = []
    if change is not None:
        done = {i: s for i, s in enumerate(change.steps_done)}
        for index, code in enumerate(steps_for(change.kind, change.path)):
            change_steps.append(
                {
                    "code": code,
                    "label": STEP_LABELS[code],
                    "done": done.get(index),
                    "next": index == len(done),
                }
            )
    refusals = {kind: changes.change_refusal(order, kind) for kind in ChangeKind.values}
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "items": list(order.items.all()),
            "remarks": list(order.remarks.select_related("author", "confirmed_by").order_by("-id")),
            "transfers": list(order.transfers.order_by("-id")),
            "change": change,
            "change_steps": change_steps,
            "past_changes": list(order.change_requests.exclude(status="open").order_by("-id")[:10]),
            "refusals": refusals,
            "may_change": change is None and not all(refusals.values()),
            "remark_form": RemarkForm(),
            "transfer_form": TransferForm(),
            "change_form": ChangeForm(order=order),
            "step_labels": STEP_LABELS,
        },
    )


def _back(
    request: AuthenticatedRequest, order_id: int, action: Callable[[], object], success: str
) -> HttpResponseRedirect:
    selectors.access_order(actor=request.user, order_id=order_id, request=request)
    return perform(request, action, success=success, then="orders:detail", order_id=order_id)


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def remark_add(request: AuthenticatedRequest, order_id: int) -> HttpResponseRedirect:
    order = selectors.access_order(actor=request.user, order_id=order_id, request=request)
    form = RemarkForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("Write the remark (at most %(max)d characters).") % {"max": remarks.MAX_REMARK},
        )
        return redirect("orders:detail", order_id=order.pk)
    return _back(
        request,
        order.pk,
        lambda: remarks.add_remark(actor=request.user, order=order, text=form.cleaned_data["text"]),
        _("Remark written: the printing desk sees it."),
    )


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def remarks_confirm(request: AuthenticatedRequest, order_id: int) -> HttpResponseRedirect:
    order = selectors.access_order(actor=request.user, order_id=order_id, request=request)
    then = request.POST.get("then") == "desk"
    try:
        remarks.confirm_remarks(actor=request.user, order=order)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Remarks confirmed."))
    if then:
        return redirect(reverse("orders:list") + "?pending=on")
    return redirect("orders:detail", order_id=order.pk)


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def change_request(request: AuthenticatedRequest, order_id: int) -> HttpResponseRedirect:
    order = selectors.access_order(actor=request.user, order_id=order_id, request=request)
    form = ChangeForm(request.POST, order=order)
    if not form.is_valid():
        messages.error(request, _("Choose what the customer wants and fill in what changes."))
        return redirect("orders:detail", order_id=order.pk)
    data = form.cleaned_data
    return _back(
        request,
        order.pk,
        lambda: changes.request_change(
            actor=request.user,
            order=order,
            kind=data["kind"],
            new_address=data["new_address"],
            item_id=data["item"],
            new_attributes=data["new_attributes"],
            reason=data["reason"],
        ),
        _("Change request started: follow the steps."),
    )


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def change_step(
    request: AuthenticatedRequest, order_id: int, change_id: int
) -> HttpResponseRedirect:
    order = selectors.access_order(actor=request.user, order_id=order_id, request=request)
    change = selectors.access_change(actor=request.user, order=order, change_id=change_id)
    step = request.POST.get("step", "")
    return _back(
        request,
        order.pk,
        lambda: changes.record_change_step(actor=request.user, change=change, step=step),
        _("Step recorded."),
    )


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def change_withdraw(
    request: AuthenticatedRequest, order_id: int, change_id: int
) -> HttpResponseRedirect:
    order = selectors.access_order(actor=request.user, order_id=order_id, request=request)
    change = selectors.access_change(actor=request.user, order=order, change_id=change_id)
    return _back(
        request,
        order.pk,
        lambda: changes.withdraw_change(
            actor=request.user, change=change, reason=request.POST.get("reason", "")
        ),
        _("Change request withdrawn."),
    )


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def transfer_add(request: AuthenticatedRequest, order_id: int) -> HttpResponseRedirect:
    order = selectors.access_order(actor=request.user, order_id=order_id, request=request)
    form = TransferForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the payer, the amount and the date of the transfer."))
        return redirect("orders:detail", order_id=order.pk)
    data = form.cleaned_data

    def record() -> None:
        orders.record_bank_transfer(
            actor=request.user,
            order=order,
            payer=data["payer"],
            bank=data["bank"],
            amount_fen=parse_fen(data["amount"], label=_("Amount")),
            transferred_on=data["transferred_on"],
            reference=data["reference"],
        )

    return _back(request, order.pk, record, _("Bank transfer registered."))


@require_perm(Perm.SERVE_CUSTOMERS)
def promise(request: AuthenticatedRequest) -> HttpResponse:
    """One line for the agent: stock of a SKU and the day it ships if paid now (htmx fragment)."""
    sku = request.GET.get("sku", "").strip()[:64]
    answer = promises.promise_for(sku=sku) if sku else None
    return render(request, "orders/_promise.html", {"answer": answer})


class StockForm(StyledFormMixin, forms.Form):
    sku = forms.CharField(label=gettext_lazy("SKU"), max_length=64)
    name = forms.CharField(label=gettext_lazy("Product"), max_length=200, required=False)
    quantity = forms.IntegerField(
        label=gettext_lazy("In stock"), min_value=-1_000_000, max_value=10_000_000
    )


@require_perm(Perm.SERVE_CUSTOMERS)
def stock_page(request: AuthenticatedRequest) -> HttpResponse:
    """Stock per SKU and the shipping promise (seed 002 ⑧⑨): paid now, with stock, it ships today
    before the cut-off on a working day, otherwise on the next working day. Supervisors set counts."""
    may_set = request.user.has_perm(Perm.ASSIGN_WORK)
    form = StockForm(request.POST or None) if may_set else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                stock = promises.set_stock(
                    actor=request.user,
                    sku=form.cleaned_data["sku"],
                    quantity=form.cleaned_data["quantity"],
                    name=form.cleaned_data["name"],
                )
            except DomainError as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, _("Stock of %(sku)s set.") % {"sku": stock.sku})
                return redirect(f"{reverse('orders:stock')}?q={stock.sku}")
    q = request.GET.get("q", "").strip()[:64]
    page = keyset_page(selectors.stock_list(q=q), cursor=request.GET.get("cursor"))
    return render(
        request,
        "orders/stock.html",
        {
            "page": page,
            "q": q,
            "form": form,
            "today": promises.promise_today(),
            "cutoff": promises.cutoff(),
        },
    )


@require_perm(Perm.ASSIGN_WORK)
def import_page(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = importing.check_order_file(
                    actor=request.user, upload=form.cleaned_data["file"]
                )
            except DomainError as refusal:
                form.add_error("file", refusal.message)
            else:
                return redirect("orders:import_job", job_id=job.pk)
    else:
        form = ImportForm()
    return render(
        request,
        "orders/import.html",
        {
            "form": form,
            "jobs": selectors.recent_imports(request.user)[:10],
            "columns": importing.COLUMNS,
        },
    )


@require_perm(Perm.ASSIGN_WORK)
def import_job(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    job = selectors.access_order_import(actor=request.user, job_id=job_id, request=request)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "confirm":
                raw = request.POST.get("order_count", "")
                job = importing.confirm_order_import(
                    actor=request.user, job=job, order_count=int(raw) if raw.isdigit() else -1
                )
                if job.status == ImportStatus.IMPORTED:
                    messages.success(
                        request, _("%(count)d orders imported.") % {"count": job.order_count}
                    )
                elif job.status == ImportStatus.FAILED:
                    messages.error(request, job.message)
                else:
                    messages.success(request, _("Importing: this page shows when it is done."))
            else:
                importing.cancel_order_import(actor=request.user, job=job)
                messages.success(request, _("Import cancelled."))
        except DomainError as refusal:
            messages.error(request, refusal.message)
        return redirect("orders:import_job", job_id=job.pk)
    return render(request, "orders/import_job.html", {"job": job})


@require_perm(Perm.SERVE_CUSTOMERS)
def customer_pane(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    """The orders of a chat's customer, for the workspace's customer pane (loaded by htmx)."""
    customer = access_customer(actor=request.user, customer_id=customer_id, request=request)
    return render(
        request,
        "orders/_pane.html",
        {"customer": customer, "orders": selectors.customer_orders(customer.pk, limit=5)},
    )


app_name = "orders"
urlpatterns = [
    path("", order_list, name="list"),
    path("<int:order_id>/", order_detail, name="detail"),
    path("<int:order_id>/remarks/", remark_add, name="remark_add"),
    path("<int:order_id>/remarks/confirm/", remarks_confirm, name="remarks_confirm"),
    path("<int:order_id>/changes/", change_request, name="change_request"),
    path("<int:order_id>/changes/<int:change_id>/step/", change_step, name="change_step"),
    path(
        "<int:order_id>/changes/<int:change_id>/withdraw/", change_withdraw, name="change_withdraw"
    ),
    path("<int:order_id>/transfers/", transfer_add, name="transfer_add"),
    path("promise/", promise, name="promise"),
    path("stock/", stock_page, name="stock"),
    path("import/", import_page, name="import"),
    path("import/<int:job_id>/", import_job, name="import_job"),
    path("customer/<int:customer_id>/pane/", customer_pane, name="customer_pane"),
]
