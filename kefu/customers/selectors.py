"""Reads of the customer archive, and who may see which customer.

Supervisors and managers (Perm.ASSIGN_WORK) see every customer. Agents see the customers they own,
created, or served (anything they did that is on the customer's timeline). Department staff see the
customers of work routed to them: tickets add those rules when they land; until then, none.
Another user's customer answers exactly like a missing one (404).
"""

import unicodedata

from django.apps import apps
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.core.models import TimelineEntry
from kefu.core.querysets import filter_given
from kefu.customers import identities
from kefu.customers.models import ContactIdentity, Customer, IdentityKind


def sees_all_customers(user: User) -> bool:
    return user.has_perm(Perm.ASSIGN_WORK)


def visible_customers(user: User) -> QuerySet[Customer]:
    """Customers `user` may open (merged-away records excluded)."""
    qs = Customer.objects.filter(merged_into__isnull=True)
    if sees_all_customers(user):
        return qs
    if not user.has_perm(Perm.SERVE_CUSTOMERS):
        return _routed_to_department(user, qs)
    served = TimelineEntry.objects.filter(customer_id=OuterRef("pk"), actor=user)
    return qs.filter(Q(owner=user) | Q(created_by=user) | Exists(served))


def _routed_to_department(user: User, qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """Department staff (部门人员) see the customers of tickets routed to their department, nobody else."""
    if not user.has_perm(Perm.WORK_ROUTED_TASKS) or user.department_id is None or not apps.is_installed("kefu.tickets"):
        return qs.none()
    routed = apps.get_model("tickets", "Ticket").objects.filter(customer_id=OuterRef("pk"), department_id=user.department_id)
    return qs.filter(Exists(routed))


def access_customer(*, actor: User, customer_id: int, request=None) -> Customer:
    """The customer if `actor` may see it; 404 (audited when it exists) otherwise.

    A merged-away id is answered with the survivor, so old links keep working.
    """
    customer = Customer.objects.select_related("owner", "needed_skill", "merged_into").filter(pk=customer_id).first()
    if customer is None:
        raise Http404
    hops = 0
    while customer.merged_into_id is not None and hops < 10:
        customer = Customer.objects.select_related("owner", "needed_skill", "merged_into").get(pk=customer.merged_into_id)
        hops += 1
    if not visible_customers(actor).filter(pk=customer.pk).exists():
        audit(AuditAction.ACCESS_DENIED, actor=actor, obj=customer, request=request)
        raise Http404
    return customer


def search_customers(
    *, actor: User, q: str = "", tag: str = "", level: str = "", region: str = "", city: str = "",
    district: str = "", owner_id: int | None = None, unassigned: bool = False,
) -> QuerySet[Customer]:
    """The archive's search: name (prefix), mobile (full or last four digits), e-mail, any identity,
    tag, level, region. Every branch is an index lookup, so it stays fast at millions of rows."""
    qs = visible_customers(actor)
    q = unicodedata.normalize("NFKC", q).strip()
    if q:
        qs = qs.filter(_query_filter(q))
    if tag:
        # Exists, not a join: the planner keeps walking customers newest first instead of sorting
        # every holder of a popular tag (bench/README.md).
        qs = qs.filter(Exists(Customer.tags.through.objects.filter(customer_id=OuterRef("pk"), tag__name=tag)))
    qs = filter_given(qs, level=level, region=region, city=city, district=district, owner_id=owner_id)
    if unassigned:
        qs = qs.filter(owner__isnull=True)
    return qs.select_related("owner").order_by("-id")


def _query_filter(q: str) -> Q:
    digits = q.replace(" ", "").replace("-", "")
    if digits.isdigit() and len(digits) == 4:
        return Q(mobile_last4=digits)
    if "@" in q:
        try:
            return _identity_match(IdentityKind.EMAIL, identities.normalise_email(q))
        except identities.InvalidIdentity:
            return Q(pk__in=[])
    if digits.lstrip("+").isdigit() and len(digits) >= 7:
        for normalise in (identities.normalise_mobile, identities.normalise_phone):
            try:
                return _identity_match(None, normalise(q))
            except identities.InvalidIdentity:
                continue
    # A name by prefix (张 finds every 张…), as a range so both databases use the name index, or an
    # account name on any channel (exact).
    by_name = Q(name__gte=q, name__lt=q + "\U0010ffff")
    owners = list(
        ContactIdentity.objects.filter(kind__in=IdentityKind.values, value=q)  # served by the (kind, value) index
        .values_list("customer_id", flat=True)[:50]
    )
    return by_name | Q(pk__in=owners) if owners else by_name


def _identity_match(kind: str | None, value: str) -> Q:
    rows = ContactIdentity.objects.filter(kind__in=[kind] if kind else IdentityKind.values, value=value)
    return Q(pk__in=rows.values("customer_id"))


def find_by_identity(kind: str, value: str) -> Customer | None:
    """The customer this contact point belongs to, if any (value already normalised)."""
    row = ContactIdentity.objects.select_related("customer").filter(kind=kind, value=value).first()
    return row.customer if row else None


def review_queue(*, incomplete_below: int = 100) -> QuerySet[Customer]:
    """New records nobody has reviewed yet, and records that are incomplete or doubted."""
    return (
        Customer.objects.filter(merged_into__isnull=True)
        .filter(Q(reviewed_at__isnull=True) | Q(completeness__lt=incomplete_below) | ~Q(accuracy_flag=""))
        .select_related("created_by", "owner")
        .order_by("-id")
    )


def daily_capture_counts(*, days: int = 7) -> list[dict]:
    """Customers captured per agent per day (Asia/Shanghai days), newest day first."""
    since = timezone.now() - timezone.timedelta(days=days)
    return list(
        Customer.objects.filter(created_at__gte=since, created_by__isnull=False)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "created_by__username", "created_by__display_name")
        .annotate(count=Count("id"))
        .order_by("-day", "-count")
    )


def contact_due(*, owner: User | None = None, overdue_only: bool = False) -> QuerySet[Customer]:
    """Customers still waiting for their first contact since assignment (the seven-day rule)."""
    qs = Customer.objects.filter(merged_into__isnull=True, contact_due_at__isnull=False).select_related("owner")
    if owner is not None:
        qs = qs.filter(owner=owner)
    if overdue_only:
        qs = qs.filter(contact_due_at__lt=timezone.now())
    return qs.order_by("contact_due_at")
