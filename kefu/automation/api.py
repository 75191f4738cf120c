"""Automation API: the rules (list, create, change, switch, dry run, log), the webhooks and group
robots (list, create, change, turn off) and their deliveries (list, resend), for managers and
administrators, like the pages.

A webhook or robot is checked exactly as on its page: the page's form (lengths, kind), then the
service (name, target on the public Internet); a refusal is a 422 naming the field. A webhook's
signing secret is made by the server and sent once, in the answer that creates it; a robot's
DingTalk secret is written, never read back."""

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Router, Status
from ninja.errors import ValidationError

from kefu.accounts.http import AuthenticatedRequest
from kefu.automation import engine, selectors, services
from kefu.automation.forms import RobotForm, WebhookForm
from kefu.automation.models import Delivery, Robot, Rule, RuleLog, Webhook
from kefu.automation.schemas import (
    DeliveryOut,
    DeliveryPage,
    DryRunIn,
    DryRunRow,
    LogPage,
    RobotIn,
    RobotOut,
    RuleIn,
    RuleMoveIn,
    RuleOut,
    RuleSwitchIn,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
)
from kefu.core.pagination import keyset_page

router = Router(tags=["automation"])


def _manager(request: AuthenticatedRequest) -> None:
    if not services.may_manage(request.user):
        raise PermissionDenied


def rule_out(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "trigger": rule.trigger,
        "conditions": rule.conditions,
        "actions": rule.actions,
        "position": rule.position,
        "is_enabled": rule.is_enabled,
        "acts_as_id": rule.acts_as_id,
        "version": rule.version,
    }


def log_out(log: RuleLog) -> dict[str, Any]:
    return {
        "id": log.pk,
        "rule_id": log.rule_id,
        "event": log.event,
        "subject_kind": log.subject_kind,
        "subject_id": log.subject_id,
        "outcome": log.outcome,
        "results": log.results,
        "chain": log.chain,
        "created_at": log.created_at,
    }


def delivery_out(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "webhook_id": delivery.webhook_id,
        "robot_id": delivery.robot_id,
        "event": delivery.event,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "status_code": delivery.status_code,
        "error": delivery.error,
        "created_at": delivery.created_at,
        "finished_at": delivery.finished_at,
    }


@router.get("/automation/rules", response=list[RuleOut], summary="The rules, in the order they run")
def list_rules(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    _manager(request)
    return [rule_out(r) for r in selectors.rules()[:500]]


@router.post("/automation/rules", response={201: RuleOut}, summary="Create a rule (saved off)")
def create_rule(request: AuthenticatedRequest, body: RuleIn) -> Status[dict[str, Any]]:
    _manager(request)
    rule = services.save_rule(actor=request.user, rule=None, request=request, **body.dict())
    return Status(201, rule_out(rule))


@router.get("/automation/rules/{rule_id}", response=RuleOut, summary="One rule")
def get_rule(request: AuthenticatedRequest, rule_id: int) -> dict[str, Any]:
    return rule_out(selectors.access_rule(actor=request.user, rule_id=rule_id))


@router.put("/automation/rules/{rule_id}", response=RuleOut, summary="Change a rule")
def change_rule(request: AuthenticatedRequest, rule_id: int, body: RuleIn) -> dict[str, Any]:
    rule = selectors.access_rule(actor=request.user, rule_id=rule_id)
    return rule_out(
        services.save_rule(actor=request.user, rule=rule, request=request, **body.dict())
    )


@router.post(
    "/automation/rules/{rule_id}/switch", response=RuleOut, summary="Turn a rule on or off"
)
def switch_rule(request: AuthenticatedRequest, rule_id: int, body: RuleSwitchIn) -> dict[str, Any]:
    rule = selectors.access_rule(actor=request.user, rule_id=rule_id)
    return rule_out(
        services.set_rule_enabled(
            actor=request.user, rule_id=rule.pk, enabled=body.enabled, request=request
        )
    )


@router.post(
    "/automation/rules/{rule_id}/move",
    response=list[RuleOut],
    summary="Move a rule up or down the order the rules run in; the rules in their new order",
)
def move_rule(
    request: AuthenticatedRequest, rule_id: int, body: RuleMoveIn
) -> list[dict[str, Any]]:
    rule = selectors.access_rule(actor=request.user, rule_id=rule_id)
    services.move_rule(actor=request.user, rule_id=rule.pk, up=body.up, request=request)
    return [rule_out(r) for r in selectors.rules()[:500]]


@router.delete("/automation/rules/{rule_id}", response={204: None}, summary="Delete a rule")
def delete_rule(request: AuthenticatedRequest, rule_id: int) -> Status[None]:
    rule = selectors.access_rule(actor=request.user, rule_id=rule_id)
    services.delete_rule(actor=request.user, rule_id=rule.pk, request=request)
    return Status(204, None)


@router.post(
    "/automation/dry-run",
    response=list[DryRunRow],
    summary="What a rule would have done to the last records (nothing is written)",
)
def dry_run(request: AuthenticatedRequest, body: DryRunIn) -> list[dict[str, Any]]:
    _manager(request)
    conditions, actions = services.clean_rule(
        trigger=body.trigger, conditions=body.conditions, actions=body.actions
    )
    return engine.dry_run(
        trigger=body.trigger, conditions=conditions, rule_actions=actions, last=body.last
    )


@router.get("/automation/log", response=LogPage, summary="What the rules did, newest first")
def rule_log(
    request: AuthenticatedRequest,
    rule_id: int | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    _manager(request)
    if rule_id is not None:
        selectors.access_rule(actor=request.user, rule_id=rule_id)
    page = keyset_page(selectors.logs(rule_id=rule_id), cursor=cursor, size=limit)
    return {"items": [log_out(x) for x in page.items], "next_cursor": page.next_cursor}


@router.get("/automation/deliveries", response=DeliveryPage, summary="Webhook and robot deliveries")
def list_deliveries(
    request: AuthenticatedRequest, cursor: int | None = None, limit: int = 50
) -> dict[str, Any]:
    _manager(request)
    page = keyset_page(selectors.deliveries(), cursor=cursor, size=limit)
    return {"items": [delivery_out(x) for x in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/automation/deliveries/{delivery_id}/resend",
    response={201: DeliveryOut},
    summary="Send a finished delivery again, as a new delivery",
)
def resend(request: AuthenticatedRequest, delivery_id: int) -> Status[dict[str, Any]]:
    _manager(request)
    if not Delivery.objects.filter(pk=delivery_id).exists():
        raise Http404
    return Status(
        201,
        delivery_out(services.resend(actor=request.user, delivery_id=delivery_id, request=request)),
    )


def webhook_out(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.pk,
        "name": webhook.name,
        "url": webhook.url,
        "is_active": webhook.is_active,
        "created_at": webhook.created_at,
    }


def robot_out(robot: Robot) -> dict[str, Any]:
    return {
        "id": robot.pk,
        "name": robot.name,
        "kind": robot.kind,
        "url": robot.url,
        "has_secret": bool(robot.secret),
        "on_warning": robot.on_warning,
        "on_breach": robot.on_breach,
        "on_report": robot.on_report,
        "is_active": robot.is_active,
        "created_at": robot.created_at,
    }


def _invalid(errors: dict[str, list[str]]) -> ValidationError:
    return ValidationError(
        [
            {"loc": ["body", field], "msg": " ".join(messages), "type": "value_error"}
            for field, messages in errors.items()
        ]
    )


def _form_values(form_class: type[forms.Form], body: dict[str, Any]) -> dict[str, Any]:
    """The body checked by the page's own form; 422 naming each field it refuses."""
    form = form_class(data=body)
    if not form.is_valid():
        raise _invalid(
            {field: [str(m) for m in messages] for field, messages in form.errors.items()}
        )
    return dict(form.cleaned_data)


@router.get("/automation/webhooks", response=list[WebhookOut], summary="The outgoing webhooks")
def list_webhooks(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    _manager(request)
    return [webhook_out(w) for w in selectors.webhooks()[:500]]


@router.post(
    "/automation/webhooks",
    response={201: WebhookCreated},
    summary="Add a webhook; its signing secret is in this answer only",
)
def create_webhook(request: AuthenticatedRequest, body: WebhookIn) -> Status[dict[str, Any]]:
    _manager(request)
    values = _form_values(WebhookForm, body.dict())
    webhook = services.save_webhook(actor=request.user, webhook=None, request=request, **values)
    return Status(201, {**webhook_out(webhook), "secret": webhook.secret})


@router.get("/automation/webhooks/{webhook_id}", response=WebhookOut, summary="One webhook")
def get_webhook(request: AuthenticatedRequest, webhook_id: int) -> dict[str, Any]:
    return webhook_out(selectors.access_webhook(actor=request.user, webhook_id=webhook_id))


@router.put(
    "/automation/webhooks/{webhook_id}",
    response=WebhookOut,
    summary="Change a webhook (its signing secret stays)",
)
def change_webhook(
    request: AuthenticatedRequest, webhook_id: int, body: WebhookIn
) -> dict[str, Any]:
    webhook = selectors.access_webhook(actor=request.user, webhook_id=webhook_id)
    values = _form_values(WebhookForm, body.dict())
    saved = services.save_webhook(actor=request.user, webhook=webhook, request=request, **values)
    return webhook_out(saved)


@router.delete(
    "/automation/webhooks/{webhook_id}",
    response=WebhookOut,
    summary="Turn a webhook off (kept with its deliveries, as on the page)",
)
def turn_off_webhook(request: AuthenticatedRequest, webhook_id: int) -> dict[str, Any]:
    webhook = selectors.access_webhook(actor=request.user, webhook_id=webhook_id)
    return webhook_out(
        services.turn_off_webhook(actor=request.user, webhook_id=webhook.pk, request=request)
    )


@router.get("/automation/robots", response=list[RobotOut], summary="The WeCom and DingTalk robots")
def list_robots(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    _manager(request)
    return [robot_out(r) for r in selectors.robots()[:500]]


@router.post("/automation/robots", response={201: RobotOut}, summary="Add a group robot")
def create_robot(request: AuthenticatedRequest, body: RobotIn) -> Status[dict[str, Any]]:
    _manager(request)
    values = _form_values(RobotForm, body.dict())
    robot = services.save_robot(actor=request.user, robot=None, request=request, **values)
    return Status(201, robot_out(robot))


@router.get("/automation/robots/{robot_id}", response=RobotOut, summary="One group robot")
def get_robot(request: AuthenticatedRequest, robot_id: int) -> dict[str, Any]:
    return robot_out(selectors.access_robot(actor=request.user, robot_id=robot_id))


@router.put(
    "/automation/robots/{robot_id}",
    response=RobotOut,
    summary="Change a group robot (an empty secret keeps the saved one)",
)
def change_robot(request: AuthenticatedRequest, robot_id: int, body: RobotIn) -> dict[str, Any]:
    robot = selectors.access_robot(actor=request.user, robot_id=robot_id)
    values = _form_values(RobotForm, body.dict())
    saved = services.save_robot(actor=request.user, robot=robot, request=request, **values)
    return robot_out(saved)


@router.delete(
    "/automation/robots/{robot_id}",
    response=RobotOut,
    summary="Turn a group robot off (kept with its deliveries, as on the page)",
)
def turn_off_robot(request: AuthenticatedRequest, robot_id: int) -> dict[str, Any]:
    robot = selectors.access_robot(actor=request.user, robot_id=robot_id)
    return robot_out(
        services.turn_off_robot(actor=request.user, robot_id=robot.pk, request=request)
    )
