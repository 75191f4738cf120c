"""Pages of return visits: my visits today, the visit (script beside the 回访记录表), the plans with
their preview, approval, issuing and progress, the bulk move, and the rules."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.labels import choice_labels
from kefu.core.pages import perform
from kefu.exports.http import export_response
from kefu.telephony.models import Call
from kefu.telephony.selectors import visible_calls
from kefu.visits import care_views, selectors, services, survey_views
from kefu.visits.forms import CampaignForm, RulesForm, VisitRecordForm, describe_rules
from kefu.visits.models import (
    CampaignState,
    ReturnVisit,
    VisitCampaign,
    VisitChannel,
    VisitState,
)
from kefu.visits.states import CAMPAIGN_FLOW, VISIT_FLOW
from kefu.visits.tasks import start_issuing


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


TODAY_PAGE = 50


@require_perm(Perm.SERVE_CUSTOMERS)
def today(request: AuthenticatedRequest) -> HttpResponse:
    """The agent's list for today, 50 a page with Previous/Next (one row more read to know there is
    a next page: no count of a list that may hold 100,000). The labels and links of the rows are
    made here once, not per row in the template (bench/visits)."""
    now = timezone.now()
    raw = request.GET.get("page", "")
    number = max(1, min(int(raw), 100_000)) if raw.isdigit() else 1
    offset = (number - 1) * TODAY_PAGE
    rows = list(selectors.today_list(request.user, now=now)[offset : offset + TODAY_PAGE + 1])
    language = get_language()
    channels = choice_labels(ReturnVisit, "channel", language)
    sources = choice_labels(ReturnVisit, "source", language)
    base = reverse("visits:today")
    for visit in rows:
        visit.url = f"{base}{visit.pk}/"  # type: ignore[attr-defined]  # visits:visit
        visit.channel_label = channels.get(visit.channel, visit.channel)  # type: ignore[attr-defined]
        visit.source_label = sources.get(visit.source, visit.source)  # type: ignore[attr-defined]
        visit.late = visit.due_at < now  # type: ignore[attr-defined]
    return render(
        request,
        "visits/today.html",
        {
            "visits": rows[:TODAY_PAGE],
            "previous_page": number - 1 if number > 1 else None,
            "next_page": number + 1 if len(rows) > TODAY_PAGE else None,
            "overdue": selectors.overdue_count(request.user, now=now),
            "may_plan": selectors.may_plan(request.user),
        },
    )


def _calls_for(user: User, visit: ReturnVisit) -> list[Call]:
    return list(
        visible_calls(user).filter(customer_id=visit.customer_id).order_by("-started_at")[:10]
    )


@require_perm(Perm.SERVE_CUSTOMERS)
def visit_detail(request: AuthenticatedRequest, visit_id: int) -> HttpResponse:
    visit = selectors.access_visit(actor=request.user, visit_id=visit_id)
    calls = _calls_for(request.user, visit) if visit.channel == VisitChannel.PHONE else []
    form = VisitRecordForm(request.POST or None, calls=calls)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_visit(
                    actor=request.user,
                    visit_id=visit.pk,
                    reached=data["reached"],
                    unreached_reason=data["unreached_reason"],
                    satisfaction=data["satisfaction"],
                    product_opinion=data["product_opinion"],
                    service_opinion=data["service_opinion"],
                    suggestions=data["suggestions"],
                    next_contact_at=data["next_contact_at"],
                    call_id=data["call"],
                )
            except DomainError as refusal:
                messages.error(request, refusal.message)
            else:
                messages.success(request, _("Visit recorded."))
                return redirect("visits:visit", visit_id=visit.pk)
        else:
            messages.error(request, _("The record is not complete: see the marked fields."))
    record = getattr(visit, "record", None) if visit.state == VisitState.DONE else None
    return render(
        request,
        "visits/visit.html",
        {
            "visit": visit,
            "record": record,
            "form": form,
            "script": services.fill_script(visit, agent=visit.assignee),
            "agent": visit.assignee,
            "wish": _("a pleasant day"),
            "may_record": VISIT_FLOW.may(visit.state, "record", actor=request.user, obj=visit),
            "may_complain": record is not None
            and record.satisfaction in ("dissatisfied", "average")
            and not record.complaint_id
            and VISIT_FLOW.may(visit.state, "open_complaint", actor=request.user, obj=visit),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def visit_complaint(request: AuthenticatedRequest, visit_id: int) -> HttpResponseRedirect:
    visit = selectors.access_visit(actor=request.user, visit_id=visit_id)
    try:
        ticket = services.open_complaint(actor=request.user, visit_id=visit.pk)
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return redirect("visits:visit", visit_id=visit.pk)
    messages.success(request, _("Complaint %(number)s opened.") % {"number": ticket.number})
    return redirect("tickets:detail", ticket_id=ticket.pk)


# --- plans -----------------------------------------------------------------------------------------


@require_perm(Perm.ASSIGN_WORK, Perm.APPROVE)
def plan_list(request: AuthenticatedRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    state = state if state in CampaignState.values else ""
    qs = selectors.visible_campaigns(request.user)
    if state:
        qs = qs.filter(state=state)
    plans = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "visits/plan_list.html",
        {
            "plans": plans,
            "state": state,
            "states": CampaignState.choices,
            "may_draft": request.user.has_perm(Perm.ASSIGN_WORK),
        },
    )


def _save_plan(
    request: AuthenticatedRequest, campaign: VisitCampaign | None = None
) -> tuple[CampaignForm, VisitCampaign | None]:
    form = CampaignForm(request.POST)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    fields = {
        "title": data["title"],
        "purpose": data["purpose"],
        "service_item": data["service_item"],
        "script": data["script"],
        "channel": data["channel"],
        "period_start": data["period_start"],
        "period_end": data["period_end"],
        "planned_count": data["planned_count"] or 0,
        "team_id": data["team"],
        "rules": form.rules(),
    }
    try:
        if campaign is None:
            saved = services.create_campaign(actor=request.user, **fields)
        else:
            saved = services.update_campaign(
                actor=request.user,
                campaign_id=campaign.pk,
                expected_version=_version(request),
                **fields,
            )
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return form, None
    return form, saved


@require_perm(Perm.ASSIGN_WORK)
def plan_new(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":
        form, saved = _save_plan(request)
        if saved is not None:
            messages.success(request, _("Plan drafted: check the selection, then submit it."))
            return redirect("visits:plan", campaign_id=saved.pk)
    else:
        first, last = services.next_month(timezone.localdate())
        form = CampaignForm(
            initial={"period_start": first, "period_end": last, "levels": ["member", "vip"]}
        )
    return render(request, "visits/plan_form.html", {"form": form, "campaign": None})


@require_perm(Perm.ASSIGN_WORK)
def plan_edit(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.access_campaign(actor=request.user, campaign_id=campaign_id)
    if not CAMPAIGN_FLOW.may(campaign.state, "edit", actor=request.user, obj=campaign):
        messages.error(request, _("This plan can no longer be changed."))
        return redirect("visits:plan", campaign_id=campaign.pk)
    if request.method == "POST":
        form, saved = _save_plan(request, campaign)
        if saved is not None:
            messages.success(request, _("Plan saved."))
            return redirect("visits:plan", campaign_id=saved.pk)
    else:
        form = CampaignForm(initial=CampaignForm.initial_for(campaign))
    return render(request, "visits/plan_form.html", {"form": form, "campaign": campaign})


@login_required
def plan_detail(request: AuthenticatedRequest, campaign_id: int) -> HttpResponseBase:
    """The plan; with `format=xlsx` its summary as Excel (the one export service checks the rights,
    audits and writes: a refusal is the same page and audit entry as every export's), with
    `print=1` the printable summary."""
    if request.GET.get("format") == "xlsx":
        return export_response(
            request, kind="visit_plan_summary", filters={"campaign": str(campaign_id)}
        )
    return _plan_detail_page(request, campaign_id)


@require_perm(Perm.ASSIGN_WORK, Perm.APPROVE)
def _plan_detail_page(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.access_campaign(actor=request.user, campaign_id=campaign_id)
    moves = {
        t.name for t in CAMPAIGN_FLOW.allowed(campaign.state, actor=request.user, obj=campaign)
    }
    issued = campaign.state in (CampaignState.ISSUED, CampaignState.CLOSED, CampaignState.ISSUING)
    state = request.GET.get("state", "")
    state = state if state in VisitState.values else ""
    agent = request.GET.get("agent", "")
    agent_id = int(agent) if agent.isdigit() else None
    visits = None
    if issued:
        visits = Paginator(
            selectors.campaign_visits(campaign, state=state, agent_id=agent_id), 50
        ).get_page(request.GET.get("page"))
    return render(
        request,
        "visits/plan_detail.html",
        {
            "campaign": campaign,
            "rules": describe_rules(campaign.rules or {}),
            "moves": moves,
            "preview": None if issued else selectors.preview(campaign),
            "progress": selectors.campaign_progress(campaign) if issued else None,
            "summary": selectors.campaign_summary(campaign) if issued else None,
            "visits": visits,
            "state": state,
            "agent_id": agent_id,
            "states": VisitState.choices,
            "agents": list(selectors.agents_for(campaign)),
            "may_move": request.user.has_perm(Perm.ASSIGN_WORK),
            "may_export": request.user.has_perm(Perm.EXPORT_DATA),
            "print": request.GET.get("print") == "1",
        },
    )


@require_perm(Perm.ASSIGN_WORK, Perm.APPROVE)
def plan_progress(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    """The issuing progress, polled by htmx while the tasks are being made."""
    campaign = selectors.access_campaign(actor=request.user, campaign_id=campaign_id)
    return render(request, "visits/_issuing.html", {"campaign": campaign})


def _act(
    request: AuthenticatedRequest, campaign_id: int, action: Callable[[], object], success: str
) -> HttpResponseRedirect:
    selectors.access_campaign(actor=request.user, campaign_id=campaign_id)
    return perform(request, action, success=success, then="visits:plan", campaign_id=campaign_id)


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def plan_submit(request: AuthenticatedRequest, campaign_id: int) -> HttpResponseRedirect:
    return _act(
        request,
        campaign_id,
        lambda: services.submit_campaign(
            actor=request.user, campaign_id=campaign_id, expected_version=_version(request)
        ),
        _("Submitted for approval."),
    )


@require_perm(Perm.APPROVE)
@require_POST
def plan_decide(request: AuthenticatedRequest, campaign_id: int) -> HttpResponseRedirect:
    approve = request.POST.get("decision") == "approve"
    return _act(
        request,
        campaign_id,
        lambda: services.decide_campaign(
            actor=request.user,
            campaign_id=campaign_id,
            approve=approve,
            note=request.POST.get("note", ""),
            expected_version=_version(request),
        ),
        _("Approved: the plan may be issued.") if approve else _("Returned to who drafted it."),
    )


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def plan_issue(request: AuthenticatedRequest, campaign_id: int) -> HttpResponseRedirect:
    return _act(
        request,
        campaign_id,
        lambda: start_issuing(
            actor=request.user, campaign_id=campaign_id, expected_version=_version(request)
        ),
        _("Issuing: the agents get their visits."),
    )


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def plan_close(request: AuthenticatedRequest, campaign_id: int) -> HttpResponseRedirect:
    return _act(
        request,
        campaign_id,
        lambda: services.close_campaign(actor=request.user, campaign_id=campaign_id),
        _("Plan closed."),
    )


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def plan_move(request: AuthenticatedRequest, campaign_id: int) -> HttpResponseRedirect:
    campaign = selectors.access_campaign(actor=request.user, campaign_id=campaign_id)
    ids = [int(v) for v in request.POST.getlist("visit") if v.isdigit()]
    raw_agent = request.POST.get("agent", "")
    if not raw_agent.isdigit():
        messages.error(request, _("Choose an active agent."))
        return redirect("visits:plan", campaign_id=campaign.pk)
    # Only this plan's visits: ids of another plan are not moved from here.
    ids = list(campaign.visits.filter(pk__in=ids).values_list("pk", flat=True))
    try:
        moved = services.move_visits(actor=request.user, visit_ids=ids, to_agent_id=int(raw_agent))
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("%(n)d visits moved.") % {"n": moved})
    return redirect("visits:plan", campaign_id=campaign.pk)


@require_perm(Perm.MANAGE_SETTINGS)
def rules_view(request: AuthenticatedRequest) -> HttpResponse:
    current = selectors.rules()
    if request.method == "POST":
        form = RulesForm(request.POST)
        if form.is_valid():
            try:
                services.save_rules(actor=request.user, **form.cleaned_data)
            except DomainError as refusal:
                messages.error(request, refusal.message)
            else:
                messages.success(request, _("Visit rules saved."))
                return redirect("visits:rules")
    else:
        form = RulesForm(
            initial={
                "quiet_hours": ", ".join(f"{s}-{e}" for s, e in current.quiet_hours),
                "member_coverage_percent": current.member_coverage_percent,
                "days_after_complaint": current.days_after_complaint,
            }
        )
    return render(request, "visits/rules.html", {"form": form})


app_name = "visits"
urlpatterns = [
    path("", today, name="today"),
    path("<int:visit_id>/", visit_detail, name="visit"),
    path("<int:visit_id>/complaint/", visit_complaint, name="complaint"),
    path("plans/", plan_list, name="plans"),
    path("plans/new/", plan_new, name="plan_new"),
    path("plans/<int:campaign_id>/", plan_detail, name="plan"),
    path("plans/<int:campaign_id>/edit/", plan_edit, name="plan_edit"),
    path("plans/<int:campaign_id>/progress/", plan_progress, name="plan_progress"),
    path("plans/<int:campaign_id>/submit/", plan_submit, name="plan_submit"),
    path("plans/<int:campaign_id>/decide/", plan_decide, name="plan_decide"),
    path("plans/<int:campaign_id>/issue/", plan_issue, name="plan_issue"),
    path("plans/<int:campaign_id>/close/", plan_close, name="plan_close"),
    path("plans/<int:campaign_id>/move/", plan_move, name="plan_move"),
    path("rules/", rules_view, name="rules"),
    *survey_views.urlpatterns,
    *care_views.urlpatterns,
]
