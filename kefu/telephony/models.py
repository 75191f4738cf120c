"""Call records 通话记录: one row per phone call, entered by the agent or posted by the telephony system.

The number is stored normalised (E.164, like the customer archive's identities), so a call finds its
customer through `ContactIdentity`. A call posted by the telephony system carries the system's own
call id (`external_id`), unique, so a replayed webhook finds the row it already made.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CallDirection(models.TextChoices):
    INBOUND = "in", pgettext_lazy("call direction", "Incoming")  # 呼入: the customer called us
    OUTBOUND = (
        "out",
        pgettext_lazy("call direction", "Outgoing"),
    )  # 呼出: we called the customer (return visits, callbacks)


class CallOutcome(models.TextChoices):
    RINGING = (
        "ringing",
        pgettext_lazy("call outcome", "Ringing"),
    )  # still ringing or under way: the telephony system has not reported the end yet
    ANSWERED = "answered", pgettext_lazy("call outcome", "Answered")  # the two sides talked
    MISSED = (
        "missed",
        pgettext_lazy("call outcome", "Missed"),
    )  # rang, nobody answered (incoming) or the customer did not pick up (outgoing)
    BUSY = "busy", pgettext_lazy("call outcome", "Busy")  # the other line was busy
    VOICEMAIL = (
        "voicemail",
        pgettext_lazy("call outcome", "Voicemail"),
    )  # a message was left on voicemail
    CALLBACK_REQUESTED = (
        "callback",
        pgettext_lazy("call outcome", "Callback requested"),
    )  # talked; the customer asked to be called back


# Outcomes in which the customer was reached: they count as contact (the seven-day rule).
CONTACT_OUTCOMES = frozenset({CallOutcome.ANSWERED, CallOutcome.CALLBACK_REQUESTED})


class CallSource(models.TextChoices):
    MANUAL = "manual", _("Entered by the agent")
    WEBHOOK = "webhook", _("Telephony system")
    API = "api", _("API")


class Extension(models.Model):
    """An agent's extension 分机号 on the telephony system: how a ringing call finds its agent."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="extension",
        verbose_name=_("agent"),
    )
    number = models.CharField(_("extension"), max_length=20, unique=True)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class Call(models.Model):
    direction = models.CharField(_("direction"), max_length=3, choices=CallDirection.choices)
    # E.164 when the number could be read as one; otherwise what the system sent (e.g. "anonymous").
    number = models.CharField(_("number"), max_length=32, db_index=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("customer"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("agent"),
    )
    started_at = models.DateTimeField(_("started at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(
        _("duration (seconds)"), default=0, help_text=_("Talk time, from answer to hang-up.")
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=CallOutcome.choices, default=CallOutcome.ANSWERED
    )
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)
    subject = models.CharField(_("reason for the call"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    source = models.CharField(
        _("source"), max_length=10, choices=CallSource.choices, default=CallSource.MANUAL
    )
    external_id = models.CharField(_("telephony call id"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                name="call_external_id_once",
                condition=~models.Q(external_id=""),
            ),
        ]
        # Lists show the newest call first by call time (started_at, then id); an agent's list walks
        # the calls they took or entered and those of their customers (selectors.visible_calls).
        indexes = [
            models.Index(fields=["-started_at", "-id"], name="call_started"),
            models.Index(fields=["agent", "-started_at", "-id"], name="call_agent_started"),
            models.Index(fields=["created_by", "-started_at", "-id"], name="call_creator_started"),
            models.Index(fields=["customer", "-started_at", "-id"], name="call_customer_started"),
            models.Index(fields=["outcome", "-started_at", "-id"], name="call_outcome_started"),
        ]

    def __str__(self) -> str:
        # No number here: the string of an object ends up in logs and audit rows.
        return f"{self.get_direction_display()} #{self.pk}"

    @property
    def is_ended(self) -> bool:
        return self.outcome != CallOutcome.RINGING


class CallScript(models.Model):
    """The call script 通话语术 of one direction, as a manager wrote it (kefu/telephony/script.py
    reads the text: `## 标题` starts a step, `> ` a hint for the agent, `[满意] …` a line of one
    branch of the customer's answer; every other line is said as written)."""

    direction = models.CharField(
        _("direction"), max_length=3, choices=CallDirection.choices, unique=True
    )
    text = models.TextField(_("script"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("call script")
        verbose_name_plural = _("call scripts")
        ordering = ["direction"]

    def __str__(self) -> str:
        return self.get_direction_display()
