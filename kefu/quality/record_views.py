"""The supervisors' records naming an agent (services/records.py): a customer's praise 表扬 and a
complaint upheld against an agent 投诉成立, listed by month with a form for each (kefu/quality/forms.py);
the praise kefu records from the surveys is listed with them. The reward/penalty rules and the KPIs
count them. A supervisor in teams sees and names their teams' agents (selectors.visible_records)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.reporting import EARLIEST_DAY, LATEST_DAY
from kefu.quality import selectors
from kefu.quality.forms import PraiseForm, UpheldForm
from kefu.quality.kpi import parse_month
from kefu.quality.services import records


def _month(request: AuthenticatedRequest) -> dt.date:
    month = parse_month(request.GET.get("month"))
    if month is None or not EARLIEST_DAY <= month <= LATEST_DAY:
        month = timezone.localdate().replace(day=1)
    return month


@require_perm(Perm.EVALUATE)
def record_list(request: AuthenticatedRequest) -> HttpResponse:
    month = _month(request)
    return render(
        request,
        "quality/records.html",
        {
            "records": selectors.month_records(request.user, month)[:500],
            "month": month.strftime("%Y-%m"),
            "praise_form": PraiseForm(actor=request.user),
            "upheld_form": UpheldForm(actor=request.user),
        },
    )


def _back(request: AuthenticatedRequest) -> HttpResponseRedirect:
    return redirect(reverse("quality:records"))


def _record(
    request: AuthenticatedRequest,
    form_class: type[PraiseForm] | type[UpheldForm],
    act: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponseRedirect:
    """One shape for both records: the form checked (its errors shown beside their labels), the
    service called, its refusal or `done` told, back to the list."""
    form = form_class(request.POST, actor=request.user)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}：{error}" if label else str(error))
        return _back(request)
    try:
        act(form.cleaned_data)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, done)
    return _back(request)


@require_perm(Perm.EVALUATE)
@require_POST
def praise_add(request: AuthenticatedRequest) -> HttpResponseRedirect:
    return _record(
        request,
        PraiseForm,
        lambda data: records.record_praise(
            actor=request.user,
            agent_id=data["agent"],
            source=data["source"],
            words=data["words"],
            conversation_id=data["conversation"],
            request=request,
        ),
        _("Praise recorded."),
    )


@require_perm(Perm.EVALUATE)
@require_POST
def upheld_add(request: AuthenticatedRequest) -> HttpResponseRedirect:
    return _record(
        request,
        UpheldForm,
        lambda data: records.uphold_complaint(
            actor=request.user,
            ticket_id=data["ticket"],
            agent_id=data["agent"],
            words=data["words"],
            request=request,
        ),
        _("Complaint upheld against the agent."),
    )


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
