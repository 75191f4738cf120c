"""Automation API: the rules (list, create, change, switch, dry run, log) and the deliveries of
webhooks and robots (list, resend), for managers and administrators, like the pages."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Router, Status

from kefu.accounts.http import AuthenticatedRequest
from kefu.automation import engine, selectors, services
from kefu.automation.models import Delivery, Rule, RuleLog
from kefu.automation.schemas import (
    DeliveryOut,
    DeliveryPage,
    DryRunIn,
    DryRunRow,
    LogPage,
    RuleIn,
    RuleOut,
    RuleSwitchIn,
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
