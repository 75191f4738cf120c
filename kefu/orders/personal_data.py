"""What orders hold about a customer (kefu/core/personal_data.py): receivers, addresses, payers
and remarks. Amounts, items and states stay for the statistics."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.core import personal_data as pd
from kefu.orders.models import BankTransfer, ChangeRequest, Order, OrderItem, OrderRemark

ORDER = (
    "platform", "number", "buyer_id", "receiver_name", "receiver_mobile", "address", "amount_fen",
    "paid_fen", "state", "logistics_company", "tracking_number", "ordered_at",
)  # fmt: skip


def export(customer: Any) -> list[pd.Table | pd.StoredFile]:
    mine = {"order__customer": customer}
    return [
        pd.Table("orders", pd.rows(Order.objects.filter(customer=customer), ORDER)),
        pd.Table(
            "order_items",
            pd.rows(OrderItem.objects.filter(**mine), ("order__number", "name", "quantity")),
        ),
        pd.Table(
            "order_remarks",
            pd.rows(OrderRemark.objects.filter(**mine), ("order__number", "created_at", "text")),
        ),
        pd.Table(
            "bank_transfers",
            pd.rows(BankTransfer.objects.filter(**mine), ("order__number", "payer", "bank")),
        ),
        pd.Table(
            "change_requests",
            pd.rows(
                ChangeRequest.objects.filter(**mine),
                ("order__number", "kind", "status", "new_address", "new_attributes", "reason"),
            ),
        ),
    ]


def erase(customer: Any) -> dict[str, int]:
    mine = {"order__customer": customer}
    orders = Order.objects.filter(customer=customer)
    return {
        "orders": pd.blank(orders, buyer_id="", receiver_name="", receiver_mobile="", address=""),
        "order_remarks": pd.blank(OrderRemark.objects.filter(**mine), text=pd.ERASED),
        "bank_transfers": pd.blank(BankTransfer.objects.filter(**mine), payer=pd.ERASED),
        "change_requests": pd.blank(
            ChangeRequest.objects.filter(**mine), new_address="", reason=""
        ),
    }


def register() -> None:
    pd.register(pd.Holder("orders", _("Orders"), export, erase, order=40))
