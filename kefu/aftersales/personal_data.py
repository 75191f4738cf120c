"""What after-sales cases and reviews hold about a customer (kefu/core/personal_data.py)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.aftersales.models import (
    AfterSalesCase,
    CasePhoto,
    CourierClaim,
    InvoiceRequest,
    MoneyLine,
    Review,
)
from kefu.core import personal_data as pd

CASE = ("id", "kind", "state", "reason", "parcel_notes", "return_tracking", "created_at")
REVIEW = ("rating", "text", "reviewed_on", "state", "contact_note", "outcome")
CLAIM = ("kind", "courier", "tracking_number", "description", "claimed_fen", "state", "filed_at")
INVOICE = ("kind", "title", "tax_number", "email", "state", "invoice_number")


def export(customer: Any) -> list[pd.Table | pd.StoredFile]:
    return [
        pd.Table(
            "aftersales_cases", pd.rows(AfterSalesCase.objects.filter(customer=customer), CASE)
        ),
        pd.Table("reviews", pd.rows(Review.objects.filter(customer=customer), REVIEW)),
        pd.Table(
            "money_lines",
            pd.rows(
                MoneyLine.objects.filter(case__customer=customer),
                ("case", "kind", "amount_fen", "reason", "state"),
            ),
        ),
        pd.Table("courier_claims", pd.rows(CourierClaim.objects.filter(customer=customer), CLAIM)),
        pd.Table("invoices", pd.rows(InvoiceRequest.objects.filter(customer=customer), INVOICE)),
        *pd.files(CasePhoto.objects.filter(case__customer=customer), "aftersales_photos"),
    ]


def erase(customer: Any) -> dict[str, int]:
    cases = AfterSalesCase.objects.filter(customer=customer)
    reviews = Review.objects.filter(customer=customer)
    return {
        "aftersales_cases": pd.blank(cases, reason=pd.ERASED, parcel_notes="", log=[]),
        "reviews": pd.blank(reviews, text=pd.ERASED, contact_note=""),
        "aftersales_photos": pd.delete_files(CasePhoto.objects.filter(case__customer=customer)),
        "money_lines": pd.blank(
            MoneyLine.objects.filter(case__customer=customer), reason=pd.ERASED
        ),
        "courier_claims": pd.blank(
            CourierClaim.objects.filter(customer=customer), description=pd.ERASED, log=[]
        ),
        "invoices": pd.blank(
            InvoiceRequest.objects.filter(customer=customer),
            title=pd.ERASED,
            tax_number="",
            email="",
        ),
    }


def register() -> None:
    pd.register(pd.Holder("aftersales", _("After-sales"), export, erase, order=40))
