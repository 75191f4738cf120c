"""Pages of satisfaction surveys 满意度调查: the list and form (who assigns work), each survey's
results by agent and team, sending one by hand, and the public answer page (a phone, no sign-in,
a signed and expiring link answered once)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.customers.selectors import access_customer
from kefu.visits import selectors
from kefu.visits.forms import SurveyForm
from kefu.visits.models import QuestionKind, SurveyTrigger
from kefu.visits.services import surveys


@require_perm(Perm.ASSIGN_WORK)
def survey_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "visits/survey_list.html",
        {
            "surveys": selectors.visible_surveys(request.user).order_by("-id")[:100],
            "may_plan": True,
        },
    )


@require_perm(Perm.ASSIGN_WORK)
def survey_new(request: AuthenticatedRequest) -> HttpResponse:
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = surveys.create_survey(actor=request.user, **form.cleaned_data)
        except DomainError as refusal:
            form.add_error("questions", refusal.message)
        else:
            messages.success(request, _("Survey saved."))
            return redirect("visits:survey", survey_id=survey.pk)
    return render(
        request,
        "visits/survey_form.html",
        {"form": form, "may_plan": True},
        status=400 if request.method == "POST" else 200,
    )


@require_perm(Perm.ASSIGN_WORK)
def survey_detail(request: AuthenticatedRequest, survey_id: int) -> HttpResponse:
    survey = selectors.access_survey(actor=request.user, survey_id=survey_id)
    results = selectors.survey_results(survey)
    return render(
        request,
        "visits/survey_detail.html",
        {
            "survey": survey,
            "questions": survey.questions.all(),
            "results": results,
            "breakdowns": [
                (_("By channel"), "channel", results["per_source"]),
                (_("By month"), "month", results["per_month"]),
                (_("By ticket category"), "category", results["per_category"]),
            ],
            "recent": selectors.recent_answers(survey),
            "may_plan": True,
        },
    )


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def survey_toggle(request: AuthenticatedRequest, survey_id: int) -> HttpResponseRedirect:
    survey = selectors.access_survey(actor=request.user, survey_id=survey_id)
    surveys.set_survey_active(actor=request.user, survey_id=survey.pk, active=not survey.active)
    messages.success(request, _("Survey updated."))
    return redirect("visits:survey", survey_id=survey.pk)


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def survey_send(request: AuthenticatedRequest, survey_id: int) -> HttpResponseRedirect:
    """Send the survey to one customer by hand (their id from the form; access checked)."""
    survey = selectors.access_survey(actor=request.user, survey_id=survey_id)
    raw = request.POST.get("customer", "")
    if not raw.isdigit():
        messages.error(request, _("Give the customer's number."))
        return redirect("visits:survey", survey_id=survey.pk)
    customer = access_customer(actor=request.user, customer_id=int(raw), request=request)
    invitation = surveys.invite(
        survey_id=survey.pk,
        customer_id=customer.pk,
        source=SurveyTrigger.MANUAL,
        # The answer counts for whoever looks after the customer; else for who sent it.
        agent_id=customer.owner_id or request.user.pk,
    )
    if invitation is None:
        messages.error(request, _("The survey could not be sent to this customer."))
    else:
        messages.success(request, _("Survey sent to %(name)s.") % {"name": customer.name})
    return redirect("visits:survey", survey_id=survey.pk)


def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    """The public page of one invitation: no sign-in; a tampered, unknown, expired or answered link
    gets a plain page saying so (404, 410, 409), never the form."""
    try:
        invitation = surveys.open_invitation(token)
    except surveys.SurveyLinkError as refusal:
        status = {"invalid": 404, "expired": 410, "answered": 409}[refusal.kind]
        return render(
            request, "visits/survey_public_closed.html", {"message": refusal.message}, status=status
        )
    survey = invitation.survey
    questions = list(survey.questions.all())
    error = ""
    values: dict[str, str | list[str]] = {}
    if request.method == "POST":
        for q in questions:
            key = str(q.pk)
            multiple = q.kind == QuestionKind.MULTIPLE
            values[key] = request.POST.getlist(key) if multiple else request.POST.get(key, "")
        try:
            surveys.answer_survey(token=token, answers=values)
        except surveys.SurveyLinkError as refusal:
            return render(
                request,
                "visits/survey_public_closed.html",
                {"message": refusal.message},
                status=409,
            )
        except DomainError as refusal:
            error = refusal.message
        else:
            return render(request, "visits/survey_public_thanks.html", {"survey": survey})
    return render(
        request,
        "visits/survey_public.html",
        {
            "survey": survey,
            # each question with what was given for it (kept when the form comes back refused)
            "questions": [(q, values.get(str(q.pk), "")) for q in questions],
            "error": error,
            "scores": ["1", "2", "3", "4", "5"],
            "nps_scores": [str(n) for n in range(11)],
        },
        status=400 if error else 200,
    )


urlpatterns = [
    path("surveys/", survey_list, name="surveys"),
    path("surveys/new/", survey_new, name="survey_new"),
    path("surveys/<int:survey_id>/", survey_detail, name="survey"),
    path("surveys/<int:survey_id>/toggle/", survey_toggle, name="survey_toggle"),
    path("surveys/<int:survey_id>/send/", survey_send, name="survey_send"),
]
