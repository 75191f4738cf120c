"""Quality and performance 质检/绩效: for now the monthly reward/penalty sheet 奖罚评分表 (seed 002: the
department supervisor drafts it for each agent and hands it to a superior for approval before payday)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class SheetState(models.TextChoices):
    DRAFT = "draft", _("Draft")  # the supervisor is still writing it
    SUBMITTED = "submitted", _("Waiting for approval")  # handed to a manager
    RETURNED = "returned", _("Returned")  # the manager sent it back with a reason; editable again
    APPROVED = "approved", _("Approved")  # final: locked, counts for pay


class RewardPenaltySheet(models.Model):
    """One agent's reward/penalty points for one month. Editable while draft or returned."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reward_penalty_sheets",
        verbose_name=_("agent"),
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    state = models.CharField(
        _("state"), max_length=12, choices=SheetState.choices, default=SheetState.DRAFT
    )
    # Empty for a sheet drafted from the rules (services/sheet_rules.py) until a person first
    # changes or submits it: they become its drafter (who may then not approve it).
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The version the rules last wrote; while `version` equals it nobody has touched the sheet and
    # drafting from the rules again refreshes it.
    generated_version = models.PositiveIntegerField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("reason"), max_length=300, blank=True)
    # the amount of a point when the sheet was approved (fen): later changes leave it as paid
    fen_per_point = models.PositiveIntegerField(_("amount per point (fen)"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reward/penalty sheet")
        verbose_name_plural = _("reward/penalty sheets")
        ordering = ["-month", "agent_id"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "month"], name="sheet_once_per_agent_month")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.agent}"

    @property
    def total(self) -> int:
        return sum(item.points for item in self.items.all())


class RuleKind(models.TextChoices):
    """What a reward/penalty rule 奖罚规则 counts in the agent's month (services/sheet_rules.py)."""

    COMPLAINT = "complaint", _("Each complaint upheld against the agent")  # 投诉成立 (AgentRecord)
    SEVERE = "severe", _("Each chat with a forbidden word")  # 服务禁语
    TIME_LIMIT = "time_limit", _("Each ticket closed after a time limit was breached")  # 超时
    QUALITY_BELOW = "quality_below", _("Quality score below the threshold")  # 质检不达标
    QUALITY_AT_LEAST = "quality_at_least", _("Quality score at or above the threshold")
    GOOD_RATING = "good_rating", _("Each chat the customer rated 5 (very satisfied)")  # 好评
    PRAISE = "praise", _("Each praise from a customer on record")  # 表扬 (AgentRecord)
    LATE = "late", _("Each shift started late")  # 迟到
    ABSENT = "absent", _("Each shift missed")  # 缺勤


class RewardRule(models.Model):
    """A manager's rule: `points` for each occurrence of its kind in the month (or once, for the
    threshold kinds). The month's draft sheets are built from the active rules."""

    kind = models.CharField(_("rule"), max_length=20, choices=RuleKind.choices, unique=True)
    points = models.SmallIntegerField(_("points"))
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reward/penalty rule")
        verbose_name_plural = _("reward/penalty rules")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.get_kind_display()


class RecordKind(models.TextChoices):
    PRAISE = "praise", _("Praise from a customer")  # 表扬
    COMPLAINT_UPHELD = "complaint_upheld", _("Complaint upheld")  # 投诉成立


class PraiseSource(models.TextChoices):
    """Where the customer's praise came from."""

    LETTER = "letter", _("Letter or pennant")  # 表扬信、锦旗
    PHONE = "phone", _("Phone call")
    CHAT = "chat", _("Chat or e-mail")
    SURVEY = "survey", _("Survey or return visit")
    OTHER = "other", _("Other")


class AgentRecord(models.Model):
    """A supervisor's record naming an agent: a customer's praise 表扬 (their words, where they came
    from, the chat it was about) or a complaint upheld against the agent 投诉成立 (a complaint ticket
    judged valid; seed 001: 判定客户投诉的理由是否充分). A survey answered with a top score and the
    customer's words makes a praise record by itself (services/records.record_survey_praise).
    Counted in the month it was recorded by the KPIs and the reward/penalty rules
    (services/sheet_rules.py)."""

    kind = models.CharField(_("record"), max_length=20, choices=RecordKind.choices)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("agent"),
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("complaint"),
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chat"),
    )
    source = models.CharField(_("from"), max_length=10, choices=PraiseSource.choices, blank=True)
    words = models.CharField(_("what was said"), max_length=500)
    # empty: recorded by kefu itself, from a survey answer (`survey_answer`)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    # the survey answer the praise came from (a top score with the customer's words): once per answer
    survey_answer = models.OneToOneField(
        "visits.SurveyAnswer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("survey answer"),
    )

    class Meta:
        verbose_name = _("praise or upheld complaint")
        verbose_name_plural = _("praise and upheld complaints")
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["agent", "recorded_at"], name="agent_record_agent_at"),
            models.Index(fields=["-recorded_at", "-id"], name="agent_record_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "agent"],
                condition=models.Q(kind="complaint_upheld"),
                name="complaint_upheld_once_per_agent",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="praise") | models.Q(ticket__isnull=False),
                name="complaint_upheld_names_its_ticket",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.agent_id}"


class SheetItem(models.Model):
    """One reason for points: positive for a reward (表扬、好评), negative for a penalty (差错、投诉).
    A line drafted from a rule keeps the rule and the points it gave (`rule_points`): when the
    supervisor adjusts it, both the rule's and the final points show."""

    sheet = models.ForeignKey(RewardPenaltySheet, on_delete=models.CASCADE, related_name="items")
    points = models.SmallIntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=200)
    rule = models.CharField(_("rule"), max_length=20, choices=RuleKind.choices, blank=True)
    rule_points = models.SmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.points:+d} {self.reason}"


# ---- Quality inspection 质检 -------------------------------------------------------------------


class CheckKind(models.TextChoices):
    """What one scoring item of the rubric 质检标准 checks (seed 002 第四篇: 开头语、结束语、道歉语固定)."""

    GREETING = "greeting", _("Required greeting")  # 开头语
    CLOSING = "closing", _("Required closing")  # 结束语
    APOLOGY = "apology", _("Apology when the customer complains")  # 道歉语
    FORBIDDEN = "forbidden", _("Forbidden words and phrases")  # 服务禁语、违规承诺
    FILLER = "filler", _("Filler words used sparingly")  # 啊、恩、噢、行 少用
    FIRST_RESPONSE = "first_response", _("First response time")  # 首次响应
    RESPONSE_TIME = "response_time", _("Response time")  # 每次响应
    PRESALES_FLOW = "presales_flow", _("Pre-sales flow followed")  # 售前服务流程
    RESOLUTION = "resolution", _("Resolution")  # 问题解决


class RubricItem(models.Model):
    """One scoring item of the rubric 质检标准. The weights of the active items sum to 100; a
    conversation loses an item's weight when the item's check finds a fault."""

    kind = models.CharField(_("check"), max_length=16, choices=CheckKind.choices)
    label = models.CharField(_("name"), max_length=80)
    weight = models.PositiveSmallIntegerField(_("weight"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # The phrase list managers edit, one phrase a line: what must be said (greeting, closing,
    # apology) or must not (forbidden, filler).
    phrases = models.TextField(_("phrases"), blank=True, max_length=4000)
    # For the apology: what the customer writes when complaining (投诉、差评…).
    triggers = models.TextField(_("customer's complaint phrases"), blank=True, max_length=4000)
    # Seconds for response times; times allowed for filler words.
    limit = models.PositiveIntegerField(_("limit"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("scoring item")
        verbose_name_plural = _("scoring items")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def is_severe(self) -> bool:
        """A forbidden word alerts the supervisor at once."""
        return self.kind == CheckKind.FORBIDDEN

    def phrase_list(self) -> list[str]:
        return [p.strip() for p in self.phrases.splitlines() if p.strip()]

    def trigger_list(self) -> list[str]:
        return [p.strip() for p in self.triggers.splitlines() if p.strip()]


class Inspection(models.Model):
    """The automatic check of one closed conversation: its score out of 100 and its findings."""

    conversation = models.OneToOneField(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="inspection",
        verbose_name=_("conversation"),
    )
    # A telephony call, checked by its notes (then `conversation` is empty; one of the two is set).
    call = models.OneToOneField(
        "telephony.Call",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="inspection",
        verbose_name=_("call"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    channel = models.CharField(_("channel"), max_length=10)
    score = models.PositiveSmallIntegerField(_("automatic score"))
    severe = models.BooleanField(_("severe finding"), default=False)
    # The customer complained (the apology item's complaint phrases): counted in the KPIs 投诉.
    complained = models.BooleanField(_("the customer complained"), default=False)
    closed_at = models.DateTimeField(_("closed at"))
    checked_at = models.DateTimeField(_("checked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("quality check")
        verbose_name_plural = _("quality checks")
        ordering = ["-closed_at", "-id"]
        indexes = [
            models.Index(fields=["agent", "closed_at"], name="inspection_agent_closed"),
            models.Index(fields=["-closed_at", "-id"], name="inspection_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(conversation__isnull=False, call__isnull=True)
                | models.Q(conversation__isnull=True, call__isnull=False),
                name="inspection_of_a_chat_or_a_call",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.conversation_id or self.call_id} {self.score}"

    @property
    def subject_label(self) -> str:
        """「会话 #12」 or 「通话 #7」: what was checked."""
        if self.call_id:
            return _("call #%(id)s") % {"id": self.call_id}
        return _("chat #%(id)s") % {"id": self.conversation_id}


class PendingCheck(models.Model):
    """A closed conversation waiting for its automatic check: marked when it closes
    (subscribers.queue_closed), checked in batches by the worker (services.checks.check_queued)
    and then removed."""

    conversation = models.OneToOneField(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    queued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("conversation waiting for its check")
        verbose_name_plural = _("conversations waiting for their check")
        ordering = ["queued_at", "conversation_id"]

    def __str__(self) -> str:
        return f"#{self.conversation_id}"


class Finding(models.Model):
    """One fault found in a conversation, pointing at the message it is about (none when something
    was missing from the whole conversation and no message stands for it)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    item = models.ForeignKey(
        RubricItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("check"), max_length=16, choices=CheckKind.choices)
    label = models.CharField(_("scoring item"), max_length=80)
    message = models.ForeignKey(
        "conversations.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("message"),
    )
    matched = models.CharField(_("words found"), max_length=80, blank=True)
    detail = models.CharField(_("finding"), max_length=200)
    points = models.PositiveSmallIntegerField(_("points lost"))
    severe = models.BooleanField(_("severe"), default=False)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.detail


class SampleReason(models.TextChoices):
    RANDOM = "random", _("Random sample")
    COMPLAINT = "complaint", _("The customer complained")
    LOW_RATING = "low_rating", _("Low rating")
    NEW_AGENT = "new_agent", _("New agent's first week")
    SEVERE = "severe", _("Severe finding")
    MANUAL = "manual", _("Chosen by an inspector")


class ReviewState(models.TextChoices):
    PENDING = "pending", _("Waiting for review")  # sampled, nobody has scored it yet
    DONE = "done", _("Reviewed")  # scored; the agent sees it and may appeal within N days
    APPEALED = "appealed", _("Appealed")  # the agent disagrees; a supervisor decides
    DECIDED = "decided", _("Appeal decided")  # final


class Review(models.Model):
    """The manual review 人工复核 of a sampled conversation, and the agent's one appeal."""

    inspection = models.OneToOneField(Inspection, on_delete=models.CASCADE, related_name="review")
    reason = models.CharField(_("sampled because"), max_length=12, choices=SampleReason.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=ReviewState.choices, default=ReviewState.PENDING
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    item_points = models.JSONField(default=dict, blank=True)  # rubric item id → points given
    score = models.PositiveSmallIntegerField(_("review score"), null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    appeal_reason = models.CharField(_("appeal"), max_length=500, blank=True)
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision"), max_length=500, blank=True)
    final_score = models.PositiveSmallIntegerField(_("final score"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "-created_at"], name="review_queue")]

    def __str__(self) -> str:
        return f"#{self.inspection_id} {self.state}"


class QualitySettings(models.Model):
    """The sampling rules, the appeal period and whether the leaderboard 评比 is on: one row."""

    random_percent = models.PositiveSmallIntegerField(
        _("random sample (%)"), default=5, validators=[MaxValueValidator(100)]
    )
    sample_complaints = models.BooleanField(_("every complaint"), default=True)
    sample_low_ratings = models.BooleanField(_("every low rating"), default=True)
    low_rating_max = models.PositiveSmallIntegerField(
        _("low rating: at most"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    new_agent_days = models.PositiveSmallIntegerField(
        _("every chat of a new agent for (days)"), default=7, validators=[MaxValueValidator(90)]
    )
    sample_severe = models.BooleanField(_("every severe finding"), default=True)
    appeal_days = models.PositiveSmallIntegerField(
        _("appeal within (days)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    leaderboard_on = models.BooleanField(_("leaderboard 评比 switched on"), default=False)
    fen_per_point = models.PositiveIntegerField(  # 奖罚: one point of the sheet is this much money
        _("amount per point (fen)"), default=1000, validators=[MaxValueValidator(1_000_000)]
    )
    # 发工资: the reward/penalty sheets are drafted from the rules the day before (seed 002).
    payday = models.PositiveSmallIntegerField(
        _("payday (day of the month)"),
        default=10,
        validators=[MinValueValidator(2), MaxValueValidator(28)],
    )

    class Meta:
        verbose_name = _("quality settings")
        verbose_name_plural = _("quality settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


# ---- KPIs and the monthly performance sheet 绩效考核表 ----------------------------------------------


class Indicator(models.TextChoices):
    """The indicators of an agent's month, computed from the facts already recorded (kpi.py)."""

    FIRST_RESPONSE = "first_response", _("First response time")  # 首次响应时间 (seconds)
    HANDLED = "handled", _("Chats, tickets and calls handled")  # 处理量
    TIME_LIMITS = "time_limits", _("Tickets closed within the time limit")  # 时限达成率 (%)
    SATISFACTION = "satisfaction", _("Satisfaction")  # 满意度 (1–5)
    QUALITY = "quality", _("Quality score")  # 质检得分 (0–100)
    COMPLAINTS = (
        "complaints",
        _("Complaints upheld"),
    )  # 投诉: upheld against the agent (AgentRecord)
    ATTENDANCE = (
        "attendance",
        _("Shifts kept"),
    )  # 出勤: shifts without lateness, absence or leaving early (%)


class KpiTarget(models.Model):
    """A manager's target and weight for one indicator; the active weights add up to 100."""

    indicator = models.CharField(
        _("indicator"), max_length=16, choices=Indicator.choices, unique=True
    )
    target = models.FloatField(_("target"))
    weight = models.PositiveSmallIntegerField(_("weight"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.get_indicator_display()


class PerformanceState(models.TextChoices):
    DRAFT = "draft", _("Draft")  # computed; refreshed from the facts until signed
    SIGNED = "signed", _("Signed by the supervisor")  # locked; the agent sees it
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the agent")  # final


class PerformanceSheet(models.Model):
    """One agent's performance sheet 绩效考核表 for one month: each indicator against its target,
    the weighted score, the supervisor's signature and the agent's acknowledgement."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="performance_sheets",
        verbose_name=_("agent"),
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    state = models.CharField(
        _("state"), max_length=12, choices=PerformanceState.choices, default=PerformanceState.DRAFT
    )
    # [{"indicator", "value", "target", "weight", "achievement", "points", "detail"}]
    figures = models.JSONField(default=list, blank=True)
    # the sums behind the month's measures (kpi.SUMS: chats, days worked, response total, …); the
    # measures (per day, averages, resolution rate, visits, praise) are derived from them
    measures = models.JSONField(default=dict, blank=True)
    score = models.FloatField(_("score"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed by"),
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    comment = models.CharField(_("supervisor's comment"), max_length=300, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    # A manager's adjustment 调整 of the computed score (points added, may be negative), with the
    # reason; the final score is the score plus it, kept within 0–100. Audited.
    adjustment = models.FloatField(_("adjustment"), default=0)
    adjustment_reason = models.CharField(_("reason for the adjustment"), max_length=300, blank=True)
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("adjusted by"),
    )
    # A superior's approval (Perm.APPROVE_SHEETS) of the signed sheet: from then on it is locked,
    # nothing on it changes (the figure handed to payroll).
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("performance sheet")
        verbose_name_plural = _("performance sheets")
        ordering = ["-month", "agent_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "month"], name="performance_once_per_agent_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.agent}"

    @property
    def final_score(self) -> float | None:
        """The score with the manager's adjustment, within 0–100 (None: no data to score)."""
        if self.score is None:
            return None
        return round(max(0.0, min(100.0, self.score + self.adjustment)), 1)

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


# ---- Rosters 排班/值班 -------------------------------------------------------------------------


class Shift(models.Model):
    """A kind of shift 班次: 早班, 中班, 晚班 or a custom one. An end not after the start runs past
    midnight (a night shift 22:00–06:00)."""

    name = models.CharField(_("name"), max_length=30, unique=True)
    start = models.TimeField(_("starts at"))
    end = models.TimeField(_("ends at"))
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["position", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(start=models.F("end")), name="shift_not_empty"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def overnight(self) -> bool:
        return self.end <= self.start


class RosterEntry(models.Model):
    """One agent on one shift on one day 值班. An agent's shifts never overlap (services.roster)."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="roster_entries",
        verbose_name=_("agent"),
    )
    day = models.DateField(_("day"))
    shift = models.ForeignKey(
        Shift, on_delete=models.PROTECT, related_name="entries", verbose_name=_("shift")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")
        ordering = ["day", "shift__start", "agent_id"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "day", "shift"], name="roster_once")
        ]
        indexes = [models.Index(fields=["day", "agent"], name="roster_day_agent")]

    def __str__(self) -> str:
        return f"{self.day} {self.shift.name} {self.agent}"


class SwapState(models.TextChoices):
    PENDING = "pending", _("Waiting for the supervisor")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class ShiftSwap(models.Model):
    """An agent asks to swap their shift on a day with a colleague 换班: approved by a supervisor,
    the colleague takes the shift and the agent takes the colleague's shift of that day, if any."""

    entry = models.ForeignKey(
        RosterEntry, on_delete=models.CASCADE, related_name="swaps", verbose_name=_("shift")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("requested by"),
    )
    colleague = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("colleague"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=SwapState.choices, default=SwapState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    class Meta:
        verbose_name = _("shift swap")
        verbose_name_plural = _("shift swaps")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.entry} → {self.colleague}"


class Leave(models.Model):
    """An agent's leave 请假 from one day to another (both included), recorded by a supervisor: on
    those days the agent's rostered shifts do not count — routing gives them no chats and they are
    not on duty (selectors.shift_status, on_duty)."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="leaves",
        verbose_name=_("agent"),
    )
    first_day = models.DateField(_("first day of leave"))
    last_day = models.DateField(_("last day of leave"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("leave")
        verbose_name_plural = _("leaves")
        ordering = ["first_day", "agent_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")), name="leave_not_empty"
            )
        ]
        indexes = [models.Index(fields=["agent", "first_day"], name="leave_agent_day")]

    def __str__(self) -> str:
        return f"{self.agent} {self.first_day}–{self.last_day}"


class PresenceLog(models.Model):
    """An agent's presence from `at` on (online, busy, away, offline), recorded when it changes
    (subscribers.record_presence): the attendance 考勤 against the roster is read from it."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("agent"),
    )
    presence = models.CharField(_("presence"), max_length=10)
    at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("presence change")
        verbose_name_plural = _("presence changes")
        ordering = ["agent_id", "at", "id"]
        indexes = [models.Index(fields=["agent", "at"], name="presence_log_agent_at")]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.presence} {self.at}"
