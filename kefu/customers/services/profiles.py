"""Creating and keeping customer records: 资料收集 and 资料整理."""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core import timeline
from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.events import emit
from kefu.customers import identities, selectors
from kefu.customers.documents import index_customers
from kefu.customers.events import CustomerCreated, CustomerIdentified
from kefu.customers.models import (
    ContactIdentity,
    Customer,
    CustomField,
    DuplicateCandidate,
    FieldType,
    Gender,
    IdentityKind,
    Tag,
)

# What a complete record has (完整性); the completeness score names the missing ones.
COMPLETENESS_FIELDS = {
    "name": gettext_lazy("name"),
    "mobile": gettext_lazy("mobile"),
    "gender": gettext_lazy("gender"),
    "region": gettext_lazy("province"),
    "city": gettext_lazy("city"),
    "district": gettext_lazy("district"),
    "street": gettext_lazy("street"),
    "address": gettext_lazy("address"),
}

PROFILE_FIELDS = (
    "name",
    "gender",
    "phone",
    "email",
    "region",
    "city",
    "district",
    "street",
    "address",
    "level",
    "member_no",
    "card_no",
    "source",
    "notes",
    "needed_skill",
)


class IdentityTaken(DomainError):
    """The contact point already belongs to another customer. When an existing record asked for it,
    `update_customer` proposes the pair as duplicates once the refused change has rolled back.

    The message names the other customer only to those who may open it (`named`); anyone else learns
    that the number belongs to another customer and may ask a supervisor to assign it to them
    (`assignment.request_assignment` with `kind` and `value`)."""

    status_code = 409

    def __init__(
        self,
        message: str,
        *,
        other: Customer,
        asked_by: Customer | None = None,
        reason: str = "",
        kind: str = "",
        value: str = "",
        named: bool = True,
    ):
        super().__init__(message)
        self.other = other
        self.asked_by = asked_by
        self.reason = reason
        self.kind = kind
        self.value = value
        self.named = named

    @classmethod
    def of(
        cls,
        kind: str,
        value: str,
        *,
        owner: Customer,
        actor: User | None,
        asked_by: Customer | None = None,
    ) -> IdentityTaken:
        label = IdentityKind(kind).label
        named = actor is None or selectors.may_open_customer(actor, owner)
        if named:
            message = _(
                "%(kind)s %(value)s already belongs to customer “%(name)s” (no. %(id)s)."
            ) % {
                "kind": label,
                "value": value,
                "name": owner.name,
                "id": owner.pk,
            }
        else:
            message = _(
                "%(kind)s %(value)s already belongs to another customer, whose record you may not "
                "open. Ask a supervisor to assign that customer to you."
            ) % {"kind": label, "value": value}
        return cls(
            message,
            other=owner,
            asked_by=asked_by,
            reason=_("Same %(kind)s: %(value)s") % {"kind": label, "value": value},
            kind=kind,
            value=value,
            named=named,
        )


def missing_fields(customer: object) -> list[str]:
    """The profile fields `customer` (a Customer, or its values as attributes) leaves empty."""
    missing = []
    for name, label in COMPLETENESS_FIELDS.items():
        value = getattr(customer, name)
        if not value or (name == "gender" and value == Gender.UNKNOWN):
            missing.append(str(label))
    return missing


def completeness_of(customer: object) -> int:
    return round(
        100 * (len(COMPLETENESS_FIELDS) - len(missing_fields(customer))) / len(COMPLETENESS_FIELDS)
    )


def _require_serve(actor: User | None) -> None:
    if actor is not None and not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("You do not have permission to do this."))


def clean_custom_values(values: dict) -> dict:
    """Validate values against the manager-defined fields; unknown codes are refused."""
    fields = {f.code: f for f in CustomField.objects.all()}
    cleaned = {}
    for code, raw in values.items():
        definition = fields.get(code)
        if definition is None:
            raise DomainError(_("Unknown custom field “%(code)s”.") % {"code": code})
        if raw in (None, ""):
            continue
        text = str(raw).strip()
        if definition.field_type == FieldType.NUMBER:
            try:
                cleaned[code] = str(decimal.Decimal(text))
            except decimal.InvalidOperation as error:
                raise DomainError(
                    _("“%(label)s” must be a number.") % {"label": definition.label}
                ) from error
        elif definition.field_type == FieldType.DATE:
            try:
                cleaned[code] = dt.date.fromisoformat(text).isoformat()
            except ValueError as error:
                raise DomainError(
                    _("“%(label)s” must be a date such as 2026-11-23.")
                    % {"label": definition.label}
                ) from error
        elif definition.field_type == FieldType.CHOICE:
            if text not in definition.choices:
                raise DomainError(
                    _("“%(label)s” must be one of: %(choices)s.")
                    % {"label": definition.label, "choices": "、".join(definition.choices)}
                )
            cleaned[code] = text
        else:
            cleaned[code] = text[:200]
    return cleaned


@dataclass
class ContactPoints:
    """Contact points to attach, already typed by kind: {"mobile": ["138…"], "wechat": ["wxid_…"]}."""

    values: dict[str, list[str]] = field(default_factory=dict)

    def normalised(self) -> list[tuple[str, str]]:
        pairs = []
        for kind, raw_values in self.values.items():
            for raw in raw_values:
                if raw and raw.strip():
                    pairs.append((kind, identities.normalise(kind, raw)))
        return list(dict.fromkeys(pairs))


def _attach_identities(
    customer: Customer, pairs: list[tuple[str, str]], *, actor: User | None
) -> None:
    """Attach contact points; one owned by another customer raises IdentityTaken."""
    for kind, value in pairs:
        owner = (
            ContactIdentity.objects.filter(kind=kind, value=value)
            .exclude(customer=customer)
            .select_related("customer")
            .first()
        )
        if owner is not None:
            raise IdentityTaken.of(
                kind, value, owner=owner.customer, actor=actor, asked_by=customer
            )
        try:
            with transaction.atomic():
                ContactIdentity.objects.get_or_create(customer=customer, kind=kind, value=value)
        except (
            IntegrityError
        ) as error:  # taken by a concurrent save between the check and the insert
            raise DomainError(
                _("%(value)s was just taken by another customer; reload and try again.")
                % {"value": value}
            ) from error
    _sync_primary_contacts(customer)


def _sync_primary_contacts(customer: Customer) -> None:
    """Mirror the first mobile and e-mail on the customer row (display, masking, last-four search)."""
    mobiles = list(
        customer.identities.filter(kind=IdentityKind.MOBILE)
        .order_by("id")
        .values_list("value", flat=True)
    )
    emails = list(
        customer.identities.filter(kind=IdentityKind.EMAIL)
        .order_by("id")
        .values_list("value", flat=True)
    )
    customer.mobile = mobiles[0] if mobiles else ""
    customer.mobile_last4 = customer.mobile[-4:] if customer.mobile else ""
    if emails and not customer.email:
        customer.email = emails[0]
    customer.completeness = completeness_of(customer)
    customer.save(update_fields=["mobile", "mobile_last4", "email", "completeness", "updated_at"])
    # Every change of a profile or of its contact points ends here: its words change with it.
    index_customers([customer.pk])


def propose_duplicate(
    *, customer: Customer, other: Customer, reason: str
) -> DuplicateCandidate | None:
    if customer.pk == other.pk or customer.pk is None or other.pk is None:
        return None
    first, second = sorted([customer, other], key=lambda c: c.pk)
    candidate, _created = DuplicateCandidate.objects.get_or_create(
        customer=first, other=second, defaults={"reason": reason[:200]}
    )
    return candidate


@transaction.atomic
def create_customer(
    *,
    actor: User | None,
    name: str,
    contacts: ContactPoints | None = None,
    tags: list[str] | None = None,
    custom: dict | None = None,
    **profile,
) -> Customer:
    """Capture a new customer (资料收集). A contact point that belongs to someone else is refused
    with IdentityTaken: naming that customer to those who may open it, so they open the existing
    record instead; telling anyone else only that it belongs to another customer."""
    _require_serve(actor)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("The customer needs a name."))
    pairs = (contacts or ContactPoints()).normalised()
    for kind, value in pairs:
        existing = (
            ContactIdentity.objects.filter(kind=kind, value=value)
            .select_related("customer")
            .first()
        )
        if existing is not None:
            raise IdentityTaken.of(kind, value, owner=existing.customer, actor=actor)
    unknown = set(profile) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    customer = Customer(
        name=name[:60], created_by=actor, custom=clean_custom_values(custom or {}), **profile
    )
    if customer.email:
        customer.email = identities.normalise_email(customer.email)
        if (IdentityKind.EMAIL, customer.email) not in pairs:
            pairs.append((IdentityKind.EMAIL, customer.email))
    customer.save()
    _attach_identities(customer, pairs, actor=actor)
    if tags:
        customer.tags.set(_tags(tags))
    timeline.record(
        subject=customer,
        customer_id=customer.pk,
        kind="customers.created",
        actor=actor,
        summary=_("Customer record created"),
    )
    emit(CustomerCreated(customer_id=customer.pk, created_by_id=actor.pk if actor else None))
    return customer


def _tags(names: list[str]) -> list[Tag]:
    cleaned = [n.strip()[:30] for n in names if n and n.strip()]
    return [Tag.objects.get_or_create(name=n)[0] for n in dict.fromkeys(cleaned)]


def update_customer(*, actor: User, customer: Customer, **changes) -> Customer:
    """Change the profile; new contact points are added. A contact point already owned by another
    customer refuses the whole change (IdentityTaken) and proposes the two as duplicates for a
    supervisor to merge. Correcting a record clears its accuracy doubt."""
    try:
        return _update_customer(actor=actor, customer=customer, **changes)
    except IdentityTaken as taken:
        if taken.asked_by is not None:  # recorded after the refused change rolled back
            propose_duplicate(customer=taken.other, other=taken.asked_by, reason=taken.reason)
        raise


@transaction.atomic
def _update_customer(
    *,
    actor: User,
    customer: Customer,
    contacts: ContactPoints | None = None,
    tags: list[str] | None = None,
    custom: dict | None = None,
    **profile,
) -> Customer:
    _require_serve(actor)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = _identified_by(customer)
    unknown = set(profile) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    changed = []
    for name, value in profile.items():
        if name == "email" and value:
            value = identities.normalise_email(value)
        if name == "name":
            value = (value or "").strip()[:60]
            if not value:
                raise DomainError(_("The customer needs a name."))
        if getattr(customer, name) != value:
            setattr(customer, name, value)
            changed.append(name)
    if custom is not None:
        cleaned = clean_custom_values(custom)
        if cleaned != customer.custom:
            customer.custom = cleaned
            changed.append("custom")
    if changed:
        customer.accuracy_flag = ""
    customer.save()
    pairs = (contacts or ContactPoints()).normalised()
    if customer.email and (IdentityKind.EMAIL, customer.email) not in pairs:
        pairs.append((IdentityKind.EMAIL, customer.email))
    _attach_identities(customer, pairs, actor=actor)
    if tags is not None:
        customer.tags.set(_tags(tags))
        changed.append("tags")
    if changed or pairs:
        timeline.record(
            subject=customer,
            customer_id=customer.pk,
            kind="customers.updated",
            actor=actor,
            summary=_("Customer record updated"),
            data={"fields": changed},
        )
    _emit_if_identified_differently(customer, before)
    return customer


def _identified_by(customer: Customer) -> dict[str, str]:
    return {"name": customer.name, "mobile": customer.mobile}


def _emit_if_identified_differently(customer: Customer, before: dict[str, str]) -> None:
    after = _identified_by(customer)
    fields = tuple(name for name in after if after[name] != before[name])
    if fields:
        emit(CustomerIdentified(customer_id=customer.pk, fields=fields))


@transaction.atomic
def remove_identity(*, actor: User, customer: Customer, identity_id: int) -> None:
    _require_serve(actor)
    before = _identified_by(customer)
    deleted, _rows = ContactIdentity.objects.filter(pk=identity_id, customer=customer).delete()
    if not deleted:
        raise DomainError(_("That contact point is not on this customer."))
    _sync_primary_contacts(customer)
    _emit_if_identified_differently(customer, before)
    timeline.record(
        subject=customer,
        customer_id=customer.pk,
        kind="customers.updated",
        actor=actor,
        summary=_("Contact point removed"),
    )


class ContactKind:
    CALL = "call"
    VISIT = "visit"
    CHAT = "chat"
    EMAIL = "email"
    SMS = "sms"
    LABELS = {
        CALL: gettext_lazy("Phone call"),
        VISIT: gettext_lazy("Visit"),
        CHAT: gettext_lazy("Chat"),
        EMAIL: gettext_lazy("E-mail"),
        SMS: gettext_lazy("SMS"),
    }


def counts_for_contact_rule(actor: User | None, customer: Customer) -> bool:
    """The seven-day rule (seed 000: 责任客服在一周内通过电话、邮件或短信联系客户) is met by the
    customer's owner, or by a supervisor acting for them; anyone else's contact is recorded but
    leaves the owner's due date as it is."""
    if actor is None:
        return False
    return actor.pk == customer.owner_id or actor.has_perm(Perm.ASSIGN_WORK)


@transaction.atomic
def note_contact(*, actor: User | None, customer_id: int, at: dt.datetime) -> Customer | None:
    """A contact made through a channel that records it on the timeline itself (a chat, an e-mail,
    an SMS): the customer's last contact moves, and the seven-day rule is met when it counts."""
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        return None
    fields = ["updated_at"]
    if customer.last_contacted_at is None or at > customer.last_contacted_at:
        customer.last_contacted_at = at
        fields.append("last_contacted_at")
    if customer.contact_due_at is not None and counts_for_contact_rule(actor, customer):
        customer.contact_due_at = None
        customer.contact_reminded_at = None
        fields += ["contact_due_at", "contact_reminded_at"]
    if len(fields) > 1:
        customer.save(update_fields=fields)
    return customer


@transaction.atomic
def record_contact(
    *,
    actor: User | None,
    customer: Customer,
    kind: str,
    note: str = "",
    at: dt.datetime | None = None,
) -> Customer:
    """A call or visit with the customer happened: it shows on the timeline and meets the seven-day
    rule when the owner (or a supervisor) made it. Channels with their own timeline entries (chats,
    e-mail, SMS) call note_contact instead."""
    _require_serve(actor)
    if kind not in ContactKind.LABELS:
        raise DomainError(_("Unknown kind of contact."))
    at = at or timezone.now()
    customer = note_contact(actor=actor, customer_id=customer.pk, at=at) or customer
    timeline.record(
        subject=customer,
        customer_id=customer.pk,
        kind="customers.contacted",
        actor=actor,
        summary=(
            f"{ContactKind.LABELS[kind]}：{note.strip()}"
            if note.strip()
            else str(ContactKind.LABELS[kind])
        )[:300],
        occurred_at=at,
        data={"contact_kind": kind},
    )
    return customer


def _require_review(actor: User) -> None:
    if not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("You do not have permission to do this."))


@transaction.atomic
def mark_reviewed(*, actor: User, customer: Customer) -> Customer:
    """A supervisor has checked the record (资料整理)."""
    _require_review(actor)
    customer.reviewed_at = timezone.now()
    customer.reviewed_by = actor
    customer.save(update_fields=["reviewed_at", "reviewed_by", "updated_at"])
    timeline.record(
        subject=customer,
        customer_id=customer.pk,
        kind="customers.reviewed",
        actor=actor,
        summary=_("Record reviewed"),
    )
    return customer


@transaction.atomic
def flag_accuracy(*, actor: User, customer: Customer, doubt: str) -> Customer:
    """Mark what looks wrong (准确性); the record returns to the review queue until corrected."""
    _require_review(actor)
    doubt = doubt.strip()[:200]
    if not doubt:
        raise DomainError(_("Say what looks wrong."))
    customer.accuracy_flag = doubt
    customer.save(update_fields=["accuracy_flag", "updated_at"])
    timeline.record(
        subject=customer,
        customer_id=customer.pk,
        kind="customers.flagged",
        actor=actor,
        summary=_("Accuracy doubt: %(doubt)s") % {"doubt": doubt},
        is_internal=True,
    )
    return customer
