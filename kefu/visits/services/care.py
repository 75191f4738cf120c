"""Customer care 客户关怀 (seed 001: 短信关怀): birthday, holiday and after-purchase greetings, and
event and promotion messages (活动/促销关怀), sent through kefu/sms at their time (or the same
template's text by e-mail: to a customer with an e-mail address and no mobile, or to everyone when
e-mail is chosen), never in the customer's quiet hours (一个避免), and only to customers who
consented (customers.selectors: care messages for greetings, marketing messages for events and
promotions); a withdrawn consent (退订) is checked again at sending time.

A holiday is one of the business calendar's festivals (core.business_calendar.holidays_between:
the statutory ones with their lunar dates and the managers' named days off); an event or a
promotion is a day, a range over the archive (the plans' rules, selectors.select_customers) and
its words. Either is previewed with its counts (who would get it, who is left out and why) before
it is scheduled."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core import timeline
from kefu.core.business_calendar import BusinessCalendar, is_festival
from kefu.core.errors import DomainError, PermissionRefused
from kefu.customers.models import ConsentPurpose, Customer, Level
from kefu.customers.selectors import consenting_customer_ids
from kefu.visits import quiet, selectors
from kefu.visits.mail import send_customer_email
from kefu.visits.models import CareKind, CareMessage, CareState, VisitChannel

if TYPE_CHECKING:
    from kefu.sms.models import SmsTemplate

logger = logging.getLogger(__name__)

CHUNK = 2000
TEMPLATES = {
    CareKind.BIRTHDAY: "care_birthday",
    CareKind.HOLIDAY: "care_holiday",
    CareKind.AFTER_PURCHASE: "care_after_purchase",
    CareKind.EVENT: "care_event",
    CareKind.PROMOTION: "care_promotion",
}
# The consent each kind needs: greetings are care, events and promotions are marketing.
PURPOSES = {
    CareKind.BIRTHDAY: ConsentPurpose.CARE,
    CareKind.HOLIDAY: ConsentPurpose.CARE,
    CareKind.AFTER_PURCHASE: ConsentPurpose.CARE,
    CareKind.EVENT: ConsentPurpose.MARKETING,
    CareKind.PROMOTION: ConsentPurpose.MARKETING,
}
# The range a care message may have: the plans' rules about who the customer is (a plan's
# period-bound rules, birthdays and cards in the period, recent complaints, make no sense here).
RANGE_KEYS = ("levels", "region", "city", "district", "street", "owner_id", "tag_id")
SEND_HOUR = dt.time(10, 0)  # local time a scheduled care message goes out by default
AFTER_PURCHASE_DAYS = 3
HOLIDAYS_AHEAD = 366  # the festivals offered: the coming year's
SAMPLE = 20  # names shown per reason in a preview


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _check_template(template_code: str, extra: dict[str, str]) -> dict[str, str]:
    """The template exists and care can fill each of its variables ({name} and the extras): the
    extras the template uses are returned; an unknown variable is refused before anything is
    scheduled."""
    from kefu.sms.models import SmsTemplate

    template = SmsTemplate.objects.filter(code=template_code).first()
    if template is None:
        raise DomainError(
            _("There is no SMS template with the code “%(code)s”.") % {"code": template_code}
        )
    unknown = [v for v in template.variables if v != "name" and v not in extra]
    if unknown:
        raise DomainError(
            _("The SMS template “%(template)s” has no value for: %(names)s.")
            % {"template": template.name, "names": ", ".join(unknown)}
        )
    return {k: v for k, v in extra.items() if k in template.variables}


def _check_channel(channel: str) -> None:
    if channel not in ("", VisitChannel.SMS, VisitChannel.EMAIL):
        raise DomainError(_("Care messages go by SMS or e-mail."))


def _classify(
    ids: Iterable[int], *, purpose: str, channel: str
) -> Iterator[list[tuple[int, str, str, str]]]:
    """Per chunk of customers: (customer id, name, the channel it goes by, why it is left out or
    ""). `channel` "sms" or "email"; none: SMS to a customer with a mobile, else e-mail to one with
    an address. Merged records are dropped. Chunked: memory flat in the number."""
    iterator = iter(ids)
    while True:
        chunk = [i for _, i in zip(range(CHUNK), iterator, strict=False)]
        if not chunk:
            return
        rows = {
            pk: (name, mobile, email)
            for pk, name, mobile, email in Customer.objects.filter(
                pk__in=chunk, merged_into__isnull=True
            ).values_list("pk", "name", "mobile", "email")
        }
        consenting = consenting_customer_ids(list(rows), purpose)
        out = []
        for customer_id, (name, mobile, email) in rows.items():
            reason = ""
            way = channel or (VisitChannel.EMAIL if email and not mobile else VisitChannel.SMS)
            if customer_id not in consenting:
                reason = (
                    _("No consent to marketing messages.")
                    if purpose == ConsentPurpose.MARKETING
                    else _("No consent to care messages.")
                )
            elif way == VisitChannel.SMS and not mobile:
                reason = (
                    _("No mobile number.") if channel else _("No mobile number or e-mail address.")
                )
            elif way == VisitChannel.EMAIL and not email:
                reason = _("No e-mail address.")
            out.append((customer_id, name, way, reason))
        yield out


def schedule_care(
    *,
    actor: User | None,
    kind: str,
    occasion: dt.date,
    customers: Iterable[int],
    send_at: dt.datetime | None = None,
    template_code: str = "",
    params: dict[str, str] | None = None,
    channel: str = "",
) -> dict[str, int]:
    """Schedule one care message per customer for the occasion (once per customer, kind and day),
    at `send_at` moved out of quiet hours. Customers without the kind's consent or without the
    number or address get a `skipped` row saying why, so the list shows who was left out."""
    if actor is not None and not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("Your role may not schedule care messages."))
    if kind not in CareKind.values:
        raise DomainError(_("Unknown kind of care message."))
    _check_channel(channel)
    template_code = template_code or TEMPLATES[CareKind(kind)]
    params = {str(k): str(v)[:60] for k, v in (params or {}).items()}
    params = _check_template(template_code, params)
    send_at = send_at or dt.datetime.combine(occasion, SEND_HOUR, _zone())
    windows = quiet.parse_windows(selectors.rules().quiet_hours)
    send_at = quiet.next_allowed(send_at, windows)
    counts = {"scheduled": 0, "skipped": 0}
    for rows in _classify(customers, purpose=PURPOSES[CareKind(kind)], channel=channel):
        messages = [
            CareMessage(
                customer_id=customer_id,
                kind=kind,
                channel=way,
                template_code=template_code,
                params=params,
                scheduled_at=send_at,
                occasion=occasion,
                state=CareState.SKIPPED if reason else CareState.SCHEDULED,
                reason=reason,
                created_by=actor,
            )
            for customer_id, _name, way, reason in rows
        ]
        counts["scheduled"] += sum(1 for m in messages if not m.reason)
        counts["skipped"] += sum(1 for m in messages if m.reason)
        with transaction.atomic():
            CareMessage.objects.bulk_create(messages, ignore_conflicts=True)
    return counts


# --- holidays, events and promotions: the care page's campaigns ----------------------------------


def coming_holidays(*, today: dt.date | None = None) -> list[tuple[dt.date, str]]:
    """The business calendar's festivals of the coming year, today's included: what a holiday
    greeting may be for."""
    today = today or selectors.local_today()
    return [
        (h.date, h.name)
        for h in BusinessCalendar().holidays_between(
            today, today + dt.timedelta(days=HOLIDAYS_AHEAD)
        )
    ]


def holiday_name(day: dt.date) -> str:
    """The business calendar's festival on `day` (any of its days), or a DomainError saying it has
    none."""
    calendar = BusinessCalendar()
    name = "" if calendar.is_working_day(day) else calendar.day_name(day)
    if not is_festival(name):
        raise DomainError(
            _("%(day)s is no holiday in the business calendar.") % {"day": day.isoformat()}
        )
    return name


def care_range(rules: dict[str, Any] | None) -> dict[str, Any]:
    """A care message's range: the RANGE_KEYS of `rules` that hold a value (levels checked)."""
    rules = {k: v for k, v in (rules or {}).items() if k in RANGE_KEYS and v not in (None, "", [])}
    levels = rules.get("levels") or []
    if any(level not in Level.values for level in levels):
        raise DomainError(_("Unknown membership level."))
    return rules


def _audience_ids(rules: dict[str, Any], occasion: dt.date) -> Iterator[int]:
    return (
        selectors.select_customers(care_range(rules), start=occasion, end=occasion)
        .values_list("pk", flat=True)
        .iterator(chunk_size=CHUNK)
    )


def _occasion_params(
    *, kind: str, occasion: dt.date, holiday: str = "", text: str = ""
) -> dict[str, str]:
    """The template's values for a holiday ({holiday}) or an event/promotion ({text}, {date})."""
    if kind == CareKind.HOLIDAY:
        holiday = " ".join(holiday.split())[:30] or holiday_name(occasion)
        return {"holiday": holiday}
    if kind not in (CareKind.EVENT, CareKind.PROMOTION):
        raise DomainError(_("Unknown kind of care message."))
    text = " ".join(text.split())
    if not text:
        raise DomainError(_("Say what the event or promotion is."))
    if len(text) > 60:
        raise DomainError(_("Say it in at most 60 characters: one SMS."))
    return {"text": text, "date": f"{occasion.month}月{occasion.day}日"}


def preview_care(
    *,
    actor: User,
    kind: str,
    occasion: dt.date,
    rules: dict[str, Any] | None = None,
    channel: str = "",
) -> dict[str, Any]:
    """What scheduling would do, nothing written: how many customers the range selects, how many
    would get the message by SMS and by e-mail, and who would be left out, counted by reason with
    the first names of each (no consent, no mobile, no e-mail address)."""
    if not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("Your role may not schedule care messages."))
    if kind not in CareKind.values:
        raise DomainError(_("Unknown kind of care message."))
    _check_channel(channel)
    by_channel: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    names: dict[str, list[str]] = {}
    selected = 0
    for rows in _classify(
        _audience_ids(rules or {}, occasion), purpose=PURPOSES[CareKind(kind)], channel=channel
    ):
        for _customer_id, name, way, reason in rows:
            selected += 1
            if reason:
                reasons[reason] += 1
                shown = names.setdefault(reason, [])
                if len(shown) < SAMPLE:
                    shown.append(name)
            else:
                by_channel[way] += 1
    return {
        "selected": selected,
        "sms": by_channel[VisitChannel.SMS],
        "email": by_channel[VisitChannel.EMAIL],
        "scheduled": sum(by_channel.values()),
        "skipped": sum(reasons.values()),
        "left_out": [
            {"reason": reason, "count": n, "names": names[reason]}
            for reason, n in reasons.most_common()
        ],
    }


def schedule_holiday(
    *,
    actor: User,
    occasion: dt.date,
    holiday: str = "",
    send_at: dt.datetime | None = None,
    levels: list[str] | None = None,
    rules: dict[str, Any] | None = None,
    template_code: str = "",
    channel: str = "",
) -> dict[str, int]:
    """A holiday greeting (节日关怀) to the customers in the range (everyone: none). The holiday
    is the business calendar's festival on `occasion` unless named."""
    rules = {**(rules or {}), **({"levels": levels} if levels else {})}
    params = _occasion_params(kind=CareKind.HOLIDAY, occasion=occasion, holiday=holiday)
    return schedule_care(
        actor=actor,
        kind=CareKind.HOLIDAY,
        occasion=occasion,
        customers=_audience_ids(rules, occasion),
        send_at=send_at,
        template_code=template_code,
        params=params,
        channel=channel,
    )


def schedule_event(
    *,
    actor: User,
    kind: str,
    occasion: dt.date,
    text: str,
    send_at: dt.datetime | None = None,
    rules: dict[str, Any] | None = None,
    template_code: str = "",
    channel: str = "",
) -> dict[str, int]:
    """An event or promotion message (活动/促销关怀) on `occasion` with its words, to the customers
    in the range who consented to marketing messages. One of a kind a day: a second is refused
    (its messages would collide with the first's, once per customer, kind and day)."""
    params = _occasion_params(kind=kind, occasion=occasion, text=text)
    if CareMessage.objects.filter(kind=kind, occasion=occasion).exists():
        raise DomainError(
            _("A %(kind)s message is already scheduled for %(day)s: choose another day.")
            % {"kind": CareKind(kind).label, "day": occasion.isoformat()}
        )
    return schedule_care(
        actor=actor,
        kind=kind,
        occasion=occasion,
        customers=_audience_ids(rules or {}, occasion),
        send_at=send_at,
        template_code=template_code,
        params=params,
        channel=channel,
    )


def schedule_birthdays(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Today's birthdays (custom field `birthday`, YYYY-MM-DD): a greeting at SEND_HOUR. Nothing
    (and a log line) when the `care_birthday` template is missing."""
    today = selectors.local_today(now)
    qs = Customer.objects.filter(
        merged_into__isnull=True, custom__birthday__endswith=f"-{today:%m-%d}"
    )
    try:
        return schedule_care(
            actor=None,
            kind=CareKind.BIRTHDAY,
            occasion=today,
            customers=qs.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=CHUNK),
        )
    except DomainError as refusal:
        logger.warning("birthday care not scheduled: %s", refusal.message)
        return {"scheduled": 0, "skipped": 0}


def schedule_after_purchase(*, customer_id: int, received_at: dt.datetime) -> dict[str, int] | None:
    """A thank-you some days after the buyer received the goods (售后关怀)."""
    day = received_at.astimezone(_zone()).date() + dt.timedelta(days=AFTER_PURCHASE_DAYS)
    try:
        return schedule_care(
            actor=None, kind=CareKind.AFTER_PURCHASE, occasion=day, customers=[customer_id]
        )
    except DomainError as refusal:
        logger.warning("after-purchase care not scheduled: %s", refusal.message)
        return None


def send_due_care(
    *, now: dt.datetime | None = None, limit: int = 500, backend: str | None = None
) -> dict[str, int]:
    """Send the care messages whose time has come, consent checked again (退订 in the meantime
    wins: one query per purpose for the batch). In quiet hours nothing goes out: they wait for the
    end of the window. `backend`: the SMS provider (None: the configured one; the demo's console)."""
    from kefu.sms.services import send_sms

    now = now or timezone.now()
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    if quiet.is_quiet(now, quiet.parse_windows(selectors.rules().quiet_hours)):
        return counts
    due = list(
        CareMessage.objects.filter(state=CareState.SCHEDULED, scheduled_at__lte=now)
        .select_related("customer")
        .order_by("scheduled_at", "id")[:limit]
    )
    consenting: set[tuple[str, int]] = set()
    for purpose in {PURPOSES[CareKind(m.kind)] for m in due}:
        ids = [m.customer_id for m in due if PURPOSES[CareKind(m.kind)] == purpose]
        consenting |= {(purpose, pk) for pk in consenting_customer_ids(ids, purpose)}
    # the e-mails' templates, read once for the batch
    templates = _templates({m.template_code for m in due if m.channel == VisitChannel.EMAIL})
    for message in due:
        customer = message.customer
        if (PURPOSES[CareKind(message.kind)], customer.pk) not in consenting:
            message.state, message.reason = CareState.SKIPPED, _("Consent withdrawn.")
            message.save(update_fields=["state", "reason"])
            counts["skipped"] += 1
            continue
        values = {"name": customer.name[:1], **message.params}
        if message.channel == VisitChannel.EMAIL:
            template = templates.get(message.template_code)
            counts[_send_by_email(message, template, values, now=now)] += 1
            continue
        try:
            result = send_sms(
                customer.mobile, message.template_code, values, customer=customer, backend=backend
            )
        except DomainError as refusal:
            message.state, message.reason = CareState.FAILED, refusal.message[:300]
            message.save(update_fields=["state", "reason"])
            counts["failed"] += 1
            continue
        message.sms_id = result.message_id
        message.state = CareState.SENT if result.ok else CareState.FAILED
        message.reason = result.error[:300]
        message.sent_at = now
        message.save(update_fields=["sms_id", "state", "reason", "sent_at"])
        if result.ok:
            timeline.record(
                subject=message,
                customer_id=customer.pk,
                kind="visits.care_sent",
                occurred_at=now,
                summary=_("Care message sent: %(kind)s") % {"kind": message.get_kind_display()},
                data={"care_id": message.pk, "sms_id": result.message_id},
            )
        counts["sent" if result.ok else "failed"] += 1
    return counts


def _templates(codes: set[str]) -> dict[str, SmsTemplate]:
    from kefu.sms.models import SmsTemplate

    if not codes:
        return {}
    return {t.code: t for t in SmsTemplate.objects.filter(code__in=codes)}


def _send_by_email(
    message: CareMessage,
    template: SmsTemplate | None,
    values: dict[str, str],
    *,
    now: dt.datetime,
) -> str:
    """The care template's text by e-mail (the same words as the SMS); "sent" or "failed"."""
    customer = message.customer
    try:
        if template is None:
            raise DomainError(
                _("There is no SMS template with the code “%(code)s”.")
                % {"code": message.template_code}
            )
        send_customer_email(
            customer.email, subject=message.get_kind_display(), body=template.render(values)
        )
    except DomainError as refusal:
        message.state, message.reason = CareState.FAILED, refusal.message[:300]
        message.save(update_fields=["state", "reason"])
        return "failed"
    message.state, message.reason, message.sent_at = CareState.SENT, "", now
    message.save(update_fields=["state", "reason", "sent_at"])
    timeline.record(
        subject=message,
        customer_id=customer.pk,
        kind="visits.care_sent",
        occurred_at=now,
        summary=_("Care message sent by e-mail: %(kind)s") % {"kind": message.get_kind_display()},
        data={"care_id": message.pk, "channel": VisitChannel.EMAIL},
    )
    return "sent"
