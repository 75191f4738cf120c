"""A large export built in the background, and the file it leaves for its owner to download."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    BUILDING = "building", _("Being built")
    DONE = "done", _("Ready to download")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired and deleted")


class ExportJob(models.Model):
    """One export too large to build while the user waits. Only its creator may see or download it."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    kind = models.CharField(max_length=40)  # registry.ExportKind.name
    filters = models.JSONField(default=dict, blank=True)
    fmt = models.CharField(max_length=4, default="xlsx")
    full_values = models.BooleanField(default=False)  # personal data in full (its own right)
    reason = models.CharField(max_length=200, blank=True)  # why full values were needed
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    revealed_values = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)  # the name the download is offered as
    stored_path = models.CharField(max_length=300, blank=True)  # relative to DATA_DIR, generated
    message = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(
        null=True, blank=True
    )  # the requester's, for the audit

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["created_by", "-id"], name="exports_job_owner_idx")]

    def __str__(self) -> str:
        return self.file_name or f"export {self.pk}"
