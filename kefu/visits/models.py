"""Return visits 回访 (seeds 000, 001, 003): the monthly plan 回访计划 over the customer archive, its
visit tasks spread over the agents, and what each visit found (回访记录表)."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("Draft")  # being written; the selection can be previewed
    SUBMITTED = "submitted", _("Waiting for approval")  # handed to an approver
    RETURNED = "returned", _("Returned")  # sent back with a reason; editable again
    APPROVED = "approved", _("Approved")  # may be issued
    ISSUING = "issuing", _("Issuing")  # visit tasks are being made (progress in issued_count)
    ISSUED = "issued", _("Issued")  # the agents have their tasks
    CLOSED = "closed", _("Closed")  # the period is over or the plan was stopped


class VisitCampaign(models.Model):
    """A visit plan 回访计划: range (rules over the archive), number, content, channel and period."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=100)
    purpose = models.CharField(_("purpose"), max_length=200)
    service_item = models.CharField(
        _("service item"),
        max_length=60,
        blank=True,
        help_text=_("What the customer is asked about, filled into the script."),
    )
    script = models.TextField(_("script"), blank=True)
    channel = models.CharField(
        _("channel"), max_length=10, choices=VisitChannel.choices, default=VisitChannel.PHONE
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    rules = models.JSONField(_("range"), default=dict, blank=True)
    planned_count = models.PositiveIntegerField(
        _("planned number"), default=0, help_text=_("At most this many customers; 0: all selected.")
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("The visits go to this team's agents; empty: every agent."),
    )
    state = models.CharField(
        _("state"), max_length=12, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    selected_count = models.PositiveIntegerField(_("selected"), default=0)
    issued_count = models.PositiveIntegerField(_("issued"), default=0)
    # None: drafted by the scheduler on the 25th (remind_next_month_plan).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("reason"), max_length=300, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")
        ordering = ["-period_start", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class VisitSource(models.TextChoices):
    CAMPAIGN = "campaign", _("Visit plan")
    COMPLAINT = "complaint", _("Closed complaint")
    MANUAL = "manual", _("Added by hand")


class VisitState(models.TextChoices):
    OPEN = "open", _("To visit")  # waiting for the agent
    DONE = "done", _("Visited")  # a record was saved (reached or not)
    CANCELLED = "cancelled", _("Cancelled")


class ReturnVisit(models.Model):
    """One visit task 回访任务: a customer to contact for a plan (or after a complaint closed)."""

    campaign = models.ForeignKey(
        VisitCampaign,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("visit plan"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="return_visits",
        verbose_name=_("customer"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="return_visits",
        verbose_name=_("agent"),
        db_index=False,  # visit_assignee_today (assignee, state, scheduled_at) serves it
    )
    source = models.CharField(
        _("source"), max_length=10, choices=VisitSource.choices, default=VisitSource.CAMPAIGN
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=VisitChannel.choices, default=VisitChannel.PHONE
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=VisitState.choices, default=VisitState.OPEN
    )
    # Not before this moment, and never in the customer's rest time (一个避免).
    scheduled_at = models.DateTimeField(_("visit from"))
    due_at = models.DateTimeField(_("visit by"))
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("return visit")
        verbose_name_plural = _("return visits")
        ordering = ["scheduled_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "state", "scheduled_at"], name="visit_assignee_today"),
            models.Index(fields=["campaign", "state"], name="visit_campaign_state"),
            models.Index(fields=["customer", "-id"], name="visit_customer"),
        ]
        constraints = [
            # A customer is visited once per plan, however often the plan is issued.
            models.UniqueConstraint(
                fields=["campaign", "customer"],
                name="visit_once_per_campaign",
                condition=models.Q(campaign__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer_id}"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")  # 满意
    AVERAGE = "average", _("Average")  # 一般
    DISSATISFIED = "dissatisfied", _("Dissatisfied")  # 不满意


class UnreachedReason(models.TextChoices):
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy, call again")
    WRONG_NUMBER = "wrong_number", _("Wrong or empty number")
    REFUSED = "refused", _("Refused the visit")
    OTHER = "other", _("Other")


class VisitRecord(models.Model):
    """The visit record form 回访记录表: what one visit found."""

    visit = models.OneToOneField(ReturnVisit, on_delete=models.CASCADE, related_name="record")
    reached = models.BooleanField(_("reached"))
    unreached_reason = models.CharField(
        _("why not reached"), max_length=20, choices=UnreachedReason.choices, blank=True
    )
    satisfaction = models.CharField(
        _("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    product_opinion = models.CharField(_("opinion on the product"), max_length=500, blank=True)
    service_opinion = models.CharField(_("opinion on the service"), max_length=500, blank=True)
    suggestions = models.CharField(_("suggestions"), max_length=500, blank=True)
    next_contact_at = models.DateTimeField(_("next contact agreed"), null=True, blank=True)
    call = models.ForeignKey(
        "telephony.Call",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("call"),
    )
    complaint = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("complaint"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), db_index=True)

    class Meta:
        verbose_name = _("visit record")
        verbose_name_plural = _("visit records")
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"{self.visit_id}"


def default_quiet_hours() -> list[list[str]]:
    return [["12:00", "14:00"], ["21:00", "09:00"]]


class VisitRules(models.Model):
    """The rules 一个避免，三个必保, editable by managers: one row (pk 1)."""

    quiet_hours = models.JSONField(
        _("quiet hours"),
        default=default_quiet_hours,
        help_text=_("The customer's rest time: no call or SMS is scheduled in it."),
    )
    member_coverage_percent = models.PositiveSmallIntegerField(
        _("member coverage target %"), default=80
    )
    days_after_complaint = models.PositiveSmallIntegerField(
        _("working days to visit after a complaint closes"), default=3
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("visit rules")
        verbose_name_plural = _("visit rules")

    def __str__(self) -> str:
        return "visit rules"

    def windows(self) -> list[tuple[dt.time, dt.time]]:
        out = []
        for start, end in self.quiet_hours or []:
            out.append((dt.time.fromisoformat(start), dt.time.fromisoformat(end)))
        return out
