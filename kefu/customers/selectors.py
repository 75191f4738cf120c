"""Reads of the customer archive, and who may see which customer.

Supervisors and managers (Perm.ASSIGN_WORK) see every customer. Agents see the customers they own,
created, or served (anything they did that is on the customer's timeline). Department staff see the
customers of work routed to them: tickets add those rules when they land; until then, none.
Another user's customer answers exactly like a missing one (404).
"""

import datetime as dt
import decimal
import unicodedata

from django.apps import apps
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.core import search
from kefu.core.models import TimelineEntry
from kefu.core.querysets import are_many, filter_given, narrow_to
from kefu.core.sql_time import LocalDate
from kefu.customers import identities
from kefu.customers.documents import CUSTOMERS
from kefu.customers.models import (
    ContactIdentity,
    Customer,
    CustomField,
    FieldType,
    IdentityKind,
    ImportJob,
)


def sees_all_customers(user: User) -> bool:
    return user.has_perm(Perm.ASSIGN_WORK)


def visible_customers(user: User) -> QuerySet[Customer]:
    """Customers `user` may open (merged-away records excluded)."""
    qs = Customer.objects.filter(merged_into__isnull=True)
    if sees_all_customers(user):
        return qs
    if not user.has_perm(Perm.SERVE_CUSTOMERS):
        return _routed_to_department(user, qs)
    return qs.filter(_served_by(user))


def _served_by(user: User) -> Q:
    """Owned, created or served (on the timeline) by `user`. The served ones are read once from the
    (actor, customer_id) index, not probed per customer: an agent's calls page took 8–18 s probing
    every customer (bench/README.md, pages)."""
    served = TimelineEntry.objects.filter(actor=user, customer_id__isnull=False).values(
        "customer_id"
    )
    return Q(owner=user) | Q(created_by=user) | Q(pk__in=served)


def _served_probe(user: User, customer: OuterRef) -> Exists:
    """Whether `user` has served the customer `customer` names (its timeline has an entry of
    theirs): one probe of the (actor, customer_id) index per row tested. The `IS NOT NULL` is
    implied by the equality; it is spelled out for PostgreSQL, which may run the probe once as a
    hashed set of the user's entries and can then read that set from the partial index alone
    (an agent's calls page: 31 → 3 ms of 1,000,000 calls, bench/README.md)."""
    return Exists(
        TimelineEntry.objects.filter(actor=user, customer_id__isnull=False, customer_id=customer)
        .order_by()
        .values("pk")
    )


def served_by_probe(user: User) -> Q:
    """_served_by() as tests of each customer row (owner, creator, one index probe for the
    timeline): for a page's few ids (openable_among), where reading every id the user has served
    (pk IN …, 33,000 timeline entries for a busy agent at 1,000,000 tickets) would cost more than
    the page. A list that walks thousands of customers keeps _served_by: SQLite reads that set once
    and tests each row against it faster than it runs a probe per row (bench/README.md, pages)."""
    return Q(owner=user) | Q(created_by=user) | Q(_served_probe(user, OuterRef("pk")))


def visible_customer_probe(user: User, field: str = "customer_id") -> Q:
    """For a user who serves customers and does not see them all: whether the customer a row of
    another table names in `field` is one they may see (customer_ids_visible_to, as probes of the
    primary key and the timeline's (actor, customer_id) index rather than sets read whole)."""
    mine = Customer.objects.filter(pk=OuterRef(field), merged_into__isnull=True).filter(
        Q(owner=user) | Q(created_by=user)
    )
    return Q(Exists(mine.order_by().values("pk"))) | Q(_served_probe(user, OuterRef(field)))


def customer_ids_visible_to(user: User) -> list[QuerySet]:
    """For a user who serves customers and does not see them all: the ids of the customers they may
    see, as three subqueries each served by an index (owner, creator, the timeline's actor), for
    `customer_id__in=` tests on other tables (calls)."""
    live = Customer.objects.filter(merged_into__isnull=True).order_by()
    return [
        live.filter(owner=user).values("pk"),
        live.filter(created_by=user).values("pk"),
        TimelineEntry.objects.filter(actor=user, customer_id__isnull=False)
        .order_by()
        .values("customer_id"),
    ]


def _routed_to_department(user: User, qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """Department staff (部门人员) see the customers of tickets routed to their department, nobody else."""
    if (
        not user.has_perm(Perm.WORK_ROUTED_TASKS)
        or user.department_id is None
        or not apps.is_installed("kefu.tickets")
    ):
        return qs.none()
    routed = apps.get_model("tickets", "Ticket").objects.filter(
        customer_id=OuterRef("pk"), department_id=user.department_id
    )
    return qs.filter(Exists(routed))


def openable_among(user: User, ids) -> set[int]:
    """Which of the customer `ids` (a page's worth) `user` may open: each tested by its own row and
    index probes (served_by_probe), not against every customer they may see."""
    if sees_all_customers(user):
        return set(ids)
    if user.has_perm(Perm.SERVE_CUSTOMERS):
        qs = Customer.objects.filter(pk__in=ids, merged_into__isnull=True).filter(
            served_by_probe(user)
        )
    else:
        qs = visible_customers(user).filter(pk__in=ids)
    return set(qs.values_list("pk", flat=True))


def may_open_customer(user: User, customer: Customer) -> bool:
    """Whether `user` may open `customer`'s record (and so learn its name and number)."""
    return visible_customers(user).filter(pk=customer.pk).exists()


def access_customer(*, actor: User, customer_id: int, request=None) -> Customer:
    """The customer if `actor` may see it; 404 (audited when it exists) otherwise.

    A merged-away id is answered with the survivor, so old links keep working.
    """
    customer = (
        Customer.objects.select_related("owner", "needed_skill", "merged_into")
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise Http404
    hops = 0
    while customer.merged_into_id is not None and hops < 10:
        customer = Customer.objects.select_related("owner", "needed_skill", "merged_into").get(
            pk=customer.merged_into_id
        )
        hops += 1
    if not visible_customers(actor).filter(pk=customer.pk).exists():
        audit(AuditAction.ACCESS_DENIED, actor=actor, obj=customer, request=request)
        raise Http404
    return customer


# --- imports (导入) -------------------------------------------------------------------------------


def sees_all_imports(user: User) -> bool:
    """Managers (who read what everyone did) see every import; others only their own."""
    return user.has_perm(Perm.VIEW_AUDIT_LOG)


def visible_import_jobs(user: User) -> QuerySet[ImportJob]:
    qs = ImportJob.objects.select_related("created_by").order_by("-id")
    return qs if sees_all_imports(user) else qs.filter(created_by=user)


def access_import_job(*, actor: User, job_id: int, request=None) -> ImportJob:
    """The job if `actor` created it or is a manager; 404 (audited when it exists) otherwise."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        raise Http404
    if job.created_by_id != actor.pk and not sees_all_imports(actor):
        audit(AuditAction.ACCESS_DENIED, actor=actor, obj=job, request=request)
        raise Http404
    return job


def search_customers(
    *,
    actor: User,
    q: str = "",
    tag: str = "",
    level: str = "",
    region: str = "",
    city: str = "",
    district: str = "",
    owner_id: int | None = None,
    unassigned: bool = False,
    field: str = "",
    field_value: str = "",
) -> QuerySet[Customer]:
    """The archive's search: a mobile (full or last four digits), an e-mail or a telephone number
    typed whole by their own indexes; anything else as words (kefu.core.search: a name or an
    account by prefix, words of the address and notes); tag, level, region. Every branch is an
    index lookup, so it stays fast at millions of rows."""
    qs = visible_customers(actor)
    if not sees_all_customers(actor) and actor.has_perm(Perm.SERVE_CUSTOMERS):
        # An agent's list: walk newest first when they may see many (core.querysets.narrow_to).
        live = Customer.objects.filter(merged_into__isnull=True)
        qs = narrow_to(live, _served_by(actor), many=are_many(*customer_ids_visible_to(actor)))
    q = unicodedata.normalize("NFKC", q).strip()
    if q:
        exact = _exact_filter(q)
        qs = qs.filter(exact) if exact is not None else search.filter(qs, CUSTOMERS, q)
    if tag:
        # Exists, not a join: the planner keeps walking customers newest first instead of sorting
        # every holder of a popular tag (bench/README.md).
        qs = qs.filter(
            Exists(Customer.tags.through.objects.filter(customer_id=OuterRef("pk"), tag__name=tag))
        )
    qs = filter_given(
        qs, level=level, region=region, city=city, district=district, owner_id=owner_id
    )
    if unassigned:
        qs = qs.filter(owner__isnull=True)
    if field and field_value:
        qs = qs.filter(custom_field_filter(field, field_value))
    return qs.select_related("owner").order_by("-id")


def custom_field_filter(code: str, value: str) -> Q:
    """Customers whose custom field `code` holds `value`: a text field by contained words, the other
    kinds by the exact stored value (numbers and dates are stored normalised, so 5.0 finds 5.0). An
    unknown field finds nobody. Not indexed: combine it with another filter on large archives."""
    definition = CustomField.objects.filter(code=code).first()
    value = unicodedata.normalize("NFKC", value).strip()
    if definition is None or not value:
        return Q(pk__in=[])
    if definition.field_type == FieldType.TEXT:
        return Q(**{f"custom__{code}__icontains": value})
    if definition.field_type == FieldType.NUMBER:
        try:
            value = str(decimal.Decimal(value))
        except decimal.InvalidOperation:
            return Q(pk__in=[])
    return Q(**{f"custom__{code}": value})


def _exact_filter(q: str) -> Q | None:
    """The fast paths of a contact point typed whole: the last four digits of a mobile, an e-mail,
    a telephone number. Anything else is searched for as words (None)."""
    digits = q.replace(" ", "").replace("-", "")
    if digits.isdigit() and len(digits) == 4:
        return Q(mobile_last4=digits)
    if "@" in q:
        try:
            return _identity_match(IdentityKind.EMAIL, identities.normalise_email(q))
        except identities.InvalidIdentity:
            pass  # part of an address (zhang@): its words
    if digits.lstrip("+").isdigit() and len(digits) >= 7:
        for normalise in (identities.normalise_mobile, identities.normalise_phone):
            try:
                return _identity_match(None, normalise(q))
            except identities.InvalidIdentity:
                continue
    return None


def _identity_match(kind: str | None, value: str) -> Q:
    rows = ContactIdentity.objects.filter(
        kind__in=[kind] if kind else IdentityKind.values, value=value
    )
    return Q(pk__in=rows.values("customer_id"))


def find_by_identity(kind: str, value: str) -> Customer | None:
    """The customer this contact point belongs to, if any (value already normalised)."""
    row = ContactIdentity.objects.select_related("customer").filter(kind=kind, value=value).first()
    return row.customer if row else None


def customer_ids_with_mobile(mobile: str) -> list[int]:
    """The live customers this mobile (E.164, normalised) reaches: their main number or any other
    mobile among their contact identities."""
    listed = ContactIdentity.objects.filter(kind=IdentityKind.MOBILE, value=mobile)
    return list(
        Customer.objects.filter(merged_into__isnull=True)
        .filter(Q(mobile=mobile) | Q(pk__in=listed.values("customer_id")))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def review_queue(*, incomplete_below: int = 100) -> QuerySet[Customer]:
    """New records nobody has reviewed yet, and records that are incomplete or doubted."""
    return (
        Customer.objects.filter(merged_into__isnull=True)
        .filter(
            Q(reviewed_at__isnull=True)
            | Q(completeness__lt=incomplete_below)
            | ~Q(accuracy_flag="")
        )
        .select_related("created_by", "owner")
        .order_by("-id")
    )


def daily_capture_counts(*, days: int = 7) -> list[dict]:
    """Customers captured per agent per day (Asia/Shanghai days), newest day first."""
    since = timezone.now() - dt.timedelta(days=days)
    return list(
        Customer.objects.filter(created_at__gte=since, created_by__isnull=False)
        .annotate(day=LocalDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "created_by__username", "created_by__display_name")
        .annotate(count=Count("id"))
        .order_by("-day", "-count")
    )


def overdue_contact(*, now: dt.datetime | None = None) -> Q:
    """The seven-day rule's one test (seed 000): the owner's first contact was due before `now`.

    Lists filter or annotate with it (`contact_due`); one customer asks `is_contact_overdue`.
    """
    return Q(contact_due_at__lt=now or timezone.now())


def is_contact_overdue(customer: Customer, *, now: dt.datetime | None = None) -> bool:
    """overdue_contact() for one customer already loaded (its twin, kept beside it; a test checks
    that both give the same answer)."""
    due = customer.contact_due_at
    return due is not None and due < (now or timezone.now())


def contact_due(
    *, owner: User | None = None, overdue_only: bool = False, now: dt.datetime | None = None
) -> QuerySet[Customer]:
    """Customers still waiting for their first contact since assignment (the seven-day rule), each
    with `contact_overdue` (the rule's test at `now`)."""
    overdue = overdue_contact(now=now or timezone.now())
    qs = (
        Customer.objects.filter(merged_into__isnull=True, contact_due_at__isnull=False)
        .select_related("owner")
        .annotate(contact_overdue=ExpressionWrapper(overdue, output_field=BooleanField()))
    )
    if owner is not None:
        qs = qs.filter(owner=owner)
    if overdue_only:
        qs = qs.filter(overdue)
    return qs.order_by("contact_due_at")


# --- consent to care and marketing messages (docs/visits.md) --------------------------------------


def has_consent(customer: Customer | int, purpose: str) -> bool:
    """Whether the customer's newest consent row for `purpose` (care or marketing) is given; no row
    means no consent."""
    from kefu.customers.models import Consent

    customer_id = customer if isinstance(customer, int) else customer.pk
    latest = (
        Consent.objects.filter(customer_id=customer_id, purpose=purpose)
        .order_by("-id")
        .values_list("given", flat=True)
        .first()
    )
    return bool(latest)


def consent_state(customer: Customer) -> list[dict]:
    """Per purpose: given or not, and the newest row (when, source, by whom) for the customer page."""
    from kefu.customers.models import Consent, ConsentPurpose

    out = []
    for purpose in ConsentPurpose:
        latest = (
            Consent.objects.filter(customer=customer, purpose=purpose)
            .select_related("recorded_by")
            .order_by("-id")
            .first()
        )
        out.append(
            {
                "purpose": purpose.value,
                "label": purpose.label,
                "given": bool(latest and latest.given),
                "latest": latest,
            }
        )
    return out


def consenting_customer_ids(customer_ids: list[int], purpose: str) -> set[int]:
    """Of these customers, those whose newest consent row for `purpose` is given (one query)."""
    from django.db.models import OuterRef, Subquery

    from kefu.customers.models import Consent

    latest = Consent.objects.filter(customer_id=OuterRef("pk"), purpose=purpose).order_by("-id")
    return set(
        Customer.objects.filter(pk__in=customer_ids)
        .annotate(given=Subquery(latest.values("given")[:1]))
        .filter(given=True)
        .values_list("pk", flat=True)
    )
