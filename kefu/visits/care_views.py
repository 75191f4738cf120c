"""Pages of customer care 客户关怀 (the care messages and a holiday greeting scheduled), of the
monthly visit report 回访月报 (per agent, with its Excel export) and of the month's nominations."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.exports.http import export_response
from kefu.sms import selectors as sms_selectors
from kefu.visits import selectors
from kefu.visits.forms import CareForm, EventCareForm, HolidayCareForm
from kefu.visits.models import CareKind, CareState
from kefu.visits.services import care


@require_perm(Perm.ASSIGN_WORK)
def care_list(request: AuthenticatedRequest) -> HttpResponse:
    """The care messages, and the two ways to schedule more: a holiday greeting (a festival of the
    business calendar) and an event or promotion. Each form is previewed (`action=preview`: the
    counts, who is left out and why, nothing written) or scheduled (`action=schedule`)."""
    posted = request.POST if request.method == "POST" else None
    which = request.POST.get("form") if posted else None
    holiday_form = HolidayCareForm(
        posted if which == "holiday" else None, holidays=care.coming_holidays()
    )
    event_form = EventCareForm(posted if which == "event" else None)
    preview = None
    if posted is not None:
        form: CareForm = holiday_form if which == "holiday" else event_form
        if form.is_valid():
            try:
                outcome = _preview_or_schedule(request, form)
            except DomainError as refusal:
                form.add_error(None, refusal.message)
            else:
                if isinstance(outcome, HttpResponse):
                    return outcome
                preview = outcome
    counts = selectors.care_counts()
    state = request.GET.get("state", "")
    kind = request.GET.get("kind", "")
    page = Paginator(
        selectors.care_messages(
            state=state if state in CareState.values else "",
            kind=kind if kind in CareKind.values else "",
        ),
        50,
    ).get_page(request.GET.get("page"))
    deliveries = sms_selectors.messages_by_id([m.sms_id for m in page])
    refused = posted is not None and preview is None
    return render(
        request,
        "visits/care.html",
        {
            "holiday_form": holiday_form,
            "event_form": event_form,
            "preview": preview,
            "preview_of": which if preview else "",
            "messages_page": page,
            # each message beside its SMS: the provider's delivery report (回执) when one came
            "rows": [(m, deliveries.get(m.sms_id) if m.sms_id else None) for m in page],
            "counts": [(label, counts.get(value, 0)) for value, label in CareState.choices],
            "states": CareState.choices,
            "kinds": CareKind.choices,
            "state": state,
            "kind": kind,
            "may_plan": True,
        },
        status=400 if refused else 200,
    )


def _preview_or_schedule(
    request: AuthenticatedRequest, form: CareForm
) -> HttpResponse | dict[str, Any]:
    """The preview's figures, or the redirect after scheduling (DomainError: refused)."""
    data = form.cleaned_data
    holiday = isinstance(form, HolidayCareForm)
    occasion: dt.date = data["holiday"] if holiday else data["occasion"]
    kind = CareKind.HOLIDAY if holiday else data["kind"]
    if request.POST.get("action") == "preview":
        return care.preview_care(
            actor=request.user,
            kind=kind,
            occasion=occasion,
            rules=form.rules(),
            channel=data["channel"],
        )
    send_at = dt.datetime.combine(occasion, data["send_time"], ZoneInfo(settings.TIME_ZONE))
    if holiday:
        counts = care.schedule_holiday(
            actor=request.user,
            occasion=occasion,
            send_at=send_at,
            rules=form.rules(),
            template_code=data["template_code"],
            channel=data["channel"],
        )
    else:
        counts = care.schedule_event(
            actor=request.user,
            kind=kind,
            occasion=occasion,
            text=data["text"],
            send_at=send_at,
            rules=form.rules(),
            template_code=data["template_code"],
            channel=data["channel"],
        )
    messages.success(
        request, _("%(scheduled)d care messages scheduled, %(skipped)d left out.") % counts
    )
    return redirect("visits:care")


@login_required
def month_report(request: AuthenticatedRequest) -> HttpResponseBase:
    """The page, or with `format=xlsx` its Excel file (the one export service checks the rights,
    audits and writes: a refusal is the same page and audit entry as every export's)."""
    if request.GET.get("format") == "xlsx":
        return export_response(request, kind="visit_month_report")
    return _month_report_page(request)


@require_perm(Perm.ASSIGN_WORK)
def _month_report_page(request: AuthenticatedRequest) -> HttpResponse:
    month = selectors.parse_month(request.GET.get("month", ""), today=selectors.local_today())
    return render(
        request,
        "visits/month_report.html",
        {
            "report": selectors.month_report(month),
            "month_value": month.strftime("%Y-%m"),
            "print": request.GET.get("print") == "1",
            "min_answers": selectors.NOMINATION_MIN_ANSWERS,
            "may_plan": True,
        },
    )


@login_required
def nominations(request: AuthenticatedRequest) -> HttpResponseBase:
    """优秀员工提名名单 of a month, printable; with `format=xlsx` as Excel through the one export
    service (rights, audit, formula-safe cells)."""
    if request.GET.get("format") == "xlsx":
        return export_response(request, kind="visit_nominations")
    return _nominations_page(request)


@require_perm(Perm.ASSIGN_WORK)
def _nominations_page(request: AuthenticatedRequest) -> HttpResponse:
    month = selectors.parse_month(request.GET.get("month", ""), today=selectors.local_today())
    return render(
        request,
        "visits/nominations.html",
        {
            "nominations": selectors.nominations(month),
            "month_value": month.strftime("%Y-%m"),
            "min_answers": selectors.NOMINATION_MIN_ANSWERS,
        },
    )


urlpatterns = [
    path("care/", care_list, name="care"),
    path("report/", month_report, name="report"),
    path("report/nominations/", nominations, name="nominations"),
]
