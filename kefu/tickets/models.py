"""Tickets 工单 and complaint forms 客诉单: categories, numbering, notes, time limits, routing, breaches.

Only services in kefu/tickets/services/ write these rows (states.py holds the transition tables).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.querysets import EarliestOf
from kefu.core.satisfaction import Satisfaction, satisfaction_check
from kefu.core.search.documents import SearchDocument
from kefu.tickets.states import Priority, TicketState, TicketType, Validity


class TicketCategory(models.Model):
    """客诉分类: a tree managed by managers. A category that tickets use is deactivated, never deleted
    (tickets hold it with PROTECT)."""

    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="ticket_category_unique_name_in_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def lineage(self) -> list["TicketCategory"]:
        """This category, then its parent, up to the root (a cycle stops the walk)."""
        chain: list[TicketCategory] = []
        seen: set[int] = set()
        node: TicketCategory | None = self
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WEB_CHAT = "web_chat", _("Web chat")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    SHOP = "shop", _("Online shop")
    COUNTER = "counter", _("Service counter")
    API = "api", _("API")
    OTHER = "other", _("Other")


class TicketNumberCounter(models.Model):
    """The last number given out on one Asia/Shanghai day; incremented under the row lock."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


def running_due() -> EarliestOf:
    """The deadline of a ticket's running time limit: the earliest of the first response's (until
    answered), the stage's, the resolution's and the return visit's (until made). The about-to-breach
    list is read in this order over the index ticket_open_running_due (Ticket.Meta); a query must
    use this same expression for the index to serve it."""
    return EarliestOf(
        models.Case(
            models.When(first_responded_at__isnull=True, then=models.F("first_response_due_at"))
        ),
        models.F("stage_due_at"),
        models.F("resolve_due_at"),
        models.Case(
            models.When(return_visited_at__isnull=True, then=models.F("return_visit_due_at"))
        ),
    )


class Ticket(models.Model):
    """A piece of work with a type and a state. A complaint's 客诉单 fields live on it too."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    type = models.CharField(_("type"), max_length=20, choices=TicketType.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=TicketState.choices, default=TicketState.RECEIVED
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("customer"),
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.OTHER
    )
    category = models.ForeignKey(
        TicketCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("category"),
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    subject = models.CharField(_("subject"), max_length=200)
    content = models.TextField(_("content"), blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("responsible department"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    # 处理人: who in the responsible department handles a routed complaint (picked when it is routed;
    # the department's staff may take it, a supervisor may give it to another of them).
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_tickets",
        verbose_name=_("handler"),
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="watched_tickets",
        verbose_name=_("watchers"),
    )

    # Time limits 客诉处理时限标准, in working time from the policy that applied (services/sla.py).
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    stage_started_at = models.DateTimeField(_("stage started at"), null=True, blank=True)
    stage_due_at = models.DateTimeField(_("stage due"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)

    # Short flow.
    answer = models.TextField(_("answer"), blank=True)

    # The complaint form 客诉单 and the loop's records.
    restatement = models.TextField(_("restatement confirmed with the customer"), blank=True)
    complainant = models.CharField(_("complainant"), max_length=60, blank=True)
    complained_at = models.DateTimeField(_("complaint time"), null=True, blank=True)
    validity = models.CharField(
        _("validity"),
        max_length=10,
        choices=Validity.choices,
        blank=True,
        default=Validity.UNJUDGED,
    )
    invalid_reason = models.TextField(_("reason it is not valid"), blank=True)
    reply_to_customer = models.TextField(_("reply to the customer"), blank=True)
    cause = models.TextField(_("cause"), blank=True)
    resolution_plan = models.TextField(_("resolution plan"), blank=True)
    plan_return_reason = models.TextField(_("reason the plan was sent back"), blank=True)
    plan_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("plan decided by"),
    )
    plan_decided_at = models.DateTimeField(_("plan decided at"), null=True, blank=True)
    carried_out_at = models.DateTimeField(_("carried out at"), null=True, blank=True)
    carried_out_note = models.TextField(_("what was done"), blank=True)
    return_visit_outcome = models.TextField(_("return visit outcome"), blank=True)
    # The one scale of every channel (kefu.core.satisfaction): 1 非常不满意 … 5 非常满意; null
    # until the return visit asked.
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), null=True, blank=True, choices=Satisfaction.choices
    )
    # 三天之内回访: set when the plan is carried out, three working days later (services/sla.py).
    return_visit_due_at = models.DateTimeField(_("return visit due"), null=True, blank=True)
    return_visited_at = models.DateTimeField(_("return visited at"), null=True, blank=True)
    return_visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("return visited by"),
    )

    # 总结评价: on closing a valid complaint, the case's summary evaluation and what resolving it cost.
    summary_evaluation = models.TextField(_("summary evaluation"), blank=True)
    resolution_cost = models.DecimalField(
        _("cost of the resolution (yuan)"), max_digits=11, decimal_places=2, null=True, blank=True
    )

    # 超时, as the statistics count it: when the sweep first recorded a breach of any of the ticket's
    # limits, and of the return-visit limit (services/sla.py keeps them with the SlaAlert rows).
    first_breach_at = models.DateTimeField(_("first time limit breached at"), null=True, blank=True)
    return_visit_breach_at = models.DateTimeField(
        _("return visit limit breached at"), null=True, blank=True
    )

    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merged into"),
    )
    # Optimistic concurrency: every change adds one; a service given an older version refuses.
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "-id"], name="ticket_state_recent"),
            models.Index(fields=["assignee", "state", "-id"], name="ticket_assignee_recent"),
            models.Index(fields=["department", "state", "-id"], name="ticket_department_recent"),
            # Which of a search's matching ids a department's staff may see (department_id = … AND
            # id IN (…)): a probe per id. On the department alone PostgreSQL read all its index
            # entries for every batch of ids (bench/README.md: 14–16 ms a batch at 1,000,000).
            models.Index(fields=["department", "id"], name="ticket_department_ids"),
            models.Index(fields=["customer", "-id"], name="ticket_customer_recent"),
            # Closed in a period: the live board's "closed today" and the business and workload
            # figures (kefu/tickets/report_figures.py) read a range of these; without it both
            # databases scanned every ticket (bench/reports: 357 ms of the board at 1,000,000).
            models.Index(fields=["closed_at"], name="ticket_closed_at"),
            # Deadlines of open tickets only (closed ones keep theirs for the statistics): the about-to-
            # breach figures and lists and the deadline sweep read these, never the closed majority.
            models.Index(
                fields=["first_response_due_at"],
                condition=models.Q(first_responded_at__isnull=True)
                & ~models.Q(state=TicketState.CLOSED),
                name="ticket_open_first_due",
            ),
            models.Index(
                fields=["stage_due_at"],
                condition=~models.Q(state=TicketState.CLOSED),
                name="ticket_open_stage_due",
            ),
            models.Index(
                fields=["resolve_due_at"],
                condition=~models.Q(state=TicketState.CLOSED),
                name="ticket_open_resolve_due",
            ),
            models.Index(
                fields=["assignee", "resolve_due_at"],
                condition=~models.Q(state=TicketState.CLOSED),
                name="ticket_assignee_open_due",
            ),
            models.Index(fields=["handler", "state", "-id"], name="ticket_handler_recent"),
            # The running deadline of open tickets, then id: the about-to-breach list reads its first
            # page here in deadline order and its figures count up to a cap here, instead of an OR of
            # the four deadline indexes collecting every open ticket near its deadline and sorting
            # them (480 ms at 1,000,000 tickets, bench/README.md).
            models.Index(
                running_due(),
                models.F("id"),
                condition=~models.Q(state=TicketState.CLOSED),
                name="ticket_open_running_due",
            ),
            models.Index(
                fields=["return_visit_due_at"],
                condition=models.Q(return_visited_at__isnull=True)
                & ~models.Q(state=TicketState.CLOSED),
                name="ticket_open_return_visit_due",
            ),
            # A period's return-visit satisfaction (the chat statistics, the agents' KPIs): a range
            # over the visited complaints, not a scan of every ticket (1.6 s at 1,000,000 without).
            models.Index(
                fields=["return_visited_at"],
                condition=models.Q(satisfaction__isnull=False),
                name="ticket_visit_satisfaction_at",
            ),
            # The complaint statistics (投诉分类统计表) read only these columns of a period's
            # complaints: a covering range, not a lookup of each complaint's row (at 1,000,000
            # tickets the year's table and its breakdown by assignee 740 → 210 ms, bench/README.md).
            models.Index(
                fields=[
                    "created_at",
                    "category",
                    "department",
                    "validity",
                    "first_breach_at",
                    "return_visit_breach_at",
                    "resolution_cost",
                    "assignee",
                    "type",
                    "id",
                ],
                condition=models.Q(type=TicketType.COMPLAINT),
                name="ticket_complaint_figures",
            ),
        ]
        constraints = [
            # A valid complaint closes only after its return visit (追踪回访); an invalid one only with its reason.
            models.CheckConstraint(
                condition=~models.Q(
                    type=TicketType.COMPLAINT,
                    state=TicketState.CLOSED,
                    validity=Validity.VALID,
                    return_visited_at__isnull=True,
                ),
                name="ticket_closed_complaint_has_return_visit",
            ),
            models.CheckConstraint(
                condition=~models.Q(validity=Validity.INVALID, invalid_reason=""),
                name="ticket_invalid_complaint_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(resolution_cost__isnull=True) | models.Q(resolution_cost__gte=0),
                name="ticket_resolution_cost_not_negative",
            ),
            satisfaction_check("satisfaction", name="ticket_satisfaction_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.state != TicketState.CLOSED


class TicketSearchDocument(SearchDocument):
    """The ticket's words for search (kefu.core.search; written by kefu/tickets/search.py)."""

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )

    class Meta:
        verbose_name = _("ticket search document")
        verbose_name_plural = _("ticket search documents")


class NoteKind(models.TextChoices):
    INTERNAL = "internal", _("Internal note")  # 内部备注: never shown to the customer
    PROGRESS = "progress", _("Progress note")  # the department reports progress
    INFO_REQUEST = (
        "info_request",
        _("Information request"),
    )  # the department asks the CS side for more


class TicketNote(models.Model):
    """A note on a ticket by the CS side or the responsible department. Never shown to customers."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(
        _("kind"), max_length=20, choices=NoteKind.choices, default=NoteKind.INTERNAL
    )
    body = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket note")
        verbose_name_plural = _("ticket notes")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class SlaPolicy(models.Model):
    """处理时限标准: working minutes allowed for the first response, each stage and the resolution.

    The most specific active policy wins: category and priority, then category alone (walking up
    the category tree), then priority alone, then the default (neither)."""

    name = models.CharField(_("name"), max_length=80)
    category = models.ForeignKey(
        TicketCategory,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("category"),
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("first response (working minutes)"))
    stage_minutes = models.PositiveIntegerField(_("each stage (working minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (working minutes)"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("time limit policy")
        verbose_name_plural = _("time limit policies")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "priority"],
                condition=models.Q(is_active=True),
                name="sla_policy_one_active_per_scope",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    first_response_minutes__gt=0, stage_minutes__gt=0, resolution_minutes__gt=0
                ),
                name="sla_policy_positive_minutes",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """A category's responsible department (managers edit them). Subcategories inherit the rule of
    their nearest ancestor that has one."""

    category = models.OneToOneField(
        TicketCategory,
        on_delete=models.CASCADE,
        related_name="routing_rule",
        verbose_name=_("category"),
    )
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible department"),
    )

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return f"{self.category} → {self.department}"


class SlaClock(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    STAGE = "stage", _("Stage")
    RESOLUTION = "resolution", _("Resolution")
    RETURN_VISIT = "return_visit", _("Return visit")  # 三天之内回访, after the plan is carried out


class SlaLevel(models.TextChoices):
    WARNING = "warning", _("About to breach")  # the deadline is near: the assignee is warned
    BREACH = "breach", _("Breached")  # the deadline passed: escalated to the supervisors


class SlaAlert(models.Model):
    """One warning or breach of one deadline, recorded once (the sweep skips recorded ones).

    Department and assignee are copied at the moment of the breach: the counts per department and
    per agent stay right after the ticket moves on."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_alerts")
    clock = models.CharField(_("time limit"), max_length=20, choices=SlaClock.choices)
    level = models.CharField(_("level"), max_length=10, choices=SlaLevel.choices)
    due_at = models.DateTimeField(_("due"))
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), db_index=True)

    class Meta:
        verbose_name = _("time limit alert")
        verbose_name_plural = _("time limit alerts")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "clock", "level", "due_at"], name="sla_alert_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.clock} {self.level}"


class TicketAttachment(models.Model):
    """An image or document on a ticket, checked on upload (kefu.core.uploads), served only to those
    who may see the ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="tickets/", max_length=200)
    name = models.CharField(_("name"), max_length=120)
    content_type = models.CharField(_("type"), max_length=120)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
