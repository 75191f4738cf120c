"""Issued reports: the daily, weekly and monthly pack, each stored once as it was issued (figures
with their change against the previous period and their largest groups), so the page, the Excel
file and the printable view show the same document however the data changes later."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PackKind(models.TextChoices):
    DAILY = "daily", _("Daily report")  # 日报: the previous day, ready before 10:00
    WEEKLY = "weekly", _("Weekly report")  # 周报: last Monday to Sunday, ready before Monday 10:00
    MONTHLY = "monthly", _("Monthly report")  # 月报: the previous month, ready before the 5th


class IssuedReport(models.Model):
    kind = models.CharField(_("kind"), max_length=10, choices=PackKind.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))  # inclusive
    issued_at = models.DateTimeField(_("issued at"))
    content = models.JSONField(_("content"), default=list)

    class Meta:
        verbose_name = _("issued report")
        verbose_name_plural = _("issued reports")
        ordering = ["-period_start", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "period_start"], name="issued_report_once"),
        ]
        indexes = [models.Index(fields=["-issued_at"], name="issued_report_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"


class PackRecipient(models.Model):
    """Someone a manager chose to receive the pack (in the app and by e-mail). With nobody chosen,
    every reader of the pack receives it (services.readers)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("recipient"),
    )

    class Meta:
        verbose_name = _("pack recipient")
        verbose_name_plural = _("pack recipients")

    def __str__(self) -> str:
        return str(self.user)


class DailyFact(models.Model):
    """One figure's sums over one whole past local (Asia/Shanghai) day, for the whole figure
    (`dimension` empty) or for one group of one of its own-column dimensions (department, agent,
    category, channel, type …): what the long-period pages read instead of scanning the records
    (kefu/reports/facts.py). `key` is the group's value as text, null for records without one."""

    figure = models.CharField(max_length=40)
    day = models.DateField()
    dimension = models.CharField(max_length=20, blank=True)
    key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001  null: no value
    n = models.BigIntegerField(default=0)  # records (with a value, for an average)
    hit = models.BigIntegerField(default=0)  # records matching a share's condition
    total = models.FloatField(null=True)  # sum of an average's field

    class Meta:
        indexes = [
            models.Index(fields=["figure", "dimension", "day"], name="daily_fact_figure_day"),
        ]

    def __str__(self) -> str:
        return f"{self.figure} {self.day} {self.dimension}={self.key}: {self.n}"


class FactsBuilt(models.Model):
    """A figure whose daily facts were built (rebuild_report_facts) for its definition as it was
    (`signature`), up to the local day `through` (the refresh moves it to the day before
    yesterday): a figure without one, or whose definition changed since, is computed live, and so
    are its days after `through`."""

    figure = models.CharField(max_length=40, unique=True)
    signature = models.CharField(max_length=64)
    built_at = models.DateTimeField()
    through = models.DateField(null=True)

    def __str__(self) -> str:
        return self.figure


class TouchedInstant(models.Model):
    """An instant of a record that was inserted, changed or deleted (written by a database
    trigger on the records' table, so that QuerySet.update() and bulk writes are caught too): its
    local day's facts are out of date until kefu/reports/facts.py re-aggregates that day."""

    id = models.BigAutoField(primary_key=True)
    table = models.CharField(max_length=100)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["table", "at"], name="touched_table_at")]

    def __str__(self) -> str:
        return f"{self.table} {self.at}"
