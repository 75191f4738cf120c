"""Writes of automation: rules (saved, ordered, enabled, deleted: each audited), webhooks and
robots (their targets checked against inner networks when saved), deliveries queued and resent."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.automation import catalog, deliveries, outbound
from kefu.automation.engine import rules_cache
from kefu.automation.models import Delivery, DeliveryState, Robot, RobotKind, Rule, Webhook
from kefu.core.errors import DomainError, PermissionRefused


def may_manage(user: User) -> bool:
    return user.is_active and user.has_perm(Perm.MANAGE_SETTINGS)


def _require(actor: User) -> None:
    if not may_manage(actor):
        raise PermissionRefused(_("Only a manager or an administrator may change automation."))


def _audit(actor: User, obj: Any, step: str, request: Any = None, **details: Any) -> None:
    audit(
        AuditAction.SETTINGS_CHANGED,
        actor=actor,
        obj=obj,
        request=request,
        details={"automation": step, **details},
    )


ID_VALUES = frozenset(
    {
        "category",
        "department",
        "set_category",
        "set_department",
        "assign_to",
        "canned_reply",
        "notify_user",
        "webhook",
        "robot",
    }
)
TEXT_LIMITS = {
    "text": 60,
    "region": 20,
    "tag": 30,
    "add_tag": 30,
    "sms_template": 40,
    "create_ticket": 200,
    "create_complaint": 200,
}
TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _choices(key: str) -> set[str] | None:
    from kefu.customers.models import Level
    from kefu.feedback.models import ProblemState
    from kefu.tickets.models import Channel
    from kefu.tickets.states import Priority, TicketType

    return {
        "ticket_type": set(TicketType.values),
        "priority": set(Priority.values),
        "set_priority": set(Priority.values),
        "channel": set(Channel.values),
        "customer_level": set(Level.values),
        "problem_state": set(ProblemState.values),
    }.get(key)


def _check_value(key: str, value: Any, label: object) -> Any:
    """The value if it is of the kind the condition or action takes; DomainError naming it."""
    wrong = DomainError(_("The value of “%(field)s” is not valid.") % {"field": label})
    choices = _choices(key)
    if choices is not None:
        if value not in choices:
            raise wrong
    elif key in ID_VALUES:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            raise wrong
    elif key == "create_visit":
        if value == catalog.AUTO_VISITOR:
            return value
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            raise wrong
    elif key == "rating_at_most":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise wrong
    elif key in ("time_from", "time_to"):
        if not isinstance(value, str) or not TIME_RE.match(value):
            raise wrong
    else:
        if not isinstance(value, str) or len(value) > TEXT_LIMITS[key] or not value.strip():
            raise wrong
        value = value.strip()
    return value


def clean_rule(
    *, trigger: str, conditions: dict[str, Any], actions: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Conditions and actions that are set and apply to the trigger's record; DomainError naming
    the first that does not."""
    spec = catalog.TRIGGER_BY_CODE.get(trigger) if isinstance(trigger, str) else None
    if spec is None:
        raise DomainError(_("Choose when the rule runs."))
    if not isinstance(conditions, dict) or not isinstance(actions, dict):
        raise DomainError(_("Conditions and actions are each a set of named values."))
    kept_conditions = {k: v for k, v in conditions.items() if v not in (None, "", [])}
    kept_actions = {k: v for k, v in actions.items() if v not in (None, "", [])}
    for key in kept_conditions:
        if key not in catalog.CONDITIONS:
            raise DomainError(_("Unknown condition: %(key)s.") % {"key": str(key)[:40]})
        label, subjects = catalog.CONDITIONS[key]
        kept_conditions[key] = _check_value(key, kept_conditions[key], label)
        if spec.subject not in subjects:
            raise DomainError(
                _("The condition “%(condition)s” does not apply to “%(trigger)s”.")
                % {"condition": label, "trigger": spec.label}
            )
    if bool(kept_conditions.get("time_from")) != bool(kept_conditions.get("time_to")):
        raise DomainError(_("Give both ends of the time of day, or neither."))
    if not kept_actions:
        raise DomainError(_("Choose at least one action."))
    for key in kept_actions:
        if key not in catalog.ACTIONS:
            raise DomainError(_("Unknown action: %(key)s.") % {"key": str(key)[:40]})
        label, subjects = catalog.ACTIONS[key]
        kept_actions[key] = _check_value(key, kept_actions[key], label)
        if spec.subject not in subjects:
            raise DomainError(
                _("The action “%(action)s” does not apply to “%(trigger)s”.")
                % {"action": label, "trigger": spec.label}
            )
    return kept_conditions, kept_actions


@transaction.atomic
def save_rule(
    *,
    actor: User,
    rule: Rule | None,
    name: str,
    trigger: str,
    conditions: dict[str, Any],
    actions: dict[str, Any],
    request: Any = None,
) -> Rule:
    """Create or change a rule; it acts as `actor` from now on. A new rule starts disabled:
    dry-run it, then enable it."""
    _require(actor)
    name = " ".join((name or "").split())[:80]
    if not name:
        raise DomainError(_("The rule needs a name."))
    conditions, actions = clean_rule(trigger=trigger, conditions=conditions, actions=actions)
    if rule is None:
        top = Rule.objects.aggregate(top=Max("position"))["top"] or 0
        rule = Rule(position=top + 10)
        step = "rule_created"
    else:
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
        rule.version += 1
        step = "rule_changed"
    rule.name, rule.trigger = name, trigger
    rule.conditions, rule.actions = conditions, actions
    rule.acts_as = actor
    rule.save()
    _audit(actor, rule, step, request, trigger=trigger, conditions=conditions, actions=actions)
    _rules_changed()
    return rule


@transaction.atomic
def set_rule_enabled(*, actor: User, rule_id: int, enabled: bool, request: Any = None) -> Rule:
    _require(actor)
    rule = Rule.objects.select_for_update().get(pk=rule_id)
    if rule.is_enabled != enabled:
        rule.is_enabled = enabled
        rule.save(update_fields=["is_enabled", "updated_at"])
        _audit(actor, rule, "rule_enabled" if enabled else "rule_disabled", request)
        _rules_changed()
    return rule


@transaction.atomic
def move_rule(*, actor: User, rule_id: int, up: bool, request: Any = None) -> None:
    """Swap the rule with its neighbour above (or below): the order the rules run in."""
    _require(actor)
    rules = list(Rule.objects.select_for_update().order_by("position", "id"))
    index = next((i for i, r in enumerate(rules) if r.pk == rule_id), None)
    if index is None:
        raise DomainError(_("This rule does not exist."))
    other = index - 1 if up else index + 1
    if not 0 <= other < len(rules):
        return
    rules[index], rules[other] = rules[other], rules[index]
    for position, rule in enumerate(rules, start=1):
        if rule.position != position * 10:
            rule.position = position * 10
            rule.save(update_fields=["position"])
    _audit(actor, rules[other], "rule_moved", request, up=up)
    _rules_changed()


@transaction.atomic
def delete_rule(*, actor: User, rule_id: int, request: Any = None) -> None:
    _require(actor)
    rule = Rule.objects.select_for_update().get(pk=rule_id)
    _audit(actor, rule, "rule_deleted", request, name=rule.name)
    rule.delete()
    _rules_changed()


def _rules_changed() -> None:
    rules_cache.clear()  # now for this process's next read, and again once the change is visible
    transaction.on_commit(rules_cache.clear)


def _checked_url(url: str) -> str:
    url = (url or "").strip()
    try:
        outbound.check_url(url)
    except outbound.TargetRefused as refused:
        raise DomainError(str(refused), field="url") from refused
    return url


def _checked_name(name: str, missing: str) -> str:
    name = " ".join((name or "").split())[:80]
    if not name:
        raise DomainError(missing, field="name")
    return name


@transaction.atomic
def save_webhook(
    *,
    actor: User,
    webhook: Webhook | None,
    name: str,
    url: str,
    is_active: bool,
    request: Any = None,
) -> Webhook:
    """A webhook whose address is on the public Internet (checked now and at every send)."""
    _require(actor)
    name = _checked_name(name, _("The webhook needs a name."))
    url = _checked_url(url)
    if webhook is None:
        webhook = Webhook(secret=secrets.token_hex(24))
    webhook.name, webhook.url, webhook.is_active = name, url, is_active
    webhook.save()
    _audit(actor, webhook, "webhook_saved", request, url=url, active=is_active)
    return webhook


@transaction.atomic
def save_robot(
    *,
    actor: User,
    robot: Robot | None,
    name: str,
    kind: str,
    url: str,
    secret: str,
    on_warning: bool,
    on_breach: bool,
    on_report: bool,
    is_active: bool,
    request: Any = None,
) -> Robot:
    _require(actor)
    name = _checked_name(name, _("The robot needs a name."))
    if kind not in RobotKind.values:
        raise DomainError(_("Choose WeCom or DingTalk."), field="kind")
    url = _checked_url(url)
    robot = robot or Robot()
    robot.name, robot.kind, robot.url = name, kind, url
    robot.secret = (secret or "").strip()[:100] or robot.secret
    robot.on_warning, robot.on_breach, robot.on_report = on_warning, on_breach, on_report
    robot.is_active = is_active
    robot.save()
    _audit(actor, robot, "robot_saved", request, url=url, kind=kind, active=is_active)
    return robot


@transaction.atomic
def turn_off_webhook(*, actor: User, webhook_id: int, request: Any = None) -> Webhook:
    """Rules stop calling it; it is kept with its deliveries (there is no deleting: the log stays
    whole). Its address is not checked again, so a target that went away can still be turned off."""
    _require(actor)
    webhook = Webhook.objects.select_for_update().get(pk=webhook_id)
    if webhook.is_active:
        webhook.is_active = False
        webhook.save(update_fields=["is_active"])
        _audit(actor, webhook, "webhook_turned_off", request, url=webhook.url)
    return webhook


@transaction.atomic
def turn_off_robot(*, actor: User, robot_id: int, request: Any = None) -> Robot:
    """As turn_off_webhook: nothing more is posted to the group; the robot and its log stay."""
    _require(actor)
    robot = Robot.objects.select_for_update().get(pk=robot_id)
    if robot.is_active:
        robot.is_active = False
        robot.save(update_fields=["is_active"])
        _audit(actor, robot, "robot_turned_off", request, url=robot.url, kind=robot.kind)
    return robot


def _queue(delivery: Delivery) -> Delivery:
    from kefu.automation.tasks import deliver

    transaction.on_commit(lambda: deliver(delivery.pk))
    return delivery


# The record a delivery is about: (catalog kind, id), or None (a report pack).
Subject = tuple[str, int] | None


def _about(subject: Subject) -> dict[str, Any]:
    kind, pk = subject or ("", None)
    return {"subject_kind": kind, "subject_id": pk}


def queue_webhook(
    *, webhook_id: int, event: str, data: dict[str, Any], subject: Subject = None
) -> Delivery | None:
    """Store the call and send it in the background (never in the request that caused it)."""
    webhook = Webhook.objects.filter(pk=webhook_id, is_active=True).first()
    if webhook is None:
        raise DomainError(_("This webhook does not exist or is turned off."))
    return _queue(
        Delivery.objects.create(
            webhook=webhook,
            event=event,
            body=deliveries.body_for_webhook(event, data),
            **_about(subject),
        )
    )


def queue_robot(
    *, robot_id: int, event: str, title: str, text: str, subject: Subject = None
) -> Delivery:
    robot = Robot.objects.filter(pk=robot_id, is_active=True).first()
    if robot is None:
        raise DomainError(_("This robot does not exist or is turned off."))
    return _queue(
        Delivery.objects.create(
            robot=robot,
            event=event,
            body=deliveries.body_for_robot(robot.kind, title, text),
            **_about(subject),
        )
    )


def tell_robots(*, flag: str, event: str, title: str, text: str, subject: Subject = None) -> int:
    """Post to every active robot that asked for `flag` (on_warning, on_breach, on_report)."""
    count = 0
    for robot_id in Robot.objects.filter(is_active=True, **{flag: True}).values_list(
        "pk", flat=True
    ):
        queue_robot(robot_id=robot_id, event=event, title=title, text=text, subject=subject)
        count += 1
    return count


@transaction.atomic
def resend(*, actor: User, delivery_id: int, request: Any = None) -> Delivery:
    """The same body once more, as a new delivery with its own tries."""
    _require(actor)
    old = Delivery.objects.filter(pk=delivery_id).first()
    if old is None:
        raise DomainError(_("This delivery does not exist."))
    if old.state == DeliveryState.PENDING:
        raise DomainError(_("This delivery is still being tried."))
    new = Delivery.objects.create(
        webhook_id=old.webhook_id,
        robot_id=old.robot_id,
        event=old.event,
        body=old.body,
        subject_kind=old.subject_kind,
        subject_id=old.subject_id,
    )
    _audit(actor, new, "delivery_resent", request, of=old.pk)
    return _queue(new)
