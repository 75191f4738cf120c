"""Core records shared by every app: the timeline and the business calendar's own days."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimelineEntry(models.Model):
    """One thing that happened, shown in a history (a customer's, a ticket's).

    Every app writes here through `kefu.core.timeline.record()` in the same transaction as the
    change it describes. `subject` is the object whose history shows the entry; `kind` is a dotted
    name (`tickets.plan_approved`) that pages filter on; `summary` is short, plain text (it is escaped
    when shown); `data` holds the details a page or report needs.
    """

    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    kind = models.CharField(_("kind"), max_length=60)
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    subject_id = models.CharField(max_length=64)
    subject = GenericForeignKey("subject_type", "subject_id")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    summary = models.CharField(_("summary"), max_length=300)
    data = models.JSONField(default=dict, blank=True)
    is_internal = models.BooleanField(
        _("internal"),
        default=False,
        help_text=_("Internal entries are never shown to customers."),
    )
    # The customer whose history shows this entry too (a ticket's step appears in the ticket's and
    # in the customer's timeline). A plain id, not a foreign key, so the core does not depend on
    # the customers app; a merge moves entries by updating it.
    customer_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["subject_type", "subject_id", "-occurred_at"],
                name="timeline_subject_recent",
            ),
            models.Index(fields=["kind", "-occurred_at"], name="timeline_kind_recent"),
            models.Index(fields=["customer_id", "-occurred_at"], name="timeline_customer_recent"),
            # Whom a user has served: the customers an agent may see (customers.selectors).
            models.Index(
                fields=["actor", "customer_id"],
                condition=models.Q(customer_id__isnull=False),
                name="timeline_actor_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.kind}: {self.summary}"


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Day off")  # a statutory holiday or a company rest day
    WORKDAY = "workday", _("Working day")  # an adjusted working day (调休上班), even on a weekend


class CalendarDay(models.Model):
    """A manager's entry that overrides the statutory calendar for one date.

    The `holidays` package knows the announced years and projects later ones by rule; the State
    Council announces each year's schedule late in the year before, so managers enter the real days
    here and they win over the package.
    """

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class KeptTask(models.Model):
    """Background work that could not be queued because Redis was unreachable (scaled mode): kept
    here, in the database that just committed the change it follows, and queued again once Redis
    answers (kefu/core/queue.py). Oldest first."""

    data = models.BinaryField()  # the task as Huey serialises it
    priority = models.IntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"kept task #{self.pk}"
