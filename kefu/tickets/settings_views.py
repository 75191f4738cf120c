"""Managers' settings for tickets: the complaint categories (客诉分类) with their routing to a
department, and the time limits (客诉处理时限标准). Every change goes through services.catalog."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from kefu.accounts.models import Department
from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.forms import StyledFormMixin
from kefu.core.pages import perform
from kefu.tickets.actions import _category_choices, category_path
from kefu.tickets.models import RoutingRule, SlaPolicy, TicketCategory
from kefu.tickets.services import catalog
from kefu.tickets.services.sla import DEFAULT_LIMITS
from kefu.tickets.states import Priority


class CategoryForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("a thing's name", "Name"), max_length=60)
    parent = forms.TypedChoiceField(
        label=gettext_lazy("Under"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=_category_choices,
    )


class TimeLimitForm(StyledFormMixin, forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("a thing's name", "Name"), max_length=80, required=False
    )
    category = forms.TypedChoiceField(
        label=gettext_lazy("Category"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=_category_choices,
        help_text=gettext_lazy("Empty: every category"),
    )
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"),
        required=False,
        choices=[("", gettext_lazy("Any priority")), *Priority.choices],
    )
    first_response_minutes = forms.IntegerField(
        label=gettext_lazy("First response (working minutes)"), min_value=1, max_value=60 * 24 * 30
    )
    stage_minutes = forms.IntegerField(
        label=gettext_lazy("Each stage (working minutes)"), min_value=1, max_value=60 * 24 * 30
    )
    resolution_minutes = forms.IntegerField(
        label=gettext_lazy("Resolution (working minutes)"), min_value=1, max_value=60 * 24 * 90
    )


def _tree() -> list[dict]:
    categories = list(TicketCategory.objects.select_related("parent__parent"))
    rules = {r.category_id: r.department for r in RoutingRule.objects.select_related("department")}
    rows = [
        {
            "category": c,
            "path": category_path(c),
            "depth": len(c.lineage()) - 1,
            "department": rules.get(c.pk),
        }
        for c in categories
    ]
    return sorted(rows, key=lambda r: r["path"])


@require_perm(Perm.MANAGE_SETTINGS)
def ticket_settings(request):
    return render(
        request,
        "tickets/settings.html",
        {
            "rows": _tree(),
            "departments": Department.objects.order_by("name"),
            "category_form": CategoryForm(),
            "limit_form": TimeLimitForm(),
            "policies": SlaPolicy.objects.filter(is_active=True)
            .select_related("category__parent")
            .order_by("category_id", "priority"),
            "defaults": [
                int(d.total_seconds() // 60)
                for d in (
                    DEFAULT_LIMITS.first_response,
                    DEFAULT_LIMITS.stage,
                    DEFAULT_LIMITS.resolution,
                )
            ],
        },
    )


def _run(request, service, success: str, **kwargs):
    return perform(
        request,
        lambda: service(actor=request.user, **kwargs),
        success=success,
        then="tickets_settings:index",
    )


@require_perm(Perm.MANAGE_SETTINGS)
@require_POST
def category_add(request):
    form = CategoryForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A category needs a name of at most 60 characters."))
        return redirect("tickets_settings:index")
    return _run(
        request,
        catalog.create_category,
        _("Category added."),
        name=form.cleaned_data["name"],
        parent_id=form.cleaned_data["parent"],
    )


@require_perm(Perm.MANAGE_SETTINGS)
@require_POST
def category_active(request, category_id: int):
    active = request.POST.get("active") == "1"
    return _run(
        request,
        catalog.set_category_active,
        _("Category turned on.")
        if active
        else _("Category turned off: it is no longer offered for new tickets."),
        category_id=category_id,
        active=active,
    )


@require_perm(Perm.MANAGE_SETTINGS)
@require_POST
def category_delete(request, category_id: int):
    return _run(request, catalog.delete_category, _("Category deleted."), category_id=category_id)


@require_perm(Perm.MANAGE_SETTINGS)
@require_POST
def category_routing(request, category_id: int):
    raw = request.POST.get("department", "")
    return _run(
        request,
        catalog.set_routing_rule,
        _("Routing saved."),
        category_id=category_id,
        department_id=int(raw) if raw.isdigit() else None,
    )


@require_perm(Perm.MANAGE_SETTINGS)
@require_POST
def time_limit_set(request):
    form = TimeLimitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Time limits must be positive numbers of working minutes."))
        return redirect("tickets_settings:index")
    data = form.cleaned_data
    return _run(
        request,
        catalog.set_sla_policy,
        _("Time limits saved."),
        name=data["name"],
        category_id=data["category"],
        priority=data["priority"],
        first_response_minutes=data["first_response_minutes"],
        stage_minutes=data["stage_minutes"],
        resolution_minutes=data["resolution_minutes"],
    )


app_name = "tickets_settings"
urlpatterns = [
    path("", ticket_settings, name="index"),
    path("categories/", category_add, name="category_add"),
    path("categories/<int:category_id>/active/", category_active, name="category_active"),
    path("categories/<int:category_id>/delete/", category_delete, name="category_delete"),
    path("categories/<int:category_id>/routing/", category_routing, name="category_routing"),
    path("time-limits/", time_limit_set, name="time_limit"),
]
