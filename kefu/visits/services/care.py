"""Customer care 客户关怀 (seed 001: 短信关怀): birthday, holiday and after-purchase SMS, sent through
kefu/sms at their time (or the same template's text by e-mail to a customer with an e-mail address
and no mobile, or when e-mail is chosen), never in the customer's quiet hours (一个避免), and only to customers who
consented to care messages (customers.selectors.has_consent); a withdrawn consent (退订) is checked
again at sending time."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core import timeline
from kefu.core.errors import DomainError, PermissionRefused
from kefu.customers.models import ConsentPurpose, Customer, Level
from kefu.customers.selectors import consenting_customer_ids, has_consent
from kefu.visits import quiet, selectors
from kefu.visits.mail import send_customer_email
from kefu.visits.models import CareKind, CareMessage, CareState, VisitChannel

logger = logging.getLogger(__name__)

CHUNK = 2000
TEMPLATES = {
    CareKind.BIRTHDAY: "care_birthday",
    CareKind.HOLIDAY: "care_holiday",
    CareKind.AFTER_PURCHASE: "care_after_purchase",
}
SEND_HOUR = dt.time(10, 0)  # local time a scheduled care message goes out by default
AFTER_PURCHASE_DAYS = 3


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
    at `send_at` moved out of quiet hours. `channel` "sms" or "email"; none: SMS to a customer
    with a mobile, else e-mail to one with an address. Customers without consent or without the
    number or address get a `skipped` row saying why, so the list shows who was left out. Chunked:
    memory flat in the number."""
    if actor is not None and not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("Your role may not schedule care messages."))
    if kind not in CareKind.values:
        raise DomainError(_("Unknown kind of care message."))
    if channel not in ("", VisitChannel.SMS, VisitChannel.EMAIL):
        raise DomainError(_("Care messages go by SMS or e-mail."))
    template_code = template_code or TEMPLATES[CareKind(kind)]
    params = {str(k): str(v)[:60] for k, v in (params or {}).items()}
    params = _check_template(template_code, params)
    send_at = send_at or dt.datetime.combine(occasion, SEND_HOUR, _zone())
    windows = quiet.parse_windows(selectors.rules().quiet_hours)
    send_at = quiet.next_allowed(send_at, windows)
    counts = {"scheduled": 0, "skipped": 0}
    ids = iter(customers)
    while True:
        chunk = [i for _, i in zip(range(CHUNK), ids, strict=False)]
        if not chunk:
            break
        rows = {
            pk: (mobile, email)
            for pk, mobile, email in Customer.objects.filter(
                pk__in=chunk, merged_into__isnull=True
            ).values_list("pk", "mobile", "email")
        }
        consenting = consenting_customer_ids(list(rows), ConsentPurpose.CARE)
        messages = []
        for customer_id, (mobile, email) in rows.items():
            reason = ""
            way = channel or (VisitChannel.EMAIL if email and not mobile else VisitChannel.SMS)
            if customer_id not in consenting:
                reason = _("No consent to care messages.")
            elif way == VisitChannel.SMS and not mobile:
                reason = (
                    _("No mobile number.") if channel else _("No mobile number or e-mail address.")
                )
            elif way == VisitChannel.EMAIL and not email:
                reason = _("No e-mail address.")
            messages.append(
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
            )
            counts["skipped" if reason else "scheduled"] += 1
        with transaction.atomic():
            CareMessage.objects.bulk_create(messages, ignore_conflicts=True)
    return counts


def schedule_holiday(
    *,
    actor: User,
    occasion: dt.date,
    holiday: str,
    send_at: dt.datetime | None = None,
    levels: list[str] | None = None,
    template_code: str = "",
) -> dict[str, int]:
    """A holiday greeting (节日关怀) to the members of the chosen levels (all customers: none)."""
    holiday = " ".join(holiday.split())[:30]
    if not holiday:
        raise DomainError(_("Name the holiday."))
    if levels and any(level not in Level.values for level in levels):
        raise DomainError(_("Unknown membership level."))
    qs = Customer.objects.filter(merged_into__isnull=True)
    if levels:
        qs = qs.filter(level__in=levels)
    return schedule_care(
        actor=actor,
        kind=CareKind.HOLIDAY,
        occasion=occasion,
        customers=qs.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=CHUNK),
        send_at=send_at,
        template_code=template_code,
        params={"holiday": holiday},
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


def send_due_care(*, now: dt.datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Send the care messages whose time has come, consent checked again (退订 in the meantime
    wins). In quiet hours nothing goes out: they wait for the end of the window."""
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
    for message in due:
        customer = message.customer
        if not has_consent(customer, ConsentPurpose.CARE):
            message.state, message.reason = CareState.SKIPPED, _("Consent withdrawn.")
            message.save(update_fields=["state", "reason"])
            counts["skipped"] += 1
            continue
        values = {"name": customer.name[:1], **message.params}
        if message.channel == VisitChannel.EMAIL:
            counts[_send_by_email(message, values, now=now)] += 1
            continue
        try:
            result = send_sms(customer.mobile, message.template_code, values, customer=customer)
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


def _send_by_email(message: CareMessage, values: dict[str, str], *, now: dt.datetime) -> str:
    """The care template's text by e-mail (the same words as the SMS); "sent" or "failed"."""
    from kefu.sms.models import SmsTemplate

    customer = message.customer
    template = SmsTemplate.objects.filter(code=message.template_code).first()
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
