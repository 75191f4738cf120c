"""What managers set up (Perm.MANAGE_SETTINGS): categories 客诉分类, routing rules, time-limit policies."""

from __future__ import annotations

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, Department, User
from kefu.accounts.roles import Perm
from kefu.core.errors import DomainError, PermissionRefused
from kefu.tickets.models import RoutingRule, SlaPolicy, Ticket, TicketCategory
from kefu.tickets.services import sla
from kefu.tickets.states import Priority


def _require_settings(actor: User) -> None:
    if not actor.has_perm(Perm.MANAGE_SETTINGS):
        raise PermissionRefused(
            _("Only a manager may change categories, routing rules and time limits.")
        )


@transaction.atomic
def create_category(
    *, actor: User, name: str, parent_id: int | None = None, sort_order: int = 0
) -> TicketCategory:
    _require_settings(actor)
    name = " ".join(name.split())
    if not name or len(name) > 60:
        raise DomainError(_("A category needs a name of at most 60 characters."))
    parent = None
    if parent_id is not None:
        parent = TicketCategory.objects.filter(pk=parent_id).first()
        if parent is None:
            raise DomainError(_("The parent category does not exist."))
    if TicketCategory.objects.filter(parent=parent, name=name).exists():
        raise DomainError(_("A category with this name already exists here."))
    return TicketCategory.objects.create(name=name, parent=parent, sort_order=sort_order)


@transaction.atomic
def set_category_active(*, actor: User, category_id: int, active: bool) -> TicketCategory:
    """Deactivate (or reactivate) a category: new tickets cannot choose it; old tickets keep it.
    Deactivating a category deactivates its subcategories too."""
    _require_settings(actor)
    category = TicketCategory.objects.select_for_update().filter(pk=category_id).first()
    if category is None:
        raise DomainError(_("This category does not exist."))
    ids, frontier = [category.pk], [category.pk]
    if not active:
        while frontier:
            frontier = list(
                TicketCategory.objects.filter(parent_id__in=frontier)
                .exclude(pk__in=ids)
                .values_list("pk", flat=True)
            )
            ids += frontier
    TicketCategory.objects.filter(pk__in=ids).update(is_active=active)
    category.refresh_from_db()
    return category


@transaction.atomic
def delete_category(*, actor: User, category_id: int) -> None:
    """Delete a category no ticket uses and that has no subcategories; otherwise refuse and say to
    deactivate it instead. Nothing changes on refusal."""
    _require_settings(actor)
    category = TicketCategory.objects.select_for_update().filter(pk=category_id).first()
    if category is None:
        raise DomainError(_("This category does not exist."))
    in_use = Ticket.objects.filter(category=category).count()
    refusal = _(
        "Category “%(name)s” is used by %(count)d tickets or has subcategories; deactivate it instead."
    )
    if in_use or category.children.exists():
        raise DomainError(refusal % {"name": category.name, "count": in_use})
    try:
        with transaction.atomic():
            category.delete()
    except ProtectedError as error:  # a ticket took it between the check and the delete
        raise DomainError(refusal % {"name": category.name, "count": in_use}) from error
    audit(
        AuditAction.DELETE,
        actor=actor,
        object_type="tickets.ticketcategory",
        object_id=str(category_id),
        object_repr=category.name,
    )


@transaction.atomic
def set_routing_rule(
    *, actor: User, category_id: int, department_id: int | None
) -> RoutingRule | None:
    """Route a category's valid complaints to a department; None removes the rule."""
    _require_settings(actor)
    category = TicketCategory.objects.filter(pk=category_id).first()
    if category is None:
        raise DomainError(_("This category does not exist."))
    if department_id is None:
        RoutingRule.objects.filter(category=category).delete()
        return None
    if not Department.objects.filter(pk=department_id).exists():
        raise DomainError(_("This department does not exist."))
    rule, _created = RoutingRule.objects.update_or_create(
        category=category, defaults={"department_id": department_id}
    )
    return rule


@transaction.atomic
def set_sla_policy(
    *,
    actor: User,
    name: str,
    first_response_minutes: int,
    stage_minutes: int,
    resolution_minutes: int,
    category_id: int | None = None,
    priority: str = "",
) -> SlaPolicy:
    """Set the time limits (in working minutes) for a category and/or priority; replaces the active
    policy of the same scope."""
    _require_settings(actor)
    if priority and priority not in Priority.values:
        raise DomainError(_("Unknown priority."))
    if min(first_response_minutes, stage_minutes, resolution_minutes) <= 0:
        raise DomainError(_("Time limits must be positive numbers of working minutes."))
    if category_id is not None and not TicketCategory.objects.filter(pk=category_id).exists():
        raise DomainError(_("This category does not exist."))
    SlaPolicy.objects.filter(category_id=category_id, priority=priority, is_active=True).update(
        is_active=False
    )
    sla.POLICIES.changed()  # a queryset update sends no post_save
    return SlaPolicy.objects.create(
        name=name.strip()[:80] or _("Time limits"),
        category_id=category_id,
        priority=priority,
        first_response_minutes=first_response_minutes,
        stage_minutes=stage_minutes,
        resolution_minutes=resolution_minutes,
    )
