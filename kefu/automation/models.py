"""Automation 自动化: rules (when … if … then …), their log, outgoing webhooks with their deliveries,
and the WeCom / DingTalk group robots."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Rule(models.Model):
    """当…如果…就…: a trigger (an event name of catalog.TRIGGERS), conditions that must all hold
    (catalog.CONDITIONS: field → value) and actions (catalog.ACTIONS: kind → value), run in
    `position` order. The rule acts as `acts_as`: the manager who last saved it, whose permissions
    the services check when the actions run."""

    name = models.CharField(_("name"), max_length=80)
    trigger = models.CharField(_("when"), max_length=40)
    conditions = models.JSONField(_("if"), default=dict, blank=True)
    actions = models.JSONField(_("then"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    is_enabled = models.BooleanField(_("enabled"), default=False)
    acts_as = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("acts as"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        indexes = [models.Index(fields=["trigger", "is_enabled"], name="automation_rule_trigger")]

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    DONE = "done", _("Done")  # every action ran
    PARTLY = "partly", _("Partly done")  # at least one action was refused or failed
    LOOP = "loop", _("Stopped: loop")  # the rule was already in the chain that caused the event
    TOO_DEEP = "too_deep", _("Stopped: chain too long")


class RuleLog(models.Model):
    """What a rule did once: the event, the record, each action's result."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="logs")
    event = models.CharField(_("event"), max_length=40)
    subject_kind = models.CharField(_("record kind"), max_length=20)
    subject_id = models.PositiveBigIntegerField(_("record"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    results = models.JSONField(_("results"), default=list, blank=True)  # [{"action", "ok", "text"}]
    chain = models.JSONField(default=list, blank=True)  # ids of the rules that led here
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["rule", "-id"], name="automation_log_rule")]

    def __str__(self) -> str:
        return f"{self.event} {self.subject_kind} #{self.subject_id}"


class Webhook(models.Model):
    """An outgoing webhook: POSTed JSON, signed with `secret` (docs/automation.md)."""

    name = models.CharField(_("name"), max_length=80)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=64)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook")

    def __str__(self) -> str:
        return self.name


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting")  # queued or between retries
    DELIVERED = "delivered", _("Delivered")  # a 2xx answer
    FAILED = "failed", _("Failed")  # every try failed, or the target is refused


class Delivery(models.Model):
    """One POST to a webhook or a robot, with every try counted; resent as a new row."""

    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, related_name="deliveries", null=True, blank=True
    )
    robot = models.ForeignKey(
        "Robot", on_delete=models.CASCADE, related_name="deliveries", null=True, blank=True
    )
    event = models.CharField(_("event"), max_length=40)
    # The record the message is about (as RuleLog's; none for a report pack): what an erasure
    # finds a customer's deliveries by.
    subject_kind = models.CharField(_("record kind"), max_length=20, blank=True)
    subject_id = models.PositiveBigIntegerField(_("record"), null=True, blank=True)
    body = models.TextField(_("body"))
    state = models.CharField(
        _("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    status_code = models.PositiveSmallIntegerField(_("answer"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["subject_kind", "subject_id"], name="automation_delivery_subject")
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"


class RobotKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")  # 企业微信群机器人
    DINGTALK = "dingtalk", _("DingTalk group robot")  # 钉钉群机器人


class Robot(models.Model):
    """A group robot: its webhook address (with its key or access token) and, for DingTalk's
    加签 security setting, the secret the request is signed with."""

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=10, choices=RobotKind.choices)
    url = models.URLField(_("robot webhook address"), max_length=500)
    secret = models.CharField(_("signing secret (DingTalk 加签)"), max_length=100, blank=True)
    on_warning = models.BooleanField(_("time-limit warnings"), default=False)
    on_breach = models.BooleanField(_("time-limit breaches and escalations"), default=False)
    on_report = models.BooleanField(_("report packs"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("robot")

    def __str__(self) -> str:
        return self.name
