"""What an agent may promise about shipping, in one line (seed 002 ⑧⑨): with stock, paid before the
cut-off (16:00 by default, KEFU_SHIPPING_CUTOFF) on a working day → ships today; otherwise on the
next working day; without stock, say so and check with the warehouse before promising a date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core.business_calendar import BusinessCalendar
from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.text import strip_control_characters
from kefu.orders.models import Stock

WEEKDAYS = "一二三四五六日"


def cutoff() -> dt.time:
    hours, _sep, minutes = str(settings.KEFU_SHIPPING_CUTOFF).partition(":")
    try:
        return dt.time(int(hours), int(minutes or 0))
    except ValueError:
        return dt.time(16, 0)


def next_working_day(day: dt.date, calendar: BusinessCalendar | None = None) -> dt.date:
    calendar = calendar or BusinessCalendar()
    day += dt.timedelta(days=1)
    for _i in range(60):
        if calendar.is_working_day(day):
            return day
        day += dt.timedelta(days=1)
    return day


def ship_day(*, paid_at: dt.datetime, in_stock: bool) -> dt.date | None:
    """The day an order paid at `paid_at` ships, or None when it has no stock (ask the warehouse)."""
    if not in_stock:
        return None
    calendar = BusinessCalendar()
    local = timezone.localtime(paid_at)
    day = local.date()
    if calendar.is_working_day(day) and local.time() < cutoff():
        return day
    return next_working_day(day, calendar)


@dataclass(frozen=True)
class Promise:
    sku: str
    in_stock: int | None  # None: the SKU is unknown
    ships_on: dt.date | None
    line: str


def _day_words(day: dt.date, today: dt.date) -> str:
    if day == today:
        return _("today")
    if day == today + dt.timedelta(days=1):
        return _("tomorrow")
    return _("%(date)s (weekday %(weekday)s)") % {
        "date": day.strftime("%m-%d"),
        "weekday": WEEKDAYS[day.weekday()],
    }


def promise_for(*, sku: str, paid_at: dt.datetime | None = None) -> Promise:
    """The one line to tell the buyer about `sku` if they pay at `paid_at` (now by default)."""
    paid_at = paid_at or timezone.now()
    stock = Stock.objects.filter(sku=sku.strip()).first()
    today = timezone.localdate(paid_at)
    if stock is None:
        return Promise(
            sku, None, None, _("Unknown SKU %(sku)s: check with the warehouse.") % {"sku": sku[:64]}
        )
    if stock.quantity <= 0:
        return Promise(
            sku,
            stock.quantity,
            None,
            _("%(sku)s is out of stock: check with the warehouse before promising a date.")
            % {"sku": stock.sku},
        )
    day = ship_day(paid_at=paid_at, in_stock=True)
    return Promise(
        sku,
        stock.quantity,
        day,
        _("%(sku)s: %(count)d in stock; paid now, it ships %(day)s (cut-off %(cutoff)s).")
        % {
            "sku": stock.sku,
            "count": stock.quantity,
            "day": _day_words(day, today) if day else "",
            "cutoff": cutoff().strftime("%H:%M"),
        },
    )


def promise_today(now: dt.datetime | None = None) -> str:
    """The day an order paid now ships when it has stock, in words (the stock page's header)."""
    now = now or timezone.now()
    day = ship_day(paid_at=now, in_stock=True)
    assert day is not None
    return _day_words(day, timezone.localdate(now))


@transaction.atomic
def set_stock(*, actor: User, sku: str, quantity: int, name: str = "") -> Stock:
    """The warehouse's or the shop system's count for one SKU (supervisors, API tokens)."""
    if not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("You do not have permission to do this."))
    sku = (sku or "").strip()
    if not sku or len(sku) > 64:
        raise DomainError(_("Give the SKU (at most 64 characters)."))
    if not -1_000_000 <= quantity <= 10_000_000:
        raise DomainError(_("The quantity is out of range."))
    name = strip_control_characters(name or "").strip()[:200]
    stock, _created = Stock.objects.update_or_create(
        sku=sku, defaults={"quantity": quantity, **({"name": name} if name else {})}
    )
    return stock
