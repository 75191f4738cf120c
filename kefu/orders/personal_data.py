"""What orders hold about a customer (kefu/core/personal_data.py): receivers, addresses, payers
and remarks. Amounts, items and states stay for the statistics. An order file checked and waiting
for confirmation (or being imported) keeps the customer's rows, found by their buyer ids and
mobiles: they are blanked in the file, which is counted again."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.core import personal_data as pd
from kefu.orders.models import (
    BankTransfer,
    ChangeRequest,
    ImportStatus,
    Order,
    OrderImport,
    OrderItem,
    OrderRemark,
)
from kefu.orders.services.importing import erase_kept_rows

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


def identifiers(customer: Any) -> set[str]:
    """The buyer ids and receivers' mobiles of the customer's orders (as stored and as typed)."""
    found: set[str] = set()
    for buyer, mobile in Order.objects.filter(customer=customer).values_list(
        "buyer_id", "receiver_mobile"
    ):
        found |= {buyer, mobile, mobile.removeprefix("+86")}
    return {value for value in found if value}


def erase_files(terms: frozenset[str]) -> dict[str, int]:
    waiting = OrderImport.objects.filter(status__in=[ImportStatus.CHECKED, ImportStatus.IMPORTING])
    return {"order_file_rows": sum(erase_kept_rows(job, terms) for job in waiting.order_by("pk"))}


def register() -> None:
    pd.register(
        pd.Holder(
            "orders",
            _("Orders"),
            export,
            erase,
            order=40,
            identifiers=identifiers,
            erase_files=erase_files,
        )
    )
