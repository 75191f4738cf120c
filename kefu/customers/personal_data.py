"""What the customer archive holds about a customer (kefu/core/personal_data.py): the profile, the
contact identities, tags and the timeline. Erased first (order 10), so what other apps rewrite
afterwards (search documents that borrow the name and mobile) no longer holds them. The audit log
keeps who did what to the record and when; the name it showed the record by becomes its number.
The reports of customer imports quote rows of the files (a row's name, and a contact point that
already belonged to this customer, with their name): the rows that quote one of the customer's
contact points are erased, keeping their row numbers. The files an import keeps on disk until it
is confirmed or cancelled (the upload, the samples, the rows that passed) lose the rows that hold
one of the customer's contact points (transfer.files.erase_kept_rows)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import AuditEntry
from kefu.core import personal_data as pd
from kefu.core.models import TimelineEntry
from kefu.customers.documents import index_customers
from kefu.customers.identities import national
from kefu.customers.models import (
    ContactIdentity,
    Customer,
    DuplicateCandidate,
    Gender,
    IdentityKind,
    ImportJob,
)
from kefu.customers.services.transfer.files import erase_kept_rows, stored_file

PROFILE = (
    "id", "name", "gender", "mobile", "phone", "email", "region", "city", "district", "street",
    "address", "level", "member_no", "card_no", "source", "custom", "notes", "created_at",
    "updated_at",
)  # fmt: skip


def export(customer: Customer) -> list[pd.Table | pd.StoredFile]:
    one = Customer.objects.filter(pk=customer.pk)
    profile = pd.rows(one, PROFILE)
    for row in profile:
        row["tags"] = [t.name for t in customer.tags.all()]
    return [
        pd.Table("customer", profile),
        pd.Table("identities", pd.rows(customer.identities.all(), ("kind", "value", "created_at"))),
        pd.Table(
            "consents",
            pd.rows(customer.consents.all(), ("purpose", "given", "source", "recorded_at")),
        ),
        pd.Table(
            "timeline",
            pd.rows(
                TimelineEntry.objects.filter(customer_id=customer.pk),
                ("occurred_at", "kind", "summary", "data"),
            ),
        ),
    ]


def contact_points(customer: Customer) -> set[str]:
    """The customer's mobiles, phones and e-mail addresses as stored and, for mobiles, as typed
    (13912345678 for +8613912345678)."""
    found = {customer.mobile, customer.phone, customer.email}
    for kind, value in ContactIdentity.objects.filter(customer=customer).values_list(
        "kind", "value"
    ):
        found.add(value)
        if kind == IdentityKind.MOBILE and value.startswith("+86"):
            found.add(national(value))
    if customer.mobile.startswith("+86"):
        found.add(national(customer.mobile))
    return {value for value in found if len(value) >= 5}  # shorter ones match too much


def erase(customer: Customer) -> dict[str, Any]:
    quoted = pd.blank_quoting(ImportJob.objects.all(), contact_points(customer))
    identities, _kinds = ContactIdentity.objects.filter(customer=customer).delete()
    DuplicateCandidate.objects.filter(customer=customer).delete()
    DuplicateCandidate.objects.filter(other=customer).delete()
    customer.tags.clear()
    pd.blank(
        Customer.objects.filter(pk=customer.pk),
        name=f"已删除客户{customer.pk}",
        gender=Gender.UNKNOWN,
        mobile="",
        mobile_last4="",
        phone="",
        email="",
        city="",
        district="",
        street="",
        address="",
        member_no="",
        card_no="",
        custom={},
        notes="",
    )
    index_customers([customer.pk])  # found by none of the erased words, only as the blank record
    timeline = pd.blank(
        TimelineEntry.objects.filter(customer_id=customer.pk), summary=pd.ERASED, data={}
    )
    audited = pd.blank(
        AuditEntry.objects.filter(
            object_type=Customer._meta.label_lower, object_id=str(customer.pk)
        ).exclude(object_repr=f"#{customer.pk}"),
        object_repr=f"#{customer.pk}",
    )
    return {
        "customers": 1,
        "identities": identities,
        "timeline": timeline,
        "audit_log": audited,
        "import_report_rows": quoted,
    }


def erase_files(terms: frozenset[str]) -> dict[str, int]:
    """The customer's rows in the files of every import that keeps them (few: imports are rare)."""
    rows = 0
    for job in ImportJob.objects.exclude(stored_path="").order_by("pk"):
        if stored_file(job).is_file():
            rows += erase_kept_rows(job, terms)
    return {"import_file_rows": rows}


def register() -> None:
    pd.register(
        pd.Holder(
            "customers",
            _("Customer archive"),
            export,
            erase,
            order=10,
            identifiers=contact_points,
            erase_files=erase_files,
        )
    )
