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
    DISPATCH = "dispatch", _("Finished work order")
    SURVEY = "survey", _("Low survey score")


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
    work_order = models.ForeignKey(
        "dispatch.WorkOrder",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("work order"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The deadline alerts (sweep_visit_deadlines): each told once.
    due_soon_warned_at = models.DateTimeField(null=True, blank=True)
    overdue_warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("return visit")
        verbose_name_plural = _("return visits")
        ordering = ["scheduled_at", "id"]
        indexes = [
            # the agent's list in its order (id breaks the ties of a plan's one start time: on
            # PostgreSQL the page is read from the index, not sorted) and the overdue count
            models.Index(
                fields=["assignee", "state", "scheduled_at", "id"], name="visit_assignee_list"
            ),
            models.Index(fields=["assignee", "state", "due_at"], name="visit_assignee_due"),
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


# --- satisfaction surveys 满意度调查 ------------------------------------------------------------------


class SurveyTrigger(models.TextChoices):
    TICKET = "ticket", _("After a ticket is closed")
    CONVERSATION = "conversation", _("After a chat is closed")
    VISIT = "visit", _("After a return visit")
    MANUAL = "manual", _("Sent by hand")


class SurveyChannel(models.TextChoices):
    SMS = "sms", _("SMS link")
    WIDGET = "widget", _("In the chat widget")
    EMAIL = "email", _("E-mail link")


class FollowUp(models.TextChoices):
    VISIT = "visit", _("A return visit")
    NOTIFY = "notify", _("A notice to the supervisors")


class Survey(models.Model):
    """A survey form 满意度调查表: its questions, when it is sent and what a low score sets off."""

    title = models.CharField(_("title"), max_length=100)
    intro = models.CharField(_("introduction"), max_length=300, blank=True)
    trigger = models.CharField(
        _("sent"), max_length=12, choices=SurveyTrigger.choices, default=SurveyTrigger.MANUAL
    )
    channel = models.CharField(
        _("channel"), max_length=8, choices=SurveyChannel.choices, default=SurveyChannel.SMS
    )
    valid_days = models.PositiveSmallIntegerField(_("link valid for days"), default=7)
    low_score = models.PositiveSmallIntegerField(
        _("low score"), default=2, help_text=_("A score at or below this sets off the follow-up.")
    )
    follow_up = models.CharField(
        _("follow-up of a low score"),
        max_length=8,
        choices=FollowUp.choices,
        default=FollowUp.VISIT,
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    SCORE = "score", _("Score 1–5")  # CSAT: the answer's `score`, the low-score follow-up
    NPS = "nps", _("Recommendation 0–10 (NPS)")  # 9–10 promoters, 0–6 detractors
    CHOICE = "choice", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")  # stored as the list of the answers ticked
    TEXT = "text", _("Free text")


class SurveyQuestion(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=200)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["survey", "position", "id"]

    def __str__(self) -> str:
        return self.text


class SurveyInvitation(models.Model):
    """One customer asked once (a signed, expiring link); answered at most once."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    # Who served the customer (the answer counts for them and their team).
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("after"), max_length=12, choices=SurveyTrigger.choices)
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=SurveyChannel.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("valid until"))
    sms_id = models.PositiveBigIntegerField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)  # the link went by e-mail
    send_error = models.CharField(max_length=300, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-id"]
        constraints = [
            # One invitation per closed ticket, chat or visit, however often the event arrives.
            models.UniqueConstraint(
                fields=["survey", "source", "source_id"],
                name="survey_once_per_source",
                condition=models.Q(source_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class SurveyAnswer(models.Model):
    """What the customer answered: `score` is the first score question's (1–5) for the results;
    `answers` maps each question's id (as text) to its value."""

    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.CASCADE, related_name="answer"
    )
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    answers = models.JSONField(_("answers"), default=dict)
    answered_at = models.DateTimeField(_("answered at"), db_index=True)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-answered_at"]

    def __str__(self) -> str:
        return f"{self.invitation_id}: {self.score}"


# --- customer care 客户关怀 ---------------------------------------------------------------------------


class CareKind(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday")
    HOLIDAY = "holiday", _("Holiday")
    AFTER_PURCHASE = "after_purchase", _("After a purchase")
    EVENT = "event", _("Event care")  # 活动关怀: a member day, an opening; needs marketing consent
    PROMOTION = "promotion", _("Promotion care")  # 促销关怀: a sale; needs marketing consent


class CareState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")  # waits for its time (never in quiet hours)
    SENT = "sent", _("Sent")  # the SMS provider took it
    FAILED = "failed", _("Failed")  # the provider refused it; see the reason
    SKIPPED = (
        "skipped",
        _("Not sent"),
    )  # no consent (or withdrawn), no mobile or address; see the reason


class CareMessage(models.Model):
    """One care SMS 关怀短信 to one customer, sent through kefu/sms at `scheduled_at`."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="care_messages"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CareKind.choices)
    template_code = models.CharField(_("SMS template"), max_length=40)
    # SMS to the mobile, or the same template's text by e-mail (no mobile, or chosen)
    channel = models.CharField(
        _("channel"), max_length=8, choices=VisitChannel.choices, default=VisitChannel.SMS
    )
    params = models.JSONField(default=dict, blank=True)
    scheduled_at = models.DateTimeField(_("send at"))
    state = models.CharField(
        _("state"), max_length=10, choices=CareState.choices, default=CareState.SCHEDULED
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    sms_id = models.PositiveBigIntegerField(null=True, blank=True)
    # The day it is for (a birthday, a holiday): one message per customer, kind and day.
    occasion = models.DateField(_("occasion"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("care message")
        verbose_name_plural = _("care messages")
        ordering = ["-scheduled_at", "-id"]
        indexes = [models.Index(fields=["state", "scheduled_at"], name="care_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "occasion"], name="care_once_per_occasion"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_id}"
