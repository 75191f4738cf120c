"""Pages of the KPIs and the monthly performance sheet 绩效考核表: the month's sheets (supervisors and
managers: every agent's; an agent: their own signed ones), one sheet with its print view, the
signature, a manager's adjustment, the superior's approval (locks it) and the acknowledgement, the month's Excel file (kefu/exports), the managers' targets."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.pages import perform
from kefu.exports.http import export_response
from kefu.quality import kpi, selectors
from kefu.quality.kpi import default_month, parse_month
from kefu.quality.models import Indicator, PerformanceState
from kefu.quality.services import performance


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


@login_required
def performance_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    sees_all = selectors.may_see_all_performance(user)
    if not (sees_all or user.has_perm(Perm.SERVE_CUSTOMERS)):
        raise PermissionDenied
    month = parse_month(request.GET.get("month")) or (default_month() if sees_all else None)
    sheets = selectors.visible_performance(user)
    if month is not None:
        sheets = sheets.filter(month=month)
    sheets = sheets.order_by("-month", "-score", "agent__display_name", "id")[:500]
    return render(
        request,
        "quality/performance_list.html",
        {
            "sheets": sheets,
            "month": month.strftime("%Y-%m") if month else "",
            "sees_all": sees_all,
            "totals": selectors.team_totals(user, month) if sees_all and month else [],
            "may_generate": user.has_perm(Perm.EVALUATE),
            "may_export": sees_all and user.has_perm(Perm.EXPORT_DATA),
        },
    )


@require_perm(Perm.EVALUATE)
@require_POST
def performance_generate(request: AuthenticatedRequest) -> HttpResponseRedirect:
    month = parse_month(request.POST.get("month"))
    if month is None:
        messages.error(request, _("Give the month as 2026-11."))
        return redirect("quality:performance")
    try:
        written = performance.generate_sheets(actor=request.user, month=month)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("%(n)d sheets computed from the facts.") % {"n": written})
    return redirect(f"{reverse('quality:performance')}?month={month:%Y-%m}")


@login_required
def performance_detail(request: AuthenticatedRequest, sheet_id: int) -> HttpResponse:
    sheet = selectors.access_performance(actor=request.user, sheet_id=sheet_id)
    context = {
        "sheet": sheet,
        "lines": selectors.performance_lines(sheet),
        "measures": selectors.performance_measures(sheet.measures),
        "may_sign": sheet.state == PerformanceState.DRAFT
        and request.user.has_perm(Perm.EVALUATE)
        and request.user.pk != sheet.agent_id,
        "may_acknowledge": sheet.state == PerformanceState.SIGNED
        and request.user.pk == sheet.agent_id,
        "may_adjust": not sheet.is_approved
        and sheet.score is not None
        and request.user.has_perm(Perm.EVALUATE)
        and request.user.pk != sheet.agent_id,
        "may_approve": not sheet.is_approved
        and sheet.state != PerformanceState.DRAFT
        and request.user.has_perm(Perm.APPROVE_SHEETS)
        and request.user.pk not in (sheet.agent_id, sheet.signed_by_id),
        "may_export": selectors.may_see_all_performance(request.user)
        and request.user.has_perm(Perm.EXPORT_DATA),
    }
    if request.GET.get("print") == "1":
        return render(request, "quality/performance_print.html", context)
    return render(request, "quality/performance_detail.html", context)


@login_required
@require_POST
def performance_sign(request: AuthenticatedRequest, sheet_id: int) -> HttpResponseRedirect:
    selectors.access_performance(actor=request.user, sheet_id=sheet_id)
    return perform(
        request,
        lambda: performance.sign_sheet(
            actor=request.user,
            sheet_id=sheet_id,
            comment=request.POST.get("comment", ""),
            expected_version=_version(request),
            request=request,
        ),
        success=_("Signed: the agent sees the sheet and acknowledges it."),
        then="quality:performance_sheet",
        sheet_id=sheet_id,
    )


@login_required
@require_POST
def performance_acknowledge(request: AuthenticatedRequest, sheet_id: int) -> HttpResponseRedirect:
    selectors.access_performance(actor=request.user, sheet_id=sheet_id)
    return perform(
        request,
        lambda: performance.acknowledge_sheet(
            actor=request.user,
            sheet_id=sheet_id,
            expected_version=_version(request),
            request=request,
        ),
        success=_("Acknowledged."),
        then="quality:performance_sheet",
        sheet_id=sheet_id,
    )


@login_required
@require_POST
def performance_adjust(request: AuthenticatedRequest, sheet_id: int) -> HttpResponseRedirect:
    selectors.access_performance(actor=request.user, sheet_id=sheet_id)
    raw = request.POST.get("points", "").strip()
    try:
        points = float(raw)
    except ValueError:
        messages.error(request, _("Give the adjustment as a number of points, e.g. -5 or 2.5."))
        return redirect("quality:performance_sheet", sheet_id=sheet_id)
    return perform(
        request,
        lambda: performance.adjust_sheet(
            actor=request.user,
            sheet_id=sheet_id,
            points=points,
            reason=request.POST.get("reason", ""),
            expected_version=_version(request),
            request=request,
        ),
        success=_("Score adjusted."),
        then="quality:performance_sheet",
        sheet_id=sheet_id,
    )


@login_required
@require_POST
def performance_approve(request: AuthenticatedRequest, sheet_id: int) -> HttpResponseRedirect:
    selectors.access_performance(actor=request.user, sheet_id=sheet_id)
    return perform(
        request,
        lambda: performance.approve_sheet(
            actor=request.user,
            sheet_id=sheet_id,
            expected_version=_version(request),
            request=request,
        ),
        success=_("Approved: the sheet is locked."),
        then="quality:performance_sheet",
        sheet_id=sheet_id,
    )


@login_required
def performance_export(request: AuthenticatedRequest) -> FileResponse | HttpResponseRedirect:
    # The export service refuses (the same 403 page and audit entry as every export) whoever lacks
    # the export right or Perm.EVALUATE.
    return export_response(request, kind="performance_sheets", fmt="xlsx")


@require_perm(Perm.MANAGE_SETTINGS)
def kpi_targets(request: AuthenticatedRequest) -> HttpResponse:
    goals = kpi.targets()
    if request.method == "POST":
        changes = []
        try:
            for key in Indicator.values:
                changes.append(
                    performance.TargetChange(
                        indicator=key,
                        target=float(request.POST.get(f"target_{key}", "")),
                        weight=int(request.POST.get(f"weight_{key}", "")),
                    )
                )
        except ValueError:
            messages.error(request, _("Give every target as a number and every weight as 0–100."))
        else:
            try:
                performance.save_targets(actor=request.user, changes=changes, request=request)
            except DomainError as refusal:
                messages.error(request, refusal.message)
            else:
                messages.success(request, _("Targets saved."))
                return redirect("quality:kpi_targets")
    labels = dict(Indicator.choices)
    rows = [
        {
            "key": key,
            "label": labels[key],
            "unit": spec.unit,
            "higher_is_better": spec.higher_is_better,
            "target": request.POST.get(f"target_{key}", goals[key].target),
            "weight": request.POST.get(f"weight_{key}", goals[key].weight),
        }
        for key, spec in kpi.SPECS.items()
    ]
    return render(request, "quality/kpi_targets.html", {"rows": rows})


urlpatterns = [
    path("performance/", performance_list, name="performance"),
    path("performance/compute/", performance_generate, name="performance_generate"),
    path("performance/export/", performance_export, name="performance_export"),
    path("performance/<int:sheet_id>/", performance_detail, name="performance_sheet"),
    path("performance/<int:sheet_id>/sign/", performance_sign, name="performance_sign"),
    path("performance/<int:sheet_id>/adjust/", performance_adjust, name="performance_adjust"),
    path("performance/<int:sheet_id>/approve/", performance_approve, name="performance_approve"),
    path(
        "performance/<int:sheet_id>/acknowledge/",
        performance_acknowledge,
        name="performance_acknowledge",
    ),
    path("kpi/targets/", kpi_targets, name="kpi_targets"),
]
