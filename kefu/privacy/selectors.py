"""Reads of personal-data rights, with their access rules: a copy is its requester's alone (anyone
else: 404); erasure requests are seen by those who may erase."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.customers.identities import InvalidIdentity, normalise_mobile
from kefu.customers.models import Customer
from kefu.customers.selectors import visible_customers
from kefu.privacy.models import DataExport, ErasureRequest


def my_exports(user: User) -> QuerySet[DataExport]:
    return DataExport.objects.filter(requested_by=user).order_by("-id")


def access_export(*, actor: User, export_id: int) -> DataExport:
    export = DataExport.objects.filter(pk=export_id, requested_by=actor).first()
    if export is None or not actor.has_perm(Perm.EXPORT_CUSTOMER_DATA):
        raise Http404
    return export


def visible_erasures(user: User) -> QuerySet[ErasureRequest]:
    if not user.has_perm(Perm.ERASE_CUSTOMER_DATA):
        return ErasureRequest.objects.none()
    return ErasureRequest.objects.select_related("requested_by").order_by("-id")


def access_erasure(*, actor: User, erasure_id: int) -> ErasureRequest:
    erasure = visible_erasures(actor).filter(pk=erasure_id).first()
    if erasure is None:
        raise Http404
    return erasure


def find_customer(*, actor: User, text: str) -> Customer | None:
    """A customer by number (#123 or 123) or by mobile, among those `actor` may see."""
    text = text.strip().lstrip("#")[:40]
    qs = visible_customers(actor).filter(merged_into__isnull=True)
    if text.isdigit() and len(text) <= 9:
        return qs.filter(pk=int(text)).first()
    try:
        mobile = normalise_mobile(text)
    except InvalidIdentity:  # anything that is not a mobile finds nobody
        return None
    return qs.filter(identities__kind="mobile", identities__value=mobile).first()
