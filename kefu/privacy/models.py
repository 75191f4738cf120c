"""Personal-data rights (PIPL 个人信息保护法): copies of a customer's data, erasure requests and
retention rules. What each app holds is declared in its personal_data.py (kefu/core/personal_data.py)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DataExport(models.Model):
    """A copy of everything held about one customer (a zip), for the staff member who asked."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    customer_label = models.CharField(_("customer"), max_length=80)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    file_name = models.CharField(max_length=100, blank=True)  # under DATA_DIR/privacy/
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    downloaded_at = models.DateTimeField(_("downloaded at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal data copy")
        verbose_name_plural = _("personal data copies")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer_label}"


class ErasureState(models.TextChoices):
    WAITING = "waiting", _("Waiting")  # blocked (an open complaint); done when it clears
    DONE = "done", _("Done")  # personal data erased everywhere
    CANCELLED = "cancelled", _("Cancelled")  # withdrawn while waiting


class ErasureRequest(models.Model):
    """A customer's deletion request: personal data removed or pseudonymised in every app, the
    statistics (counts, states, times, durations) kept."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    customer_label = models.CharField(_("customer"), max_length=80)  # pseudonymised when done
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200)
    state = models.CharField(
        _("state"), max_length=10, choices=ErasureState.choices, default=ErasureState.WAITING
    )
    blocked_reason = models.CharField(_("waiting for"), max_length=500, blank=True)
    counts = models.JSONField(_("what was erased"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "id"], name="erasure_state")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer_label}"


class RetentionRule(models.Model):
    """Keep data of one kind (kefu.core.personal_data.retention_kinds) this many days."""

    kind = models.CharField(_("data kind"), max_length=40, unique=True)
    days = models.PositiveIntegerField(_("keep for (days)"))
    enabled = models.BooleanField(_("purge automatically"), default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    last_run_at = models.DateTimeField(_("last purged at"), null=True, blank=True)
    last_purged = models.PositiveIntegerField(_("last purged"), default=0)

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.kind} {self.days}"
