"""The customers' search documents (kefu.core.search): what a customer is found by in the archive's
search, and the calls the services make to keep it current. Registered from CustomersConfig.ready()."""

from __future__ import annotations

from collections.abc import Iterable

from kefu.core import search
from kefu.customers.identities import national
from kefu.customers.models import Customer, CustomerSearchDocument

# Words: where the customer lives and what was noted about them.
TEXT_FIELDS = ("region", "city", "district", "street", "address", "notes")
# Identifiers, found by any prefix (张 finds 张伟, 139 finds 13912345678).
KEYWORD_FIELDS = ("name", "mobile", "phone", "email", "member_no", "card_no")


def customer_document(customer: Customer) -> search.Document:
    keywords = [getattr(customer, f) for f in KEYWORD_FIELDS]
    for identity in customer.identities.all():  # every mobile, landline, e-mail, account name
        value = identity.value
        keywords.append(national(value) if value.startswith("+86") else value)
    keywords += [national(customer.mobile), national(customer.phone)]
    custom = [str(v) for v in (customer.custom or {}).values() if isinstance(v, str | int)]
    return search.Document(
        text=[*(getattr(customer, f) for f in TEXT_FIELDS), *custom], keywords=keywords
    )


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
