"""Work orders 派工单 (seed 000: 服务派工单、外派工作的进度跟踪、派工回访): a technician sent to the
customer, their progress with times, the customer's confirmation and the return visit after it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.satisfaction import Satisfaction, satisfaction_check


class WorkOrderState(models.TextChoices):
    ASSIGNED = (
        "assigned",
        _("Waiting for the technician"),
    )  # given to a technician, not accepted yet
    ACCEPTED = "accepted", _("Accepted")  # the technician took the job
    ON_THE_WAY = "on_the_way", _("On the way")  # the technician set off
    ARRIVED = "arrived", _("Arrived")  # at the customer's address
    DONE = "done", _("Done")  # finished, the customer confirmed; the return visit is due
    FAILED = "failed", _("Not done")  # could not be done this time; to be rescheduled or cancelled
    VISITED = "visited", _("Return visit done")  # final: the customer was asked afterwards
    CANCELLED = "cancelled", _("Cancelled")  # final: no longer needed


OPEN_STATES = (
    WorkOrderState.ASSIGNED,
    WorkOrderState.ACCEPTED,
    WorkOrderState.ON_THE_WAY,
    WorkOrderState.ARRIVED,
    WorkOrderState.FAILED,
)


class Source(models.TextChoices):
    TICKET = "ticket", _("Ticket")
    CALL = "call", _("Call")
    CHAT = "chat", _("Chat")
    DIRECT = "direct", _("Entered directly")


class WorkOrder(models.Model):
    number = models.CharField(_("number"), max_length=24, unique=True)
    state = models.CharField(
        _("state"), max_length=12, choices=WorkOrderState.choices, default=WorkOrderState.ASSIGNED
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="work_orders",
        verbose_name=_("customer"),
    )
    contact_mobile = models.CharField(_("contact mobile"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200)
    area = models.CharField(_("area"), max_length=40, blank=True)
    problem = models.TextField(_("problem"), max_length=2000)
    skills = models.CharField(_("skills needed"), max_length=200, blank=True)
    materials = models.TextField(_("materials"), max_length=1000, blank=True)
    appointment_start = models.DateTimeField(_("appointment from"))
    appointment_end = models.DateTimeField(_("appointment until"))
    # Limits on the business calendar: arrival by the window's end, completion some working hours on.
    arrival_due_at = models.DateTimeField(_("arrival due"))
    completion_due_at = models.DateTimeField(_("completion due"))
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="work_orders",
        verbose_name=_("technician"),
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.DIRECT
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("ticket"),
    )
    call = models.ForeignKey(
        "telephony.Call",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("call"),
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chat"),
    )

    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    departed_at = models.DateTimeField(_("set off at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("done at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("not done at"), null=True, blank=True)
    failure_reason = models.CharField(_("why it was not done"), max_length=300, blank=True)
    reschedule_count = models.PositiveSmallIntegerField(_("times rescheduled"), default=0)
    completion_note = models.TextField(_("what was done"), max_length=2000, blank=True)
    materials_used = models.CharField(_("materials used"), max_length=500, blank=True)
    confirmed_by = models.CharField(_("confirmed by (customer)"), max_length=60, blank=True)
    late_arrival_warned_at = models.DateTimeField(null=True, blank=True)
    overdue_warned_at = models.DateTimeField(null=True, blank=True)

    # 派工回访: three working days after completion (until the visits app takes it over).
    visit_due_at = models.DateTimeField(_("return visit due"), null=True, blank=True)
    visited_at = models.DateTimeField(_("return visited at"), null=True, blank=True)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("return visited by"),
    )
    visit_outcome = models.TextField(_("return visit outcome"), max_length=1000, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), null=True, blank=True, choices=Satisfaction.choices
    )

    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    lateness: str  # set by selectors.board: "late", "soon" or ""

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["appointment_start"], name="workorder_appointment"),
            # The board by technician walks the technician's appointments in order with the state
            # in the index: no row read to drop a closed one (as workorder_area_day).
            models.Index(
                fields=["technician", "appointment_start", "state"],
                name="workorder_technician_state",
            ),
            models.Index(fields=["state", "appointment_start"], name="workorder_state_day"),
            # The board by area: the area's day and its older open orders from the index (state
            # in it: no row read to drop a closed one); the area alone made SQLite read every
            # order of the area (≈ 10,000 at 100,000 orders) for each board.
            models.Index(fields=["area", "appointment_start", "state"], name="workorder_area_day"),
            models.Index(fields=["completed_at"], name="workorder_completed"),
        ]
        constraints = [satisfaction_check("satisfaction", name="workorder_satisfaction_1_to_5")]

    def __str__(self) -> str:
        return self.number


class WorkOrderPhoto(models.Model):
    """A photo the technician took on site (checked by core's upload checks: images only)."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="dispatch/", max_length=200)
    name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class AppointmentSms(models.Model):
    """One appointment SMS claimed for one recipient of one assignment (the order's version when it
    was given). The claim is committed before the SMS is sent, so a retried task never sends it
    twice (at most once: a send that dies half-way is not repeated; the order's history says so)."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="+")
    recipient = models.CharField(max_length=12)  # "customer" or "technician"
    assignment = models.PositiveIntegerField()  # WorkOrderAssigned.version
    sms_message_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["work_order", "recipient", "assignment"], name="appointment_sms_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.work_order_id}/{self.recipient}/{self.assignment}"
