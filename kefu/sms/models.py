"""SMS 短信: templates with variables, and every message sent with its delivery status."""

import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class SmsTemplate(models.Model):
    """A template approved at the provider. `body` is for display and preview; the provider renders
    the real text from its own copy of the template (`provider_template_id`)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    provider_template_id = models.CharField(
        _("provider template id"),
        max_length=60,
        blank=True,
        help_text=_(
            "The template's id at the SMS provider, e.g. SMS_123456789 or 1110; empty: the code is used."
        ),
    )
    body = models.TextField(
        _("text"), max_length=500, help_text=_("Variables in braces: {name}, {code}.")
    )
    # Variables that may be left empty when sending; every other variable of the text is required.
    optional_variables = models.JSONField(_("optional variables"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("SMS template")
        verbose_name_plural = _("SMS templates")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def variables(self) -> list[str]:
        """The variables in the order they appear (Tencent Cloud takes the values in this order)."""
        return list(dict.fromkeys(VARIABLE.findall(self.body)))

    @property
    def required_variables(self) -> list[str]:
        return [name for name in self.variables if name not in self.optional_variables]

    def render(self, params: dict) -> str:
        return VARIABLE.sub(lambda m: str(params.get(m.group(1), m.group(0))), self.body)


class SmsStatus(models.TextChoices):
    """queued → sent | failed (the provider's answer to the send); then the provider's delivery report
    moves sent → delivered | failed, and failed → delivered. Delivered is final: see record_delivery."""

    QUEUED = "queued", _("Queued")  # stored, not yet handed to the provider
    SENT = "sent", _("Sent")  # the provider accepted it
    FAILED = "failed", _("Failed")  # the provider refused it or could not be reached; see the error
    DELIVERED = "delivered", _("Delivered")  # the provider reported delivery to the phone


class SmsMessage(models.Model):
    to = models.CharField(_("to"), max_length=20, db_index=True)  # E.164
    template_code = models.CharField(_("template"), max_length=60)
    params = models.JSONField(_("variables"), default=dict, blank=True)
    body = models.TextField(_("text"), blank=True)  # rendered from the template, for display
    provider = models.CharField(_("provider"), max_length=20)
    provider_message_id = models.CharField(
        _("provider message id"), max_length=100, blank=True, db_index=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=SmsStatus.choices, default=SmsStatus.QUEUED
    )
    error = models.CharField(_("error"), max_length=300, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # From the provider's delivery report (回执): its status code (DELIVERED, DELIVRD, or the
    # operator's error code) and the time it gives for the delivery or the failure.
    report_code = models.CharField(_("report code"), max_length=60, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)

    template_name: str  # not a column: set by selectors.with_template_names for the list

    class Meta:
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "-id"], name="sms_status_recent"),
            # The workbench's "failed in the last seven days" (workbench.py).
            models.Index(fields=["status", "created_at"], name="sms_status_created"),
        ]

    def __str__(self) -> str:
        return f"SMS #{self.pk} {self.template_code} {self.status}"
