"""Pages of quality inspection 质检: the checked conversations, the review screen (transcript with
the findings highlighted, the score form, the appeal and its decision), the agent's own reviews, and
the rubric with its sampling rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.models import User
from kefu.accounts.roles import Perm, Role
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.pages import perform
from kefu.core.pagination import keyset_page
from kefu.quality import selectors
from kefu.quality.forms import NewItemForm, SamplingForm
from kefu.quality.models import Review, ReviewState
from kefu.quality.services import reviews, rubric
from kefu.quality.states import REVIEW_FLOW

INSPECTORS = (Perm.INSPECT_QUALITY, Perm.EVALUATE)


def _day(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _int(raw: str | None) -> int | None:
    raw = str(raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@require_perm(*INSPECTORS)
def inspection_list(request: AuthenticatedRequest) -> HttpResponse:
    agent_id = _int(request.GET.get("agent"))
    severe = request.GET.get("severe") == "1"
    review_state = request.GET.get("review", "")
    start, end = _day(request.GET.get("start", "")), _day(request.GET.get("end", ""))
    qs = selectors.inspection_list(
        request.user,
        agent_id=agent_id,
        severe=severe,
        review_state=review_state,
        start=start,
        end=end,
    )
    page = keyset_page(qs, cursor=request.GET.get("cursor"), by="-closed_at")
    agents = User.objects.filter(role=Role.AGENT, is_active=True).order_by("display_name")
    return render(
        request,
        "quality/inspection_list.html",
        {
            "page": page,
            "inspections": page.items,
            "agents": agents,
            "agent_id": agent_id,
            "severe": severe,
            "review_state": review_state,
            "review_states": ReviewState.choices,
            "start": start.isoformat() if start else "",
            "end": end.isoformat() if end else "",
        },
    )


@login_required
def inspection_detail(request: AuthenticatedRequest, inspection_id: int) -> HttpResponse:
    inspection = selectors.access_inspection(actor=request.user, inspection_id=inspection_id)
    review = selectors.review_of(inspection)
    moves = (
        {t.name for t in REVIEW_FLOW.allowed(review.state, actor=request.user, obj=review)}
        if review
        else set()
    )
    items = rubric.active_items()
    lost: dict[int | None, int] = {}
    for finding in inspection.findings.all():
        lost[finding.item_id] = lost.get(finding.item_id, 0) + finding.points
    given = review.item_points if review and review.item_points else {}
    score_rows = [
        {
            "item": item,
            "points": given.get(str(item.pk), max(0, item.weight - lost.get(item.pk, 0))),
        }
        for item in items
    ]
    appeal_until = None
    if review and review.reviewed_at:
        appeal_until = review.reviewed_at + dt.timedelta(days=rubric.quality_settings().appeal_days)
    return render(
        request,
        "quality/inspection_detail.html",
        {
            "inspection": inspection,
            "conversation": inspection.conversation,
            "review": review,
            "moves": moves,
            "rows": selectors.transcript(inspection),
            "findings": list(inspection.findings.select_related("message")),
            "score_rows": score_rows,
            "may_pick": review is None and request.user.has_perm(Perm.INSPECT_QUALITY),
            "appeal_until": appeal_until,
        },
    )


def _version(request: HttpRequest) -> int | None:
    return _int(request.POST.get("version"))


@require_perm(Perm.INSPECT_QUALITY)
@require_POST
def inspection_pick(request: AuthenticatedRequest, inspection_id: int) -> HttpResponseRedirect:
    inspection = selectors.access_inspection(actor=request.user, inspection_id=inspection_id)
    return perform(
        request,
        lambda: reviews.pick_for_review(
            actor=request.user, inspection_id=inspection.pk, request=request
        ),
        success=_("Up for review."),
        then="quality:inspection",
        inspection_id=inspection.pk,
    )


def _review_action(
    request: AuthenticatedRequest,
    inspection_id: int,
    action: Callable[[Review], object],
    success: str,
) -> HttpResponseRedirect:
    inspection = selectors.access_inspection(actor=request.user, inspection_id=inspection_id)
    review = selectors.review_of(inspection)
    if review is None:
        messages.error(request, _("This conversation is not up for review."))
        return redirect("quality:inspection", inspection_id=inspection.pk)
    return perform(
        request,
        lambda: action(review),
        success=success,
        then="quality:inspection",
        inspection_id=inspection.pk,
    )


@login_required
@require_POST
def review_score(request: AuthenticatedRequest, inspection_id: int) -> HttpResponseRedirect:
    points = {}
    for item in rubric.active_items():
        value = request.POST.get(f"item-{item.pk}", "")
        parsed = _int(value)
        points[item.pk] = parsed if parsed is not None else -1
    return _review_action(
        request,
        inspection_id,
        lambda review: reviews.review_conversation(
            actor=request.user,
            review_id=review.pk,
            item_points=points,
            comment=request.POST.get("comment", ""),
            expected_version=_version(request),
            request=request,
        ),
        _("Review saved: the agent is told."),
    )


@login_required
@require_POST
def review_appeal(request: AuthenticatedRequest, inspection_id: int) -> HttpResponseRedirect:
    return _review_action(
        request,
        inspection_id,
        lambda review: reviews.appeal_review(
            actor=request.user,
            review_id=review.pk,
            reason=request.POST.get("reason", ""),
            request=request,
        ),
        _("Appeal sent: a supervisor decides."),
    )


@login_required
@require_POST
def review_decide(request: AuthenticatedRequest, inspection_id: int) -> HttpResponseRedirect:
    uphold = request.POST.get("decision") != "change"
    return _review_action(
        request,
        inspection_id,
        lambda review: reviews.decide_appeal(
            actor=request.user,
            review_id=review.pk,
            uphold=uphold,
            note=request.POST.get("note", ""),
            new_score=_int(request.POST.get("score")),
            expected_version=_version(request),
            request=request,
        ),
        _("Decision saved: the agent is told."),
    )


@require_perm(*INSPECTORS)
def review_queue(request: AuthenticatedRequest) -> HttpResponse:
    state = request.GET.get("state", ReviewState.PENDING)
    state = state if state in ReviewState.values else ReviewState.PENDING
    page = keyset_page(
        selectors.review_queue(request.user, state=state),
        cursor=request.GET.get("cursor"),
        by="-created_at",
    )
    return render(
        request,
        "quality/review_queue.html",
        {"page": page, "reviews": page.items, "state": state, "states": ReviewState.choices},
    )


@require_perm(Perm.SERVE_CUSTOMERS)
def my_reviews(request: AuthenticatedRequest) -> HttpResponse:
    page = keyset_page(selectors.my_reviews(request.user), cursor=request.GET.get("cursor"))
    return render(request, "quality/my_reviews.html", {"page": page, "reviews": page.items})


@require_perm(Perm.MANAGE_SETTINGS, Perm.INSPECT_QUALITY)
def rubric_page(request: AuthenticatedRequest) -> HttpResponse:
    may_edit = request.user.has_perm(Perm.MANAGE_SETTINGS)
    items = rubric.rubric_items()
    return render(
        request,
        "quality/rubric.html",
        {
            "items": items,
            "total": sum(i.weight for i in items if i.is_active),
            "may_edit": may_edit,
            "sampling": SamplingForm(instance=rubric.quality_settings()),
            "new_item": NewItemForm(),
            "limit_kinds": {str(k) for k in rubric.LIMIT_KINDS},
            "phrase_kinds": {str(k) for k in rubric.PHRASE_KINDS},
        },
    )


@require_perm(Perm.MANAGE_SETTINGS)
@require_POST
def rubric_save(request: AuthenticatedRequest) -> HttpResponseRedirect:
    changes = []
    for item in rubric.rubric_items():
        prefix = f"item-{item.pk}-"
        weight = _int(request.POST.get(prefix + "weight"))
        limit = _int(request.POST.get(prefix + "limit"))
        changes.append(
            rubric.ItemChange(
                id=item.pk,
                label=request.POST.get(prefix + "label", item.label),
                weight=-1 if weight is None else weight,
                is_active=request.POST.get(prefix + "active") == "on",
                phrases=request.POST.get(prefix + "phrases", ""),
                triggers=request.POST.get(prefix + "triggers", ""),
                limit=limit,
            )
        )
    return perform(
        request,
        lambda: rubric.save_rubric(actor=request.user, changes=changes, request=request),
        success=_("Rubric saved."),
        then="quality:rubric",
    )


@require_perm(Perm.MANAGE_SETTINGS)
@require_POST
def rubric_add(request: AuthenticatedRequest) -> HttpResponseRedirect:
    form = NewItemForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what the item checks and give it a name."))
        return redirect("quality:rubric")
    return perform(
        request,
        lambda: rubric.add_rubric_item(
            actor=request.user,
            kind=form.cleaned_data["kind"],
            label=form.cleaned_data["label"],
            request=request,
        ),
        success=_("Item added, inactive with weight 0: give it a weight and switch it on."),
        then="quality:rubric",
    )


@require_perm(Perm.MANAGE_SETTINGS)
@require_POST
def sampling_save(request: AuthenticatedRequest) -> HttpResponseRedirect:
    form = SamplingForm(request.POST, instance=rubric.quality_settings())
    if not form.is_valid():
        errors = "；".join(str(e) for field in form.errors.values() for e in field)
        messages.error(
            request, _("The sampling rules were not saved: %(errors)s") % {"errors": errors}
        )
        return redirect("quality:rubric")
    try:
        rubric.save_sampling(actor=request.user, values=form.cleaned_data, request=request)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Sampling rules saved."))
    return redirect("quality:rubric")


def may_open_checks(user: User) -> bool:
    return any(user.has_perm(p) for p in INSPECTORS)


urlpatterns = [
    path("checks/", inspection_list, name="inspections"),
    path("checks/<int:inspection_id>/", inspection_detail, name="inspection"),
    path("checks/<int:inspection_id>/pick/", inspection_pick, name="pick"),
    path("checks/<int:inspection_id>/review/", review_score, name="review"),
    path("checks/<int:inspection_id>/appeal/", review_appeal, name="appeal"),
    path("checks/<int:inspection_id>/decide/", review_decide, name="decide_appeal"),
    path("reviews/", review_queue, name="reviews"),
    path("my-reviews/", my_reviews, name="my_reviews"),
    path("rubric/", rubric_page, name="rubric"),
    path("rubric/save/", rubric_save, name="rubric_save"),
    path("rubric/items/", rubric_add, name="rubric_add"),
    path("rubric/sampling/", sampling_save, name="sampling"),
]
