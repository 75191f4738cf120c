"""The customer export, as a kind of the one export service (kefu/exports): the list's rows with the
same filters as the list page. Mobile, landline and e-mail are personal columns: masked as on the
pages unless a full-value export was chosen (kefu/exports/services.py decides, writes and audits)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Prefetch, Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from kefu.accounts.masking import PersonalKind
from kefu.accounts.models import User
from kefu.customers import identities, selectors
from kefu.customers.forms import SearchForm
from kefu.customers.models import ContactIdentity, Customer, CustomField, IdentityKind
from kefu.exports.registry import ExportColumn, ExportKind, Prepared, register

EXPORT_MAX_ROWS = 100_000
EXPORT_FILTERS = (
    "q",
    "tag",
    "level",
    "region",
    "city",
    "district",
    "owner_id",
    "unassigned",
    "field",
    "field_value",
)


def _phone(value: str) -> str:
    return identities.display_phone(value) if value else ""


# (column, the cell's value for a customer and its instant-messaging handles)
COLUMNS: tuple[tuple[ExportColumn, Any], ...] = (  # getter None: the custom fields
    (ExportColumn(gettext_lazy("Customer no.")), lambda c, ids: c.pk),
    (ExportColumn(gettext_lazy("Name")), lambda c, ids: c.name),
    (ExportColumn(gettext_lazy("Gender")), lambda c, ids: c.get_gender_display()),
    (ExportColumn(gettext_lazy("Mobile"), PersonalKind.MOBILE), lambda c, ids: _phone(c.mobile)),
    (ExportColumn(gettext_lazy("Landline"), PersonalKind.PHONE), lambda c, ids: _phone(c.phone)),
    (ExportColumn(gettext_lazy("E-mail"), PersonalKind.EMAIL), lambda c, ids: c.email),
    (ExportColumn(gettext_lazy("WeChat")), lambda c, ids: ids.get(IdentityKind.WECHAT, "")),
    (ExportColumn(gettext_lazy("QQ")), lambda c, ids: ids.get(IdentityKind.QQ, "")),
    (ExportColumn(gettext_lazy("Wangwang")), lambda c, ids: ids.get(IdentityKind.WANGWANG, "")),
    (ExportColumn(gettext_lazy("Province")), lambda c, ids: c.region),
    (ExportColumn(gettext_lazy("City")), lambda c, ids: c.city),
    (ExportColumn(gettext_lazy("District")), lambda c, ids: c.district),
    (ExportColumn(gettext_lazy("Street")), lambda c, ids: c.street),
    (ExportColumn(pgettext_lazy("customer", "Address")), lambda c, ids: c.address),
    (ExportColumn(gettext_lazy("Membership level")), lambda c, ids: c.get_level_display()),
    (ExportColumn(gettext_lazy("Membership card no.")), lambda c, ids: c.member_no),
    (ExportColumn(gettext_lazy("Stored-value card no.")), lambda c, ids: c.card_no),
    (ExportColumn(gettext_lazy("Source channel")), lambda c, ids: c.get_source_display()),
    (
        ExportColumn(gettext_lazy("Tags")),
        lambda c, ids: ", ".join(t.name for t in c.tags.all()),
    ),
    (ExportColumn(gettext_lazy("Owner agent")), lambda c, ids: str(c.owner) if c.owner_id else ""),
    (ExportColumn(gettext_lazy("Completeness")), lambda c, ids: c.completeness),
    (ExportColumn(gettext_lazy("Notes")), lambda c, ids: c.notes),
    (
        ExportColumn(gettext_lazy("Created at")),
        lambda c, ids: timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M"),
    ),
    # The managers' custom fields, "label：value" one after another (their set changes over time).
    (ExportColumn(gettext_lazy("Custom fields")), None),
)


def _custom_text(customer: Customer, fields: list[CustomField]) -> str:
    values = customer.custom or {}
    return "；".join(f"{f.label}：{values[f.code]}" for f in fields if values.get(f.code))


def _cells(customer: Customer, fields: list[CustomField]) -> list:
    handles: dict[str, str] = {}
    for (
        identity
    ) in customer.identities.all():  # prefetched: instant-messaging accounts, oldest first
        handles.setdefault(identity.kind, identity.value)
    cells = []
    for _column, getter in COLUMNS:
        value = _custom_text(customer, fields) if getter is None else getter(customer, handles)
        cells.append(value if isinstance(value, int) else str(value or ""))
    return cells


def parse_filters(query: QueryDict) -> dict[str, Any]:
    """The list page's filters, as the list page reads them."""
    form = SearchForm(query or None)
    data = form.cleaned_data if form.is_valid() else {}
    return {k: v for k, v in data.items() if k in EXPORT_FILTERS and v}


def prepare(*, actor: User, filters: dict[str, Any]) -> Prepared:
    """The customers `actor` sees with the list's filters, newest first, with their cells."""
    filters = {k: v for k, v in filters.items() if k in EXPORT_FILTERS and v}
    qs = selectors.search_customers(actor=actor, **filters)
    count = qs.order_by().values("pk")[: EXPORT_MAX_ROWS + 1].count()
    qs = qs[:EXPORT_MAX_ROWS].prefetch_related(
        "tags",
        Prefetch(
            "identities",
            queryset=ContactIdentity.objects.filter(
                Q(kind__in=[IdentityKind.WECHAT, IdentityKind.QQ, IdentityKind.WANGWANG])
            ).order_by("id"),
        ),
    )

    fields = list(CustomField.objects.all())

    def rows() -> Iterator[list]:
        for customer in qs.iterator(chunk_size=2000):
            yield _cells(customer, fields)

    return Prepared(count=count, rows=rows())


def _too_many(limit: int) -> str:
    return _(
        "The list has more than %(max)s customers; narrow it with the filters (city, level, tag…) "
        "and export each part."
    ) % {"max": f"{limit:,}"}


CUSTOMERS = register(
    ExportKind(
        name="customers",
        label=gettext_lazy("Customers"),
        title=gettext_lazy("Customers"),
        file_stem=lambda filters: (
            _("customers") + "-" + timezone.localtime().strftime("%Y%m%d-%H%M")
        ),
        columns=tuple(column for column, _getter in COLUMNS),
        prepare=prepare,
        parse_filters=parse_filters,
        formats=("xlsx", "csv"),
        max_rows=EXPORT_MAX_ROWS,
        too_many=_too_many,
        page="customers:list",
    )
)
