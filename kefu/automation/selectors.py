"""Reads of automation, each loaded by id with the permission check (404 for anybody else)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from kefu.accounts.models import User
from kefu.automation.models import Delivery, Robot, Rule, RuleLog, Webhook
from kefu.automation.services import may_manage


def _check(actor: User) -> None:
    if not may_manage(actor):
        raise Http404


def access_rule(*, actor: User, rule_id: int) -> Rule:
    _check(actor)
    rule = Rule.objects.select_related("acts_as").filter(pk=rule_id).first()
    if rule is None:
        raise Http404
    return rule


def access_webhook(*, actor: User, webhook_id: int) -> Webhook:
    _check(actor)
    webhook = Webhook.objects.filter(pk=webhook_id).first()
    if webhook is None:
        raise Http404
    return webhook


def access_robot(*, actor: User, robot_id: int) -> Robot:
    _check(actor)
    robot = Robot.objects.filter(pk=robot_id).first()
    if robot is None:
        raise Http404
    return robot


def rules() -> QuerySet[Rule]:
    return Rule.objects.select_related("acts_as").order_by("position", "id")


def webhooks() -> QuerySet[Webhook]:
    return Webhook.objects.order_by("name", "id")


def robots() -> QuerySet[Robot]:
    return Robot.objects.order_by("name", "id")


def logs(*, rule_id: int | None = None) -> QuerySet[RuleLog]:
    qs = RuleLog.objects.select_related("rule").order_by("-id")
    return qs.filter(rule_id=rule_id) if rule_id else qs


def deliveries(*, webhook_id: int | None = None, robot_id: int | None = None) -> QuerySet[Delivery]:
    qs = Delivery.objects.select_related("webhook", "robot").order_by("-id")
    if webhook_id:
        qs = qs.filter(webhook_id=webhook_id)
    if robot_id:
        qs = qs.filter(robot_id=robot_id)
    return qs
