"""Duplicates proposed and merged. A merge keeps one survivor and moves everything else to it."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.core import search, timeline
from kefu.core.errors import Conflict, DomainError, PermissionRefused
from kefu.core.events import emit
from kefu.core.models import TimelineEntry
from kefu.customers.documents import CUSTOMERS
from kefu.customers.events import CustomersMerged
from kefu.customers.models import ContactIdentity, Customer, DuplicateCandidate, DuplicateStatus
from kefu.customers.services.profiles import (
    PROFILE_FIELDS,
    _sync_primary_contacts,
    completeness_of,
    propose_duplicate,
)

# Fields copied from the merged record when the survivor's are empty.
FILLABLE = [f for f in PROFILE_FIELDS if f not in {"level", "source", "needed_skill"}]
LEVEL_RANK = {"regular": 0, "member": 1, "vip": 2}


def _require(actor: User) -> None:
    if not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("You do not have permission to do this."))


@transaction.atomic
def merge_customers(
    *, actor: User, survivor: Customer, duplicate: Customer, request=None
) -> Customer:
    """Merge `duplicate` into `survivor`: contact points, tags, history and every record that points
    at the duplicate (tickets, chats, visits… as those apps land) move to the survivor; empty fields
    are filled from the duplicate; the duplicate's id redirects to the survivor. Audited."""
    _require(actor)
    if survivor.pk == duplicate.pk:
        raise DomainError(_("A customer cannot be merged with itself."))
    survivor, duplicate = (
        Customer.objects.select_for_update().get(pk=survivor.pk),
        Customer.objects.select_for_update().get(pk=duplicate.pk),
    )
    if survivor.is_merged or duplicate.is_merged:
        raise DomainError(_("One of these customers has already been merged; reload the page."))

    for name in FILLABLE:
        if not getattr(survivor, name) and getattr(duplicate, name):
            setattr(survivor, name, getattr(duplicate, name))
    if LEVEL_RANK[duplicate.level] > LEVEL_RANK[survivor.level]:
        survivor.level = duplicate.level
    survivor.custom = {**duplicate.custom, **survivor.custom}
    if survivor.owner_id is None:
        survivor.owner_id = duplicate.owner_id
        survivor.owner_assigned_at, survivor.contact_due_at = (
            duplicate.owner_assigned_at,
            duplicate.contact_due_at,
        )
    survivor.last_contacted_at = max(
        filter(None, [survivor.last_contacted_at, duplicate.last_contacted_at]), default=None
    )
    survivor.completeness = completeness_of(survivor)
    survivor.save()

    ContactIdentity.objects.filter(customer=duplicate).update(customer=survivor)
    survivor.tags.add(*duplicate.tags.all())
    TimelineEntry.objects.filter(customer_id=duplicate.pk).update(customer_id=survivor.pk)
    moved = _move_linked_records(duplicate, survivor)

    duplicate.merged_into = survivor
    duplicate.save(update_fields=["merged_into", "updated_at"])
    _carry_over_duplicate_pairs(actor, duplicate, survivor)
    _sync_primary_contacts(survivor)
    search.remove(CUSTOMERS, [duplicate.pk])  # the survivor is found by the duplicate's words
    timeline.record(
        subject=survivor,
        customer_id=survivor.pk,
        kind="customers.merged",
        actor=actor,
        summary=_("Merged with customer no. %(id)s (%(name)s)")
        % {"id": duplicate.pk, "name": duplicate.name},
        data={"merged_id": duplicate.pk, "moved": moved},
    )
    audit(
        AuditAction.MERGE,
        actor=actor,
        obj=survivor,
        request=request,
        details={"merged_id": duplicate.pk, "merged_name": duplicate.name, "moved": moved},
    )
    emit(CustomersMerged(survivor_id=survivor.pk, merged_id=duplicate.pk, merged_by_id=actor.pk))
    return survivor


def _carry_over_duplicate_pairs(actor: User, duplicate: Customer, survivor: Customer) -> None:
    """Close every open pair naming the merged record; a pair with a third customer is proposed again
    for the survivor, so no suggestion is lost and none points at a merged id."""
    pairs = DuplicateCandidate.objects.filter(
        Q(customer=duplicate) | Q(other=duplicate), status=DuplicateStatus.OPEN
    )
    for pair in pairs:
        third = pair.other if pair.customer_id == duplicate.pk else pair.customer
        if third.pk != survivor.pk and not third.is_merged:
            propose_duplicate(customer=survivor, other=third, reason=pair.reason)
    pairs.update(status=DuplicateStatus.MERGED, decided_by=actor)


def _move_linked_records(duplicate: Customer, survivor: Customer) -> dict[str, int]:
    """Point every foreign key to the duplicate at the survivor, whatever app it lives in."""
    moved = {}
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        assert not isinstance(model, str)  # resolved once the apps are loaded
        if (
            model in (ContactIdentity, DuplicateCandidate)
            or relation.many_to_many
            or model is Customer
        ):
            continue
        field = relation.field
        count = model._default_manager.filter(**{field.name: duplicate}).update(
            **{field.name: survivor}
        )
        if count:
            moved[model._meta.label_lower] = count
    return moved


@transaction.atomic
def dismiss_duplicate(*, actor: User, candidate: DuplicateCandidate) -> None:
    _require(actor)
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != DuplicateStatus.OPEN:
        raise Conflict(_("This pair has already been decided; reload the page."))
    candidate.status = DuplicateStatus.DISMISSED
    candidate.decided_by = actor
    candidate.save(update_fields=["status", "decided_by"])
