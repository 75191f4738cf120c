"""Orders of the shop (订单) as the shop system or an import hands them over, their remarks (红旗备注)
and the change requests agents walk through. Amounts are integers in fen, never floats."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Platform(models.TextChoices):
    TAOBAO = "taobao", _("Taobao")
    TMALL = "tmall", _("Tmall")
    JD = "jd", _("JD")
    PINDUODUO = "pinduoduo", _("Pinduoduo")
    SHOP = "shop", _("Own shop")


class FulfilmentState(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")  # ordered, not paid yet
    PAID = "paid", _("Paid")  # paid, the slips not printed yet
    PRINTED = "printed", _("Printed")  # 已打单: delivery note and courier slip printed
    PACKED = "packed", _("Packed")  # packed and labelled in the warehouse
    SHIPPED = "shipped", _("Shipped")  # handed to the courier
    RECEIVED = "received", pgettext_lazy("order state", "Received")  # the buyer signed for it
    CLOSED = "closed", _("Closed")  # cancelled or finished; nothing more happens


class PaymentMethod(models.TextChoices):
    ALIPAY = "alipay", _("Alipay")
    WECHAT = "wechat", _("WeChat Pay")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CASH_ON_DELIVERY = "cod", _("Cash on delivery")
    OTHER = "other", _("Other")


class Order(models.Model):
    """One order, unique by platform + order number: posting it again updates it."""

    platform = models.CharField(_("platform"), max_length=12, choices=Platform.choices)
    number = models.CharField(_("order number"), max_length=64)
    buyer_id = models.CharField(_("buyer id"), max_length=120, blank=True)  # 旺旺 id
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("customer"),
    )
    receiver_name = models.CharField(_("receiver"), max_length=60, blank=True)
    receiver_mobile = models.CharField(_("receiver's mobile"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"), default=0)
    paid_fen = models.BigIntegerField(_("paid (fen)"), default=0)
    payment_method = models.CharField(
        _("payment"), max_length=16, choices=PaymentMethod.choices, blank=True
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    state = models.CharField(
        _("fulfilment state"),
        max_length=10,
        choices=FulfilmentState.choices,
        default=FulfilmentState.UNPAID,
    )
    logistics_company = models.CharField(_("courier"), max_length=40, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    ordered_at = models.DateTimeField(_("ordered at"), null=True, blank=True)
    # A remark the printing desk (打单) has not confirmed yet: the desk's list reads this index.
    remarks_pending = models.BooleanField(_("remarks to confirm"), default=False, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = pgettext_lazy("shop", "order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(fields=["platform", "number"], name="order_platform_number"),
            models.CheckConstraint(
                condition=models.Q(amount_fen__gte=0), name="order_amount_gte_0"
            ),
            models.CheckConstraint(condition=models.Q(paid_fen__gte=0), name="order_paid_gte_0"),
        ]
        indexes = [
            models.Index(fields=["customer", "-id"], name="order_customer_recent"),
            models.Index(fields=["buyer_id"], name="order_buyer"),
            models.Index(fields=["state", "-id"], name="order_state_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.number}"


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    name = models.CharField(_("product"), max_length=200)
    attributes = models.CharField(_("attributes"), max_length=200, blank=True)  # 颜色分类:暖白
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    price_fen = models.BigIntegerField(_("unit price (fen)"), default=0)

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price_fen__gte=0), name="orderitem_price_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BankTransfer(models.Model):
    """The bank-transfer register 银行转账明细: one line per transfer a buyer says they made."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="transfers")
    payer = models.CharField(_("payer"), max_length=60)
    bank = models.CharField(_("bank"), max_length=60, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    transferred_on = models.DateField(_("transferred on"))
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bank transfer")
        verbose_name_plural = _("bank transfers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen__gt=0), name="transfer_amount_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.transferred_on}"


class OrderRemark(models.Model):
    """A red-flag remark 红旗备注 on the order log, in the seed's form "…---2026-12-05 张三". The
    printing desk confirms each one it has read (confirmed_at)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="remarks")
    text = models.CharField(_("remark"), max_length=500)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("remark")
        verbose_name_plural = _("remarks")
        indexes = [models.Index(fields=["order", "-id"], name="remark_order_recent")]

    def __str__(self) -> str:
        return f"#{self.pk}"


class ChangeKind(models.TextChoices):
    ADDRESS = "address", _("Address change")
    ATTRIBUTES = "attributes", _("Attribute change")
    CANCEL = "cancel", _("Cancellation after payment")


class ChangePath(models.TextChoices):
    """Which way seed 002 ③⑤⑥ says to go, by the order's state when the request was made."""

    NOT_PRINTED = "not_printed", _("Not printed yet: change it and tell the printing desk")
    PRINTED = "printed", _("Printed: take the slips back and change them")
    PACKED = "packed", _("Packed: retrieve the parcel and reprint")


class ChangeStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    DONE = "done", _("Done")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ChangeRequest(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="change_requests")
    kind = models.CharField(_("kind"), max_length=12, choices=ChangeKind.choices)
    path = models.CharField(_("path"), max_length=12, choices=ChangePath.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.OPEN
    )
    # What the customer asked for: the new address, or the item and its new attributes.
    new_address = models.CharField(_("new address"), max_length=300, blank=True)
    item = models.ForeignKey(
        OrderItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    new_attributes = models.CharField(_("new attributes"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # [{"step": code, "at": iso time, "by": user id, "by_name": name}], in the order they were made.
    steps_done = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(status="open"),
                name="change_one_open_per_order",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class Stock(models.Model):
    """Stock per SKU as the warehouse or the shop system reports it (seed 002 ⑧: agents look it up)."""

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("product"), max_length=200, blank=True)
    quantity = models.IntegerField(_("in stock"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")

    def __str__(self) -> str:
        return self.sku


class ImportStatus(models.TextChoices):
    CHECKED = "checked", _("Checked")
    IMPORTING = "importing", _("Importing")
    IMPORTED = "imported", _("Imported")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class OrderImport(models.Model):
    """An order file: checked first (the dry run), imported whole on confirmation or not at all."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=200)
    stored_path = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=ImportStatus.choices)
    total_rows = models.PositiveIntegerField(default=0)
    order_count = models.PositiveIntegerField(default=0)
    new_orders = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)  # [{"row": n, "errors": [...]}], first 200
    message = models.CharField(
        max_length=300, blank=True
    )  # why the import failed (nothing written)

    class Meta:
        verbose_name = _("order import")
        verbose_name_plural = _("order imports")

    def __str__(self) -> str:
        return f"#{self.pk}"
