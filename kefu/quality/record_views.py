"""The supervisors' records naming an agent (services/records.py): a customer's praise 表扬 and a
complaint upheld against an agent 投诉成立, listed by month with a form for each; the reward/penalty
rules and the KPIs count them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.forms import StyledFormMixin, set_choices
from kefu.core.reporting import EARLIEST_DAY, LATEST_DAY
from kefu.quality import selectors
from kefu.quality.kpi import month_bounds, parse_month
from kefu.quality.models import AgentRecord, PraiseSource
from kefu.quality.services import records


def _agent_choices() -> list[tuple[Any, str]]:
    return [("", "—"), *((a.pk, str(a)) for a in selectors.roster_agents())]


class PraiseForm(StyledFormMixin, forms.Form):
    agent = forms.TypedChoiceField(label=gettext_lazy("Agent"), coerce=int)
    source = forms.ChoiceField(label=gettext_lazy("From"), choices=PraiseSource.choices)
    words = forms.CharField(
        label=gettext_lazy("What the customer said"),
        max_length=records.WORDS_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    conversation = forms.IntegerField(
        label=gettext_lazy("Chat number (if about a chat)"),
        required=False,
        min_value=1,
        max_value=2**62,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="praise", **kwargs)
        set_choices(self, "agent", _agent_choices())


class UpheldForm(StyledFormMixin, forms.Form):
    ticket = forms.TypedChoiceField(label=gettext_lazy("Complaint judged valid"), coerce=int)
    agent = forms.TypedChoiceField(label=gettext_lazy("Agent"), coerce=int)
    words = forms.CharField(
        label=gettext_lazy("What was found"),
        max_length=records.WORDS_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="upheld", **kwargs)
        set_choices(self, "agent", _agent_choices())
        set_choices(
            self,
            "ticket",
            [
                ("", "—"),
                *((t.pk, f"{t.number} · {t.subject}") for t in records.upheld_complaints()),
            ],
        )


def _month(request: AuthenticatedRequest) -> Any:
    month = parse_month(request.GET.get("month"))
    if month is None or not EARLIEST_DAY <= month <= LATEST_DAY:
        month = timezone.localdate().replace(day=1)
    return month


@require_perm(Perm.EVALUATE)
def record_list(request: AuthenticatedRequest) -> HttpResponse:
    month = _month(request)
    first, last = month_bounds(month)
    listed = (
        AgentRecord.objects.filter(
            recorded_at__date__gte=first, recorded_at__date__lte=last
        ).select_related("agent", "ticket", "recorded_by")
    )[:500]
    return render(
        request,
        "quality/records.html",
        {
            "records": listed,
            "month": month.strftime("%Y-%m"),
            "praise_form": PraiseForm(),
            "upheld_form": UpheldForm(),
        },
    )


def _back(request: AuthenticatedRequest) -> HttpResponseRedirect:
    return redirect(reverse("quality:records"))


def _refuse(request: AuthenticatedRequest, form: forms.Form) -> HttpResponseRedirect:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}：{error}" if label else str(error))
    return _back(request)


@require_perm(Perm.EVALUATE)
@require_POST
def praise_add(request: AuthenticatedRequest) -> HttpResponseRedirect:
    form = PraiseForm(request.POST)
    if not form.is_valid():
        return _refuse(request, form)
    data = form.cleaned_data
    try:
        records.record_praise(
            actor=request.user,
            agent_id=data["agent"],
            source=data["source"],
            words=data["words"],
            conversation_id=data["conversation"],
            request=request,
        )
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Praise recorded."))
    return _back(request)


@require_perm(Perm.EVALUATE)
@require_POST
def upheld_add(request: AuthenticatedRequest) -> HttpResponseRedirect:
    form = UpheldForm(request.POST)
    if not form.is_valid():
        return _refuse(request, form)
    data = form.cleaned_data
    try:
        records.uphold_complaint(
            actor=request.user,
            ticket_id=data["ticket"],
            agent_id=data["agent"],
            words=data["words"],
            request=request,
        )
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Complaint upheld against the agent."))
    return _back(request)


@require_perm(Perm.EVALUATE)
@require_POST
def record_withdraw(request: AuthenticatedRequest, record_id: int) -> HttpResponseRedirect:
    try:
        records.withdraw_record(
            actor=request.user,
            record_id=record_id,
            reason=request.POST.get("reason", "")[:300],
            request=request,
        )
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Record withdrawn."))
    return _back(request)


urlpatterns = [
    path("records/", record_list, name="records"),
    path("records/praise/", praise_add, name="praise_add"),
    path("records/complaints/", upheld_add, name="upheld_add"),
    path("records/<int:record_id>/withdraw/", record_withdraw, name="record_withdraw"),
]
