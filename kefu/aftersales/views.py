"""Pages of the after-sales app: the register (售后登记表), a case with its steps, opening a case
from an order, photos."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.aftersales import money_views, reviews, selectors, services
from kefu.aftersales.models import (
    CaseKind,
    CaseState,
    Review,
    ReviewOutcome,
    ReviewRating,
    ReviewState,
)
from kefu.aftersales.states import ACCEPT_BY_KIND, CASE_FLOW
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.forms import StyledFormMixin
from kefu.core.pages import perform
from kefu.core.pagination import keyset_page
from kefu.exports.http import export_response
from kefu.orders.selectors import access_order
from kefu.orders.services.money import parse_fen


class OpenForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CaseKind.choices)
    reason = forms.CharField(
        label=gettext_lazy("What the buyer reports"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    refund = forms.CharField(label=gettext_lazy("Refund (yuan)"), max_length=20, required=False)


class FilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Order, 旺旺 id or tracking no."), required=False, max_length=120
    )
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[("", gettext_lazy("Any state")), *CaseState.choices],
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("Any kind")), *CaseKind.choices],
    )


@require_perm(Perm.SERVE_CUSTOMERS, Perm.WORK_ROUTED_TASKS)
def case_list(request: AuthenticatedRequest) -> HttpResponse:
    form = FilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.register(
        request.user,
        state=filters.get("state", ""),
        kind=filters.get("kind", ""),
        q=filters.get("q", ""),
    )
    page = keyset_page(qs, cursor=request.GET.get("cursor"))
    return render(request, "aftersales/list.html", {"form": form, "page": page})


@require_perm(Perm.SERVE_CUSTOMERS)
def case_open(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    order = access_order(actor=request.user, order_id=order_id, request=request)
    form = OpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.open_case(
                actor=request.user,
                order=order,
                kind=form.cleaned_data["kind"],
                reason=form.cleaned_data["reason"],
                refund_fen=parse_fen(form.cleaned_data["refund"], label=_("Refund")),
            )
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("After-sales case opened."))
            return redirect("aftersales:detail", case_id=case.pk)
    return render(request, "aftersales/open.html", {"order": order, "form": form})


@require_perm(Perm.SERVE_CUSTOMERS, Perm.WORK_ROUTED_TASKS)
def case_detail(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = selectors.access_case(actor=request.user, case_id=case_id, request=request)
    moves = CASE_FLOW.allowed(case.state, actor=request.user, obj=case)
    blocked_accept = None
    if case.state == CaseState.OPENED and request.user.has_perm(Perm.SERVE_CUSTOMERS):
        blocked_accept = CASE_FLOW.refusal(
            case.state, ACCEPT_BY_KIND[CaseKind(case.kind)], actor=request.user, obj=case
        )
    return render(
        request,
        "aftersales/detail.html",
        {
            "case": case,
            "moves": moves,
            "photos": list(case.photos.all()),
            "log": [
                {
                    **entry,
                    "label": _move_label(entry.get("move", "")),
                    "when": dt.datetime.fromisoformat(entry["at"]) if entry.get("at") else None,
                }
                for entry in case.log
            ],
            "blocked_accept": blocked_accept,
            "may_serve": request.user.has_perm(Perm.SERVE_CUSTOMERS),
            **money_views.money_context(request, case),
        },
    )


def _move_label(move: str) -> str:
    if move in CASE_FLOW.transitions:
        return str(CASE_FLOW.transitions[move].label)
    return {"open": _("Case opened"), "review_photos": _("Photos reviewed")}.get(move, move)


def _back(
    request: AuthenticatedRequest, case_id: int, action: Callable[[], object], success: str
) -> HttpResponseRedirect:
    return perform(request, action, success=success, then="aftersales:detail", case_id=case_id)


@require_perm(Perm.SERVE_CUSTOMERS, Perm.WORK_ROUTED_TASKS)
@require_POST
def case_move(request: AuthenticatedRequest, case_id: int) -> HttpResponseRedirect:
    case = selectors.access_case(actor=request.user, case_id=case_id, request=request)
    move = request.POST.get("move", "")
    CASE_FLOW.check_role(case.state, move, actor=request.user, obj=case)
    raw = request.POST.get("version", "")
    return _back(
        request,
        case.pk,
        lambda: services.move_case(
            actor=request.user,
            case=case,
            move=move,
            note=request.POST.get("note", ""),
            parcel_notes=request.POST.get("parcel_notes", ""),
            expected_version=int(raw) if raw.isdigit() else None,
        ),
        _("Step recorded."),
    )


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def photo_add(request: AuthenticatedRequest, case_id: int) -> HttpResponseRedirect:
    case = selectors.access_case(actor=request.user, case_id=case_id, request=request)
    upload = request.FILES.get("photo")
    if upload is None:
        messages.error(request, _("Choose a photo."))
        return redirect("aftersales:detail", case_id=case.pk)
    return _back(
        request,
        case.pk,
        lambda: services.add_photo(actor=request.user, case=case, upload=upload),
        _("Photo added."),
    )


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def photos_review(request: AuthenticatedRequest, case_id: int) -> HttpResponseRedirect:
    case = selectors.access_case(actor=request.user, case_id=case_id, request=request)
    return _back(
        request,
        case.pk,
        lambda: services.review_photos(actor=request.user, case=case),
        _("Photos reviewed."),
    )


@require_perm(Perm.SERVE_CUSTOMERS, Perm.WORK_ROUTED_TASKS)
def photo_download(request: AuthenticatedRequest, case_id: int, photo_id: int) -> FileResponse:
    case = selectors.access_case(actor=request.user, case_id=case_id, request=request)
    photo = case.photos.filter(pk=photo_id).first()
    if photo is None:
        raise Http404
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


class ReviewForm(StyledFormMixin, forms.Form):
    rating = forms.ChoiceField(
        label=pgettext_lazy("review", "Rating"), choices=ReviewRating.choices
    )
    text = forms.CharField(
        label=gettext_lazy("The review"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    reviewed_on = forms.DateField(
        label=gettext_lazy("Reviewed on"), widget=forms.DateInput(attrs={"type": "date"})
    )


@require_perm(Perm.SERVE_CUSTOMERS)
def review_list(request: AuthenticatedRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    qs = Review.objects.select_related("order", "customer").order_by("-id")
    if state in ReviewState.values:
        qs = qs.filter(state=state)
    page = keyset_page(qs, cursor=request.GET.get("cursor"))
    return render(
        request,
        "aftersales/reviews.html",
        {"page": page, "state": state, "states": ReviewState.choices},
    )


@require_perm(Perm.SERVE_CUSTOMERS)
def review_new(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    order = access_order(actor=request.user, order_id=order_id, request=request)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = reviews.record_review(actor=request.user, order=order, **form.cleaned_data)
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("Review recorded: contact the buyer."))
            return redirect("aftersales:review", review_id=review.pk)
    return render(request, "aftersales/review_new.html", {"order": order, "form": form})


def _review(request: AuthenticatedRequest, review_id: int) -> Review:
    return selectors.access_review(actor=request.user, review_id=review_id, request=request)


@require_perm(Perm.SERVE_CUSTOMERS)
def review_detail(request: AuthenticatedRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "contact":
                reviews.contact_reviewer(
                    actor=request.user,
                    review=review,
                    note=request.POST.get("note", ""),
                    no_money_offered=request.POST.get("no_money") == "on",
                )
                messages.success(request, _("Contact recorded."))
            else:
                reviews.close_review(
                    actor=request.user, review=review, outcome=request.POST.get("outcome", "")
                )
                messages.success(request, _("Review closed."))
        except DomainError as refusal:
            messages.error(request, refusal.message)
        return redirect("aftersales:review", review_id=review.pk)
    return render(
        request,
        "aftersales/review.html",
        {"review": review, "outcomes": ReviewOutcome.choices},
    )


@require_perm(Perm.SERVE_CUSTOMERS, Perm.WORK_ROUTED_TASKS)
def finance_sheet(request: AuthenticatedRequest) -> HttpResponse:
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = selectors.open_sheet_day()
    sheet = selectors.finance_sheet(request.user, day=day)
    may_pay = {
        case.pk
        for case in sheet["to_pay"]
        if CASE_FLOW.may(case.state, "pay_refund", actor=request.user, obj=case)
    }
    return render(
        request,
        "aftersales/finance.html",
        {**sheet, "may_pay": may_pay, "may_decide": selectors.is_finance(request.user)},
    )


@login_required
def register_export(request: AuthenticatedRequest) -> FileResponse | HttpResponseRedirect:
    """The register as .xlsx: the one export service checks the rights, audits and writes."""
    return export_response(request, kind="aftersales_register")


app_name = "aftersales"
urlpatterns = [
    path("", case_list, name="list"),
    path("export/", register_export, name="export"),
    path("finance/", finance_sheet, name="finance"),
    path("new/<int:order_id>/", case_open, name="open"),
    path("<int:case_id>/", case_detail, name="detail"),
    path("<int:case_id>/move/", case_move, name="move"),
    path("<int:case_id>/photos/", photo_add, name="photo_add"),
    path("<int:case_id>/photos/review/", photos_review, name="photos_review"),
    path("<int:case_id>/photos/<int:photo_id>/", photo_download, name="photo"),
    path("reviews/", review_list, name="reviews"),
    path("reviews/new/<int:order_id>/", review_new, name="review_new"),
    path("reviews/<int:review_id>/", review_detail, name="review"),
    *money_views.urlpatterns,
]
