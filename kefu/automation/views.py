"""Pages of automation 自动化 (managers and administrators): the rules in order with their switch,
the rule form with its dry run, what the rules did, webhooks with their deliveries and "resend",
and the group robots."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.automation import catalog, engine, selectors, services
from kefu.automation.forms import RobotForm, RuleForm, WebhookForm
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError, form_field
from kefu.core.redirects import safe_next

manager_only = require_perm(Perm.MANAGE_SETTINGS)
DRY_RUN_DEFAULT, DRY_RUN_MAX = 20, 200


@manager_only
def rule_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "automation/rules.html",
        {"rules": selectors.rules(), "triggers": {t.code: t.label for t in catalog.TRIGGERS}},
    )


def _last(raw: str | None) -> int:
    if raw is None:
        return DRY_RUN_DEFAULT
    try:
        return max(1, min(DRY_RUN_MAX, int(raw)))
    except ValueError:
        return DRY_RUN_DEFAULT


@manager_only
def rule_form(request: AuthenticatedRequest, rule_id: int | None = None) -> HttpResponse:
    rule = selectors.access_rule(actor=request.user, rule_id=rule_id) if rule_id else None
    dry = None
    last = _last(request.POST.get("last") or request.GET.get("last"))
    if request.method == "POST":
        form = RuleForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                conditions, actions = services.clean_rule(
                    trigger=data["trigger"], conditions=form.conditions(), actions=form.actions()
                )
                if "dry_run" in request.POST:
                    dry = engine.dry_run(
                        trigger=data["trigger"],
                        conditions=conditions,
                        rule_actions=actions,
                        last=last,
                    )
                else:
                    saved = services.save_rule(
                        actor=request.user,
                        rule=rule,
                        name=data["name"],
                        trigger=data["trigger"],
                        conditions=conditions,
                        actions=actions,
                        request=request,
                    )
                    messages.success(
                        request,
                        _("Rule “%(name)s” saved.") % {"name": saved.name}
                        + (
                            ""
                            if saved.is_enabled
                            else " " + _("It is off: dry-run it, then turn it on.")
                        ),
                    )
                    return redirect("automation:rules")
            except DomainError as refusal:
                form.add_error(None, refusal.message)
    else:
        form = RuleForm(initial=RuleForm.initial_from(rule) if rule else None)
    return render(
        request,
        "automation/rule_form.html",
        {
            "form": form,
            "rule": rule,
            "dry": dry,
            "dry_hits": sum(1 for row in dry or [] if row["matched"]),
            "last": last,
        },
    )


@manager_only
@require_POST
def rule_switch(request: AuthenticatedRequest, rule_id: int) -> HttpResponseRedirect:
    rule = selectors.access_rule(actor=request.user, rule_id=rule_id)
    enabled = request.POST.get("enabled") == "1"
    services.set_rule_enabled(actor=request.user, rule_id=rule.pk, enabled=enabled, request=request)
    messages.success(
        request,
        (_("Rule “%(name)s” is on.") if enabled else _("Rule “%(name)s” is off."))
        % {"name": rule.name},
    )
    return redirect("automation:rules")


@manager_only
@require_POST
def rule_move(request: AuthenticatedRequest, rule_id: int) -> HttpResponseRedirect:
    rule = selectors.access_rule(actor=request.user, rule_id=rule_id)
    services.move_rule(
        actor=request.user, rule_id=rule.pk, up=request.POST.get("up") == "1", request=request
    )
    return redirect("automation:rules")


@manager_only
@require_POST
def rule_delete(request: AuthenticatedRequest, rule_id: int) -> HttpResponseRedirect:
    rule = selectors.access_rule(actor=request.user, rule_id=rule_id)
    services.delete_rule(actor=request.user, rule_id=rule.pk, request=request)
    messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect("automation:rules")


@manager_only
def rule_log(request: AuthenticatedRequest, rule_id: int | None = None) -> HttpResponse:
    rule = selectors.access_rule(actor=request.user, rule_id=rule_id) if rule_id else None
    page = Paginator(selectors.logs(rule_id=rule.pk if rule else None), 50).get_page(
        request.GET.get("page")
    )
    event_labels = {name: t.label for t in catalog.TRIGGERS for name in t.events}
    return render(
        request,
        "automation/log.html",
        {"rule": rule, "page": page, "event_labels": event_labels},
    )


@manager_only
def webhook_list(request: AuthenticatedRequest, webhook_id: int | None = None) -> HttpResponse:
    webhook = (
        selectors.access_webhook(actor=request.user, webhook_id=webhook_id) if webhook_id else None
    )
    if request.method == "POST":
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                saved = services.save_webhook(
                    actor=request.user, webhook=webhook, request=request, **form.cleaned_data
                )
                messages.success(request, _("Webhook “%(name)s” saved.") % {"name": saved.name})
                return redirect("automation:webhook", webhook_id=saved.pk)
            except DomainError as refusal:
                form.add_error(form_field(refusal, form.fields), refusal.message)
    else:
        form = WebhookForm(
            initial={"name": webhook.name, "url": webhook.url, "is_active": webhook.is_active}
            if webhook
            else None
        )
    deliveries = Paginator(
        selectors.deliveries(webhook_id=webhook.pk) if webhook else selectors.deliveries(), 50
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "automation/webhooks.html",
        {
            "form": form,
            "webhook": webhook,
            "webhooks": selectors.webhooks(),
            "deliveries": deliveries,
        },
    )


@manager_only
@require_POST
def delivery_resend(request: AuthenticatedRequest, delivery_id: int) -> HttpResponseRedirect:
    try:
        services.resend(actor=request.user, delivery_id=delivery_id, request=request)
        messages.success(request, _("Sent again; its result is in the list below."))
    except DomainError as refusal:
        messages.error(request, refusal.message)
    return redirect(safe_next(request, reverse("automation:webhooks")))


@manager_only
def robot_list(request: AuthenticatedRequest, robot_id: int | None = None) -> HttpResponse:
    robot = selectors.access_robot(actor=request.user, robot_id=robot_id) if robot_id else None
    if request.method == "POST":
        form = RobotForm(request.POST)
        if form.is_valid():
            try:
                saved = services.save_robot(
                    actor=request.user, robot=robot, request=request, **form.cleaned_data
                )
                messages.success(request, _("Robot “%(name)s” saved.") % {"name": saved.name})
                return redirect("automation:robots")
            except DomainError as refusal:
                form.add_error(form_field(refusal, form.fields), refusal.message)
    else:
        form = RobotForm(
            initial={
                "name": robot.name,
                "kind": robot.kind,
                "url": robot.url,
                "on_warning": robot.on_warning,
                "on_breach": robot.on_breach,
                "on_report": robot.on_report,
                "is_active": robot.is_active,
            }
            if robot
            else None
        )
    return render(
        request,
        "automation/robots.html",
        {
            "form": form,
            "robot": robot,
            "robots": selectors.robots(),
            "deliveries": selectors.deliveries(robot_id=robot.pk)[:50]
            if robot
            else selectors.deliveries().filter(robot__isnull=False)[:50],
        },
    )


app_name = "automation"
urlpatterns = [
    path("", rule_list, name="rules"),
    path("rules/new/", rule_form, name="rule_create"),
    path("rules/<int:rule_id>/", rule_form, name="rule_edit"),
    path("rules/<int:rule_id>/switch/", rule_switch, name="rule_switch"),
    path("rules/<int:rule_id>/move/", rule_move, name="rule_move"),
    path("rules/<int:rule_id>/delete/", rule_delete, name="rule_delete"),
    path("rules/<int:rule_id>/log/", rule_log, name="rule_log"),
    path("log/", rule_log, name="log"),
    path("webhooks/", webhook_list, name="webhooks"),
    path("webhooks/<int:webhook_id>/", webhook_list, name="webhook"),
    path("deliveries/<int:delivery_id>/resend/", delivery_resend, name="resend"),
    path("robots/", robot_list, name="robots"),
    path("robots/<int:robot_id>/", robot_list, name="robot"),
]
