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


class MoneyLineKind(models.TextChoices):
    POSTAGE = "postage", _("Postage refund")  # 邮费: the buyer's return postage paid back
    COMPENSATION = "compensation", _("Compensation")  # 赔偿: money for the buyer's trouble or loss


class MoneyLineState(models.TextChoices):
    REQUESTED = "requested", _("Awaiting finance approval")  # on the finance sheet
    APPROVED = "approved", _("Approved, to pay")  # finance approved it
    PAID = "paid", _("Paid")  # finance paid it
    DECLINED = "declined", _("Declined")  # finance refused it (reason kept)


class MoneyLine(models.Model):
    """A postage refund or a compensation on an after-sales case (seed 003/004: 邮费、赔偿表交财务):
    asked by the desk, approved (or declined) and paid by finance. Amounts in fen."""

    case = models.ForeignKey(AfterSalesCase, on_delete=models.CASCADE, related_name="money_lines")
    kind = models.CharField(_("kind"), max_length=12, choices=MoneyLineKind.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    reason = models.CharField(_("reason"), max_length=300)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=MoneyLineState.choices,
        default=MoneyLineState.REQUESTED,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decline_reason = models.CharField(_("why declined"), max_length=300, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("money line")
        verbose_name_plural = _("money lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen__gt=0), name="moneyline_amount_gt_0"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class ClaimKind(models.TextChoices):
    LOST = "lost", _("Parcel lost")  # 丢件
    DAMAGED = "damaged", _("Parcel damaged")  # 破损


class ClaimState(models.TextChoices):
    FILED = "filed", _("Filed with the courier")  # the claim is with the courier
    ACCEPTED = "accepted", _("Accepted by the courier")  # the courier agreed an amount
    REJECTED = "rejected", _("Rejected by the courier")  # final; the reason is kept
    SETTLED = "settled", _("Money received")  # final: finance received the courier's payment


class CourierClaim(models.Model):
    """A claim against the courier for a lost or damaged parcel 快递理赔 (seed 003/004: 丢件)."""

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="courier_claims"
    )
    case = models.ForeignKey(
        AfterSalesCase,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="courier_claims",
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ClaimKind.choices)
    courier = models.CharField(_("courier"), max_length=40)
    tracking_number = models.CharField(_("tracking number"), max_length=64)
    description = models.CharField(_("what happened"), max_length=500)
    claimed_fen = models.BigIntegerField(_("amount claimed (fen)"))
    agreed_fen = models.BigIntegerField(_("amount agreed (fen)"), default=0)
    received_fen = models.BigIntegerField(_("amount received (fen)"), default=0)
    state = models.CharField(
        _("state"), max_length=10, choices=ClaimState.choices, default=ClaimState.FILED
    )
    courier_reference = models.CharField(_("courier's reference"), max_length=64, blank=True)
    answer = models.CharField(_("courier's answer"), max_length=300, blank=True)
    # [{"move": name, "from": state, "to": state, "at": iso, "by": id, "by_name": name, "note": …}]
    log = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True, db_index=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("courier claim")
        verbose_name_plural = _("courier claims")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(claimed_fen__gt=0), name="claim_claimed_gt_0"
            ),
            models.CheckConstraint(
                condition=models.Q(agreed_fen__gte=0, received_fen__gte=0),
                name="claim_amounts_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class InvoiceKind(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary VAT invoice")  # 增值税普通发票
    SPECIAL = "special", _("Special VAT invoice")  # 增值税专用发票: a company with its tax number


class InvoiceState(models.TextChoices):
    REQUESTED = "requested", _("To issue")  # finance issues it within the limit
    ISSUED = "issued", _("Issued")  # final: the invoice number is kept
    DECLINED = "declined", _("Declined")  # final; the reason is kept


class InvoiceRequest(models.Model):
    """A buyer's request for an invoice 发票 on an order: the title 抬头, the tax number (a company's
    unified social credit code), issued by finance within KEFU_INVOICE_DAYS working days."""

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="invoice_requests"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=InvoiceKind.choices)
    title = models.CharField(_("invoice title"), max_length=100)
    tax_number = models.CharField(_("tax number"), max_length=20, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    email = models.EmailField(_("send to (e-mail)"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=InvoiceState.choices, default=InvoiceState.REQUESTED
    )
    due_at = models.DateTimeField(_("to issue by"))
    invoice_number = models.CharField(_("invoice number"), max_length=20, blank=True)
    decline_reason = models.CharField(_("why declined"), max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("issued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice request")
        verbose_name_plural = _("invoice requests")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="invoice_amount_gt_0")
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="invoice_state_due")]

    def __str__(self) -> str:
        return f"#{self.pk}"
