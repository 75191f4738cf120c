"""Pages of quality and performance: the monthly reward/penalty sheets 奖罚评分表."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm, Role
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.pages import perform
from kefu.exports.http import export_response
from kefu.orders.services.money import yuan
from kefu.quality import selectors, services
from kefu.quality.forms import DraftForm, ItemForm, RulesForm
from kefu.quality.inspection_views import urlpatterns as inspection_urls
from kefu.quality.kpi import parse_month
from kefu.quality.leaderboard_views import urlpatterns as leaderboard_urls
from kefu.quality.models import RuleKind, SheetState
from kefu.quality.performance_views import urlpatterns as performance_urls
from kefu.quality.record_views import urlpatterns as record_urls
from kefu.quality.roster_views import urlpatterns as roster_urls
from kefu.quality.services import sheet_rules
from kefu.quality.services.rubric import quality_settings
from kefu.quality.states import SHEET_FLOW


@login_required
def sheet_list(request: AuthenticatedRequest) -> HttpResponse:
    if not (selectors.may_open_sheets(request.user) or request.user.role == Role.AGENT):
        raise PermissionDenied
    month = parse_month(request.GET.get("month", ""))
    state = request.GET.get("state", "")
    state = state if state in SheetState.values else ""
    sheets = selectors.sheet_list(request.user, month=month, state=state)[:500]
    this_month = timezone.localdate().strftime("%Y-%m")
    return render(
        request,
        "quality/sheet_list.html",
        {
            "sheets": sheets,
            "month": month.strftime("%Y-%m") if month else "",
            "state": state,
            "states": SheetState.choices,
            "may_draft": request.user.has_perm(Perm.EVALUATE),
            "may_set_rules": request.user.has_perm(Perm.MANAGE_SETTINGS),
            "payday": quality_settings().payday,
            "may_export": request.user.has_perm(Perm.EVALUATE)
            and request.user.has_perm(Perm.EXPORT_DATA),
            "export_month": month.strftime("%Y-%m") if month else this_month,
            "form": DraftForm(initial={"month": this_month}),
        },
    )


@require_perm(Perm.EVALUATE)
@require_POST
def sheet_draft(request: AuthenticatedRequest) -> HttpResponseRedirect:
    form = DraftForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an agent and give the month as 2026-11."))
        return redirect("quality:sheets")
    try:
        sheet = services.draft_sheet(
            actor=request.user,
            agent_id=form.cleaned_data["agent"],
            month=form.cleaned_data["month"],
        )
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return redirect("quality:sheets")
    return redirect("quality:sheet", sheet_id=sheet.pk)


@require_perm(Perm.EVALUATE)
@require_POST
def sheets_from_rules(request: AuthenticatedRequest) -> HttpResponseRedirect:
    """Draft the month's sheets from the rules now (the scheduler does it the day before payday)."""
    month = parse_month(request.POST.get("month", ""))
    if month is None or not 2000 <= month.year <= 2100:
        messages.error(request, _("Give the month as 2026-11."))
        return redirect("quality:sheets")
    try:
        drafted = sheet_rules.draft_from_rules(actor=request.user, month=month)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _(
                "Drafted from the rules: %(made)d new, %(refreshed)d refreshed, %(kept)d "
                "already changed by a person and kept."
            )
            % {"made": drafted.made, "refreshed": drafted.refreshed, "kept": drafted.kept},
        )
    return redirect(f"{reverse('quality:sheets')}?month={month:%Y-%m}")


@require_perm(Perm.MANAGE_SETTINGS)
def sheet_rules_page(request: AuthenticatedRequest) -> HttpResponse:
    """The managers' reward/penalty rules 奖罚规则 and the payday."""
    current = sheet_rules.rules()
    initial: dict[str, Any] = {"payday": quality_settings().payday}
    for rule in current:
        initial |= {
            f"points_{rule.kind}": rule.points,
            f"threshold_{rule.kind}": rule.threshold,
            f"active_{rule.kind}": rule.is_active,
        }
    form = RulesForm(
        request.POST if request.method == "POST" else None, rules=current, initial=initial
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sheet_rules.save_rules(
                    actor=request.user,
                    changes=form.changes(),
                    payday=form.cleaned_data["payday"],
                    request=request,
                )
            except DomainError as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, _("Rules saved."))
                return redirect("quality:sheet_rules")
        status = 400
    return render(
        request,
        "quality/sheet_rules.html",
        {"form": form, "rows": form.rows()},
        status=status,
    )


@login_required
def sheet_detail(request: AuthenticatedRequest, sheet_id: int) -> HttpResponse:
    sheet = selectors.access_sheet(actor=request.user, sheet_id=sheet_id)
    moves = {t.name for t in SHEET_FLOW.allowed(sheet.state, actor=request.user, obj=sheet)}
    rate = services.sheet_rate(sheet)
    items = list(sheet.items.all())
    for item in items:
        item.amount = yuan(item.points * rate)  # type: ignore[attr-defined]
    return render(
        request,
        "quality/sheet_detail.html",
        {
            "sheet": sheet,
            "items": items,
            "total": sheet.total,
            "total_amount": yuan(sheet.total * rate),
            "rate": yuan(rate),
            "moves": moves,
            "item_form": ItemForm(),
            "rule_labels": dict(RuleKind.choices),
        },
    )


def _act(
    request: AuthenticatedRequest, sheet_id: int, action: Callable[[], object], success: str
) -> HttpResponseRedirect:
    selectors.access_sheet(actor=request.user, sheet_id=sheet_id)
    return perform(request, action, success=success, then="quality:sheet", sheet_id=sheet_id)


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def _refuse_item(request: AuthenticatedRequest, sheet_id: int) -> HttpResponseRedirect:
    """A line with points out of range or no reason: said on the sheet (after the access check)."""
    selectors.access_sheet(actor=request.user, sheet_id=sheet_id)
    messages.error(
        request,
        _("Points must be between -%(max)d and %(max)d, and a reason is needed.")
        % {"max": services.MAX_POINTS},
    )
    return redirect("quality:sheet", sheet_id=sheet_id)


@login_required
@require_POST
def item_add(request: AuthenticatedRequest, sheet_id: int) -> HttpResponseRedirect:
    form = ItemForm(request.POST)
    if not form.is_valid():
        return _refuse_item(request, sheet_id)
    return _act(
        request,
        sheet_id,
        lambda: services.add_item(
            actor=request.user,
            sheet_id=sheet_id,
            points=form.cleaned_data["points"],
            reason=form.cleaned_data["reason"],
            expected_version=_version(request),
        ),
        _("Line added."),
    )


@login_required
@require_POST
def item_change(request: AuthenticatedRequest, sheet_id: int, item_id: int) -> HttpResponseRedirect:
    form = ItemForm(request.POST)
    if not form.is_valid():
        return _refuse_item(request, sheet_id)
    return _act(
        request,
        sheet_id,
        lambda: services.change_item(
            actor=request.user,
            sheet_id=sheet_id,
            item_id=item_id,
            points=form.cleaned_data["points"],
            reason=form.cleaned_data["reason"],
            expected_version=_version(request),
        ),
        _("Line changed."),
    )


@login_required
@require_POST
def item_remove(request: AuthenticatedRequest, sheet_id: int, item_id: int) -> HttpResponseRedirect:
    return _act(
        request,
        sheet_id,
        lambda: services.remove_item(actor=request.user, sheet_id=sheet_id, item_id=item_id),
        _("Line removed."),
    )


@login_required
@require_POST
def sheet_submit(request: AuthenticatedRequest, sheet_id: int) -> HttpResponseRedirect:
    return _act(
        request,
        sheet_id,
        lambda: services.submit_sheet(
            actor=request.user, sheet_id=sheet_id, expected_version=_version(request)
        ),
        _("Submitted: the managers are told."),
    )


@login_required
@require_POST
def sheet_decide(request: AuthenticatedRequest, sheet_id: int) -> HttpResponseRedirect:
    approve = request.POST.get("decision") == "approve"
    return _act(
        request,
        sheet_id,
        lambda: services.decide_sheet(
            actor=request.user,
            sheet_id=sheet_id,
            approve=approve,
            note=request.POST.get("note", ""),
            expected_version=_version(request),
        ),
        _("Approved: the sheet is final.") if approve else _("Returned to the supervisor."),
    )


app_name = "quality"


@login_required
def sheet_export(request: AuthenticatedRequest) -> FileResponse | HttpResponseRedirect:
    """The month's reward/penalty sheets in Excel for payroll (?month=2026-11); the export service
    refuses whoever lacks the export right or Perm.EVALUATE, as for every export."""
    return export_response(request, kind="reward_penalty_sheets", fmt="xlsx")


urlpatterns = [
    path("sheets/", sheet_list, name="sheets"),
    path("sheets/new/", sheet_draft, name="sheet_draft"),
    path("sheets/from-rules/", sheets_from_rules, name="sheets_from_rules"),
    path("sheets/rules/", sheet_rules_page, name="sheet_rules"),
    path("sheets/export/", sheet_export, name="sheet_export"),
    path("sheets/<int:sheet_id>/", sheet_detail, name="sheet"),
    path("sheets/<int:sheet_id>/items/", item_add, name="item_add"),
    path("sheets/<int:sheet_id>/items/<int:item_id>/", item_change, name="item_change"),
    path("sheets/<int:sheet_id>/items/<int:item_id>/remove/", item_remove, name="item_remove"),
    path("sheets/<int:sheet_id>/submit/", sheet_submit, name="submit"),
    path("sheets/<int:sheet_id>/decide/", sheet_decide, name="decide"),
    *inspection_urls,
    *performance_urls,
    *roster_urls,
    *leaderboard_urls,
    *record_urls,
]
