"""Pages of personal-data rights 个人信息保护: find a customer, copy out their data, erase it,
the requests, and the retention rules with their dry run."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.masking import PersonalKind, mask
from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.pages import perform
from kefu.customers.selectors import access_customer
from kefu.privacy import selectors, services
from kefu.privacy.downloads import zip_response
from kefu.privacy.forms import ErasureForm, FindCustomerForm, ReasonForm, RetentionForm

EITHER = (Perm.EXPORT_CUSTOMER_DATA, Perm.ERASE_CUSTOMER_DATA)


@require_perm(*EITHER)
def index(request: AuthenticatedRequest) -> HttpResponse:
    form = FindCustomerForm(request.GET or None)
    if form.is_valid():
        customer = selectors.find_customer(actor=request.user, text=form.cleaned_data["customer"])
        if customer is not None:
            return redirect("privacy:customer", customer_id=customer.pk)
        messages.error(request, _("No customer with that number or mobile."))
    return render(
        request,
        "privacy/index.html",
        {
            "form": form,
            "exports": selectors.my_exports(request.user)[:20],
            "erasures": selectors.visible_erasures(request.user)[:50],
        },
    )


@require_perm(*EITHER)
def customer_view(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    customer = access_customer(actor=request.user, customer_id=customer_id, request=request)
    return render(
        request,
        "privacy/customer.html",
        {
            "customer": customer,
            "mobile": mask(customer.mobile, PersonalKind.MOBILE) if customer.mobile else "",
            "blockers": services.blockers(customer),
            "export_form": ReasonForm(prefix="export"),
            "erasure_form": ErasureForm(prefix="erase"),
        },
    )


@require_POST
@require_perm(Perm.EXPORT_CUSTOMER_DATA)
def export_view(request: AuthenticatedRequest, customer_id: int) -> HttpResponseRedirect:
    customer = access_customer(actor=request.user, customer_id=customer_id, request=request)
    form = ReasonForm(request.POST, prefix="export")
    if not form.is_valid():
        messages.error(request, _("Give the reason for the request (who asked, and how)."))
        return redirect("privacy:customer", customer_id=customer.pk)
    try:
        services.export_customer_data(
            actor=request.user,
            customer=customer,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return redirect("privacy:customer", customer_id=customer.pk)
    messages.success(request, _("The copy is ready: download it below."))
    return redirect("privacy:index")


@require_perm(Perm.EXPORT_CUSTOMER_DATA)
def download(request: AuthenticatedRequest, export_id: int) -> FileResponse:
    export = selectors.access_export(actor=request.user, export_id=export_id)
    return zip_response(request, export)


@require_POST
@require_perm(Perm.ERASE_CUSTOMER_DATA)
def erase_view(request: AuthenticatedRequest, customer_id: int) -> HttpResponseRedirect:
    customer = access_customer(actor=request.user, customer_id=customer_id, request=request)
    form = ErasureForm(request.POST, prefix="erase")
    if not form.is_valid():
        messages.error(request, _("Give the reason and confirm the erasure."))
        return redirect("privacy:customer", customer_id=customer.pk)
    try:
        erasure = services.request_erasure(
            actor=request.user,
            customer=customer,
            reason=form.cleaned_data["reason"],
            wait_for_blockers=form.cleaned_data["wait_for_blockers"],
            request=request,
        )
    except DomainError as refusal:
        messages.error(request, _("Erasure refused: %(reason)s") % {"reason": refusal.message})
        return redirect("privacy:customer", customer_id=customer.pk)
    if erasure.state == "done":
        messages.success(request, _("The customer's personal data was erased."))
    else:
        messages.success(request, _("The erasure is queued: it runs once the complaint is closed."))
    return redirect("privacy:index")


@require_POST
@require_perm(Perm.ERASE_CUSTOMER_DATA)
def cancel_view(request: AuthenticatedRequest, erasure_id: int) -> HttpResponseRedirect:
    erasure = selectors.access_erasure(actor=request.user, erasure_id=erasure_id)
    return perform(
        request,
        lambda: services.cancel_erasure(actor=request.user, erasure=erasure, request=request),
        success=_("The erasure request was cancelled."),
        then="privacy:index",
    )


@require_perm(Perm.ERASE_CUSTOMER_DATA)
def retention(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("purge"):
            return perform(
                request,
                lambda: services.purge_expired(actor=request.user),
                success=_("Data past its retention time was purged."),
                then="privacy:retention",
            )
        form = RetentionForm(request.POST)
        if form.is_valid():
            return perform(
                request,
                lambda: services.save_retention_rule(
                    actor=request.user, request=request, **form.cleaned_data
                ),
                success=_("Retention rule saved."),
                then="privacy:retention",
            )
        messages.error(
            request, _("Keep data between 1 and %(max)d days.") % {"max": services.MAX_DAYS}
        )
        return redirect("privacy:retention")
    return render(request, "privacy/retention.html", {"kinds": services.retention_overview()})


app_name = "privacy"
urlpatterns = [
    path("", index, name="index"),
    path("customers/<int:customer_id>/", customer_view, name="customer"),
    path("customers/<int:customer_id>/export/", export_view, name="export"),
    path("customers/<int:customer_id>/erase/", erase_view, name="erase"),
    path("exports/<int:export_id>/download/", download, name="download"),
    path("erasures/<int:erasure_id>/cancel/", cancel_view, name="cancel"),
    path("retention/", retention, name="retention"),
]
