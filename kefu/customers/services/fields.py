"""Custom fields on customers 自定义字段: managers define them; values live in Customer.custom."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.core.errors import DomainError, PermissionRefused
from kefu.customers.models import CustomField, FieldType

MAX_FIELDS = 50
MAX_CHOICES = 50


def _require_manage(actor: User) -> None:
    if not actor.has_perm(Perm.MANAGE_SETTINGS):
        raise PermissionRefused(_("You do not have permission to do this."))


def _clean_label(label: str, *, other_than: int = 0) -> str:
    label = " ".join(label.split())
    if not label or len(label) > 40:
        raise DomainError(_("A field needs a name of at most 40 characters."))
    taken = CustomField.objects.filter(label=label).exclude(pk=other_than)
    if taken.exists():
        raise DomainError(_("A field named “%(label)s” exists already.") % {"label": label})
    return label


def _clean_choices(field_type: str, choices: list[str]) -> list[str]:
    if field_type != FieldType.CHOICE:
        return []
    options: list[str] = []
    for raw in choices:
        option = " ".join(raw.split())
        if option and option not in options:
            if len(option) > 40:
                raise DomainError(_("An option may have at most 40 characters."))
            options.append(option)
    if not options:
        raise DomainError(_("A choice field needs at least one option."))
    if len(options) > MAX_CHOICES:
        raise DomainError(_("A choice field may have at most %(n)d options.") % {"n": MAX_CHOICES})
    return options


@transaction.atomic
def define_custom_field(
    *, actor: User, label: str, field_type: str, choices: list[str] | None = None, request=None
) -> CustomField:
    """Add a field to every customer record; its code is made here and never changes."""
    _require_manage(actor)
    if field_type not in FieldType.values:
        raise DomainError(_("Choose the kind of field."))
    if CustomField.objects.count() >= MAX_FIELDS:
        raise DomainError(_("At most %(n)d custom fields can be defined.") % {"n": MAX_FIELDS})
    label = _clean_label(label)
    position = (CustomField.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    field = CustomField.objects.create(
        code=f"tmp-{position}",
        label=label,
        field_type=field_type,
        choices=_clean_choices(field_type, choices or []),
        position=position,
    )
    field.code = f"f{field.pk}"  # stable and ASCII whatever the label's language
    field.save(update_fields=["code"])
    audit(
        AuditAction.SETTINGS_CHANGED,
        actor=actor,
        obj=field,
        request=request,
        details={"change": "custom_field_defined", "type": field_type},
    )
    return field


def _field(field_id: int) -> CustomField:
    field = CustomField.objects.select_for_update().filter(pk=field_id).first()
    if field is None:
        raise DomainError(_("This custom field does not exist (any more)."))
    return field


@transaction.atomic
def change_custom_field(
    *,
    actor: User,
    field_id: int,
    label: str,
    choices: list[str] | None = None,
    position: int | None = None,
    request=None,
) -> CustomField:
    """Rename a field, change its options or its place. Its kind stays: stored values keep their
    meaning. An option in use may be dropped: the values stay on the records that have them."""
    _require_manage(actor)
    field = _field(field_id)
    before = {"label": field.label, "choices": list(field.choices), "position": field.position}
    field.label = _clean_label(label, other_than=field.pk)
    if field.field_type == FieldType.CHOICE and choices is not None:
        field.choices = _clean_choices(field.field_type, choices)
    if position is not None:
        field.position = max(0, min(position, 999))
    field.save()
    audit(
        AuditAction.SETTINGS_CHANGED,
        actor=actor,
        obj=field,
        request=request,
        details={"change": "custom_field_changed", "before": before},
    )
    return field


@transaction.atomic
def remove_custom_field(*, actor: User, field_id: int, request=None) -> None:
    """Stop showing, asking for and searching a field. The values records hold are no longer shown and
    are dropped from a record when it is next saved; a new field of the same name starts empty."""
    _require_manage(actor)
    field = _field(field_id)
    audit(
        AuditAction.SETTINGS_CHANGED,
        actor=actor,
        obj=field,
        request=request,
        details={"change": "custom_field_removed", "code": field.code},
    )
    field.delete()
