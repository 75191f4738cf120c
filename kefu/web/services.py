"""Writes of the application shell: the business calendar's own days (managers' overrides)."""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction
from kefu.accounts.roles import Perm
from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.models import CalendarDay, CalendarDayKind


def _require_settings(actor) -> None:
    if not actor.has_perm(Perm.MANAGE_SETTINGS):
        raise PermissionRefused(_("You do not have permission to do this."))


@transaction.atomic
def set_calendar_day(
    *, actor, date: dt.date, kind: str, name: str = "", request=None
) -> CalendarDay:
    """Declare `date` a day off or a working day, overriding the statutory calendar."""
    _require_settings(actor)
    if kind not in CalendarDayKind.values:
        raise DomainError(_("Unknown day kind."))
    day, created = CalendarDay.objects.update_or_create(
        date=date, defaults={"kind": kind, "name": name.strip()[:60]}
    )
    audit(
        AuditAction.CALENDAR_CHANGED,
        actor=actor,
        obj=day,
        request=request,
        details={"date": date.isoformat(), "kind": kind, "name": day.name, "created": created},
    )
    return day


@transaction.atomic
def remove_calendar_day(*, actor, day: CalendarDay, request=None) -> None:
    _require_settings(actor)
    audit(
        AuditAction.CALENDAR_CHANGED,
        actor=actor,
        obj=day,
        request=request,
        details={"date": day.date.isoformat(), "removed": True},
    )
    day.delete()
