"""Feedback and bugs 反馈/BUG (seed 003 游戏客服: 收集玩家反馈和BUG、提交开发部门、跟进处理结果并告知玩家):
each customer's report, reports grouped into one problem for the development department, and the
record of telling each reporter when the problem's state changes."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    BUG = "bug", _("Bug")
    FEATURE = "feature", _("Suggestion")
    CONTENT = "content", _("Content or data error")
    PERFORMANCE = "performance", _("Slow or stuck")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class ReportChannel(models.TextChoices):
    CHAT = "chat", _("Chat")
    TICKET = "ticket", _("Ticket")
    WIDGET = "widget", _("Widget form")
    PHONE = "phone", _("Phone")
    WEBHOOK = "webhook", _("Webhook")  # posted by another system (a game client, a bug tracker)


class ProblemState(models.TextChoices):
    OPEN = "open", _("Waiting for the developers")  # handed over, not looked at yet
    CONFIRMED = "confirmed", _("Confirmed")  # the developers reproduced it
    FIXED = "fixed", _("Fixed")  # final: fixed in `fixed_version`
    WONT_FIX = "wont_fix", _("Won't fix")  # final: with the reason


class Problem(models.Model):
    """One problem, however many customers reported it."""

    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=ProblemState.choices, default=ProblemState.OPEN
    )
    fixed_version = models.CharField(_("fixed in version"), max_length=40, blank=True)
    resolution_note = models.CharField(_("note to the customers"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "-id"], name="problem_state_recent")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class FeedbackReport(models.Model):
    """What one customer reported, through one channel."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="feedback_reports"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=ReportChannel.choices)
    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    title = models.CharField(_("title"), max_length=200)
    steps = models.TextField(_("steps to reproduce"), max_length=4000, blank=True)
    device = models.CharField(_("device"), max_length=100, blank=True)
    app_version = models.CharField(_("version"), max_length=40, blank=True)
    # The sending system's id of a report posted to the webhook: the same id again is one report.
    source_id = models.CharField(_("source id"), max_length=64, blank=True)
    problem = models.ForeignKey(
        Problem, on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("feedback report")
        verbose_name_plural = _("feedback reports")
        ordering = ["-id"]
        indexes = [models.Index(fields=["problem", "id"], name="report_problem")]
        constraints = [
            models.UniqueConstraint(
                fields=["source_id"], condition=~models.Q(source_id=""), name="report_source_once"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Screenshot(models.Model):
    report = models.ForeignKey(FeedbackReport, on_delete=models.CASCADE, related_name="screenshots")
    file = models.FileField(upload_to="feedback/", max_length=200)
    name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class NoticeOutcome(models.TextChoices):
    CHAT = "chat", _("Told in the chat")
    SMS = "sms", _("Told by SMS")
    EMAIL = "email", _("Told by e-mail")
    TIMELINE = "timeline", _("On the timeline only")  # no way to reach them


class ReporterNotice(models.Model):
    """That one reporter was told of one state of the problem: at most once (the unique pair)."""

    report = models.ForeignKey(FeedbackReport, on_delete=models.CASCADE, related_name="notices")
    state = models.CharField(max_length=12, choices=ProblemState.choices)
    outcome = models.CharField(max_length=10, choices=NoticeOutcome.choices)
    detail = models.CharField(max_length=300, blank=True)
    told_at = models.DateTimeField(auto_now_add=True)
    # Recorded (with its timeline entry and queued SMS) but not yet handed to the chat, the SMS
    # provider or the mail server: the batch's sending step takes it once (services.send_notices).
    pending = models.BooleanField(default=False)
    sms = models.ForeignKey(
        "sms.SmsMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "state"], name="notice_once_per_state")
        ]

    def __str__(self) -> str:
        return f"{self.report_id} {self.state}"
