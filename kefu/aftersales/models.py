"""After-sales cases 售后 on an order: returns, exchanges, refunds only, reissues and quality problems,
moved through `states.CASE_FLOW`. Amounts in fen."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseKind(models.TextChoices):
    RETURN = "return", _("Return and refund")
    EXCHANGE = "exchange", _("Exchange")
    REFUND_ONLY = "refund_only", _("Refund only")
    REISSUE = "reissue", _("Reissue")
    QUALITY = "quality", _("Quality problem")


class CaseState(models.TextChoices):
    OPENED = "opened", _("To review")  # the agent checks the request (and a quality case's photos)
    AWAITING_RETURN = "awaiting_return", _("Awaiting the parcel")  # the buyer sends the goods back
    REFUND_PENDING = "refund_pending", _("Refund to pay")  # finance pays the refund
    REISSUE_PENDING = "reissue_pending", _("To ship again")  # the warehouse ships the replacement
    DONE = "done", _("Done")
    REJECTED = "rejected", _("Rejected")


class AfterSalesCase(models.Model):
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="aftersales_cases"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=CaseKind.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=CaseState.choices, default=CaseState.OPENED
    )
    reason = models.CharField(_("reason"), max_length=500)
    refund_fen = models.BigIntegerField(_("refund (fen)"), default=0)
    photos_reviewed = models.BooleanField(_("photos reviewed"), default=False)
    arbitration = models.BooleanField(_("platform arbitration (小二介入)"), default=False)
    parcel_notes = models.CharField(_("notes found in the parcel"), max_length=500, blank=True)
    return_tracking = models.CharField(_("return tracking number"), max_length=64, blank=True)
    # The finance sheet reads these two: when the refund was handed to finance, when it was paid.
    refund_requested_at = models.DateTimeField(null=True, blank=True, db_index=True)
    refund_paid_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # [{"move": name, "from": state, "to": state, "at": iso, "by": id, "by_name": name, "note": …}]
    log = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("after-sales case")
        verbose_name_plural = _("after-sales cases")
        constraints = [
            models.CheckConstraint(condition=models.Q(refund_fen__gte=0), name="case_refund_gte_0")
        ]
        indexes = [models.Index(fields=["state", "-id"], name="case_state_recent")]

    def __str__(self) -> str:
        return f"#{self.pk}"


class CasePhoto(models.Model):
    case = models.ForeignKey(AfterSalesCase, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="aftersales/")
    name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.name


class ReviewRating(models.TextChoices):
    NEUTRAL = "neutral", _("Neutral review")  # 中评
    NEGATIVE = "negative", _("Negative review")  # 差评


class ReviewState(models.TextChoices):
    OPEN = "open", _("To contact")
    CONTACTED = "contacted", _("Contacted")
    CLOSED = "closed", _("Closed")


class ReviewOutcome(models.TextChoices):
    REVISED = "revised", _("The buyer revised the review")
    EXPLAINED = "explained", _("Explained in a reply")
    REFUSED = "refused", _("The buyer refused")


class Review(models.Model):
    """A neutral or negative review 中差评 (seed 002 第一篇): the contact made and the outcome. No
    money is ever offered for a review; a real problem is settled through an after-sales case."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="reviews")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rating = models.CharField(_("rating"), max_length=10, choices=ReviewRating.choices)
    text = models.CharField(_("review"), max_length=1000)
    reviewed_on = models.DateField(_("reviewed on"))
    state = models.CharField(
        _("state"), max_length=10, choices=ReviewState.choices, default=ReviewState.OPEN
    )
    contact_note = models.CharField(_("contact made"), max_length=500, blank=True)
    contacted_at = models.DateTimeField(_("contacted at"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=ReviewOutcome.choices, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"#{self.pk}"
