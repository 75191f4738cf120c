"""The customers' search documents (kefu.core.search): what a customer is found by in the archive's
search, and the calls the services make to keep it current. Registered from CustomersConfig.ready()."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kefu.core import search
from kefu.customers.identities import national
from kefu.customers.models import Customer, CustomerSearchDocument

# Words: where the customer lives and what was noted about them.
TEXT_FIELDS = ("region", "city", "district", "street", "address", "notes")
# Identifiers, found by any prefix (张 finds 张伟, 139 finds 13912345678).
KEYWORD_FIELDS = ("name", "mobile", "phone", "email", "member_no", "card_no")
PHONE_FIELDS = ("mobile", "phone")


def document_of(fields: Mapping[str, Any], contact_points: Iterable[str]) -> search.Document:
    """A customer's document from its field values and its contact points' values: what the
    archive's search finds a customer by. Mobiles and landlines are kept as agents type them
    (national(): 13912345678, not +8613912345678; a query typed with +86 is read the same way)."""
    keywords = [fields.get(f) or "" for f in KEYWORD_FIELDS if f not in PHONE_FIELDS]
    keywords += [national(fields.get(f) or "") for f in PHONE_FIELDS]
    keywords += [national(value) if value.startswith("+86") else value for value in contact_points]
    custom = [str(v) for v in (fields.get("custom") or {}).values() if isinstance(v, str | int)]
    return search.Document(
        text=[*(fields.get(f) or "" for f in TEXT_FIELDS), *custom], keywords=keywords
    )


def customer_document(customer: Customer) -> search.Document:
    fields = {f: getattr(customer, f) for f in (*TEXT_FIELDS, *KEYWORD_FIELDS, "custom")}
    # every mobile, landline, e-mail, account name
    return document_of(fields, (identity.value for identity in customer.identities.all()))


CUSTOMERS = search.Kind(
    name="customers.customer",
    model=Customer,
    documents=CustomerSearchDocument,
    document=customer_document,
    # Merged records are not searched (the archive shows the survivor); their document goes.
    source=lambda: (
        Customer.objects.filter(merged_into__isnull=True)
        .only(*TEXT_FIELDS, *KEYWORD_FIELDS, "custom")
        .prefetch_related("identities")
    ),
)


def register() -> None:
    search.register(CUSTOMERS)


def index_customers(ids: Iterable[int]) -> None:
    """Rewrite these customers' documents in the caller's transaction: one read of the customers
    and one of their contact points per 500, however many there are (the import's chunks)."""
    search.index_ids(CUSTOMERS, ids)


def index_documents(documents: Mapping[int, search.Document]) -> None:
    """Write these customers' documents as given (the import builds them from the rows it wrote),
    in the caller's transaction."""
    search.write_documents(CUSTOMERS, documents)
