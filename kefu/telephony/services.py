"""Writes of the call records: a call entered by an agent, calls reported by the telephony system
(ringing → answered → ended, each step idempotent per call id), and linking a call to a customer."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.core import timeline
from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.events import emit
from kefu.customers import identities
from kefu.customers.models import Customer, IdentityKind
from kefu.customers.selectors import access_customer, find_by_identity
from kefu.customers.services.profiles import (
    ContactKind,
    ContactPoints,
    create_customer,
    record_contact,
    update_customer,
)
from kefu.telephony import script
from kefu.telephony.events import CallRecorded, IncomingCallRinging
from kefu.telephony.models import (
    CONTACT_OUTCOMES,
    Call,
    CallDirection,
    CallOutcome,
    CallScript,
    CallSource,
    Extension,
)

MAX_DURATION = 24 * 3600


def normalise_number(raw: str) -> str:
    """E.164 when it is a phone number; otherwise the text as sent, trimmed (e.g. "anonymous")."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        raise DomainError(_("The call needs a phone number."))
    try:
        return identities.normalise_phone(text)
    except identities.InvalidIdentity:
        cleaned = "".join(c for c in text if c.isprintable())[:32]
        if not cleaned:
            raise DomainError(_("The call needs a phone number.")) from None
        return cleaned


def customer_for_number(number: str) -> Customer | None:
    for kind in (IdentityKind.MOBILE, IdentityKind.PHONE):
        customer = find_by_identity(kind, number)
        if customer is not None:
            while customer.merged_into_id is not None:
                customer = Customer.objects.get(pk=customer.merged_into_id)
            return customer
    return None


def _require_serve(actor: User | None) -> None:
    if actor is not None and not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("You do not have permission to do this."))


def _summary(call: Call) -> str:
    parts = [call.get_direction_display(), call.get_outcome_display()]
    if call.duration_seconds:
        minutes, seconds = divmod(call.duration_seconds, 60)
        parts.append(f"{minutes}:{seconds:02d}")
    if call.subject:
        parts.append(call.subject)
    return " · ".join(str(p) for p in parts)


def _contact_actor(call: Call) -> User | None:
    """record_contact refuses actors who may not serve customers; the telephony system acts as nobody."""
    agent = call.agent
    return agent if agent is not None and agent.has_perm(Perm.SERVE_CUSTOMERS) else None


def _count_as_contact(call: Call, *, actor: User | None) -> None:
    """The customer was reached by `call`: it counts for the seven-day contact rule."""
    if call.customer is not None:
        record_contact(
            actor=actor,
            customer=call.customer,
            kind=ContactKind.CALL,
            note=_summary(call),
            at=call.started_at,
        )


def _on_record(call: Call, *, actor: User | None) -> None:
    """The call is over: it goes on the call's and the customer's history, and counts as contact when
    the customer was reached. Call inside the transaction that wrote the call."""
    counts = call.customer_id is not None and call.outcome in CONTACT_OUTCOMES
    # One entry per call on the customer's timeline: record_contact writes it when the call counts as
    # contact; otherwise the call's own entry carries the customer.
    timeline.record(
        subject=call,
        kind="telephony.call",
        actor=actor,
        summary=_summary(call),
        occurred_at=call.started_at,
        customer_id=None if counts else call.customer_id,
        data={"call_id": call.pk, "direction": call.direction, "outcome": call.outcome},
    )
    if counts:
        _count_as_contact(call, actor=_contact_actor(call))
    emit(
        CallRecorded(
            call_id=call.pk,
            customer_id=call.customer_id,
            agent_id=call.agent_id,
            outcome=call.outcome,
        )
    )


def _clean_times(
    *, started_at: dt.datetime, answered_at, ended_at, duration_seconds, outcome
) -> tuple:
    if started_at > timezone.now() + dt.timedelta(minutes=5):
        raise DomainError(_("A call cannot start in the future."))
    if answered_at is not None and answered_at < started_at:
        raise DomainError(_("A call cannot be answered before it starts."))
    if ended_at is not None and ended_at < (answered_at or started_at):
        raise DomainError(_("A call cannot end before it starts."))
    if outcome in CONTACT_OUTCOMES and answered_at is None:
        answered_at = started_at
    if duration_seconds is None:
        duration_seconds = (
            int((ended_at - answered_at).total_seconds()) if ended_at and answered_at else 0
        )
    if not 0 <= duration_seconds <= MAX_DURATION:
        raise DomainError(_("The duration must be between 0 seconds and 24 hours."))
    if outcome not in CONTACT_OUTCOMES and outcome != CallOutcome.RINGING:
        answered_at, duration_seconds = None, 0  # nobody talked
    if ended_at is None and outcome != CallOutcome.RINGING:
        ended_at = (answered_at or started_at) + dt.timedelta(seconds=duration_seconds)
    return answered_at, ended_at, duration_seconds


@transaction.atomic
def record_call(
    *,
    actor: User | None,
    direction: str,
    number: str,
    outcome: str,
    started_at: dt.datetime | None = None,
    answered_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
    duration_seconds: int | None = None,
    customer_id: int | None = None,
    agent: User | None = None,
    recording_url: str = "",
    subject: str = "",
    notes: str = "",
    source: str = CallSource.MANUAL,
    external_id: str = "",
) -> Call:
    """Record a call that has ended (the agent's work record, 《工作记录表》, or the system's report).

    The customer is the one named (the actor must be allowed to see them) or else the one whose
    mobile or landline this is; an unknown number stays unlinked until linked from the call page.
    """
    _require_serve(actor)
    if direction not in CallDirection.values:
        raise DomainError(_("Unknown call direction."))
    if outcome not in CallOutcome.values or outcome == CallOutcome.RINGING:
        raise DomainError(_("Unknown call outcome."))
    number = normalise_number(number)
    customer: Customer | None
    if customer_id is not None:
        customer = (
            access_customer(actor=actor, customer_id=customer_id)
            if actor
            else Customer.objects.get(pk=customer_id)
        )
    else:
        customer = customer_for_number(number)
    started_at = started_at or timezone.now()
    answered_at, ended_at, duration_seconds = _clean_times(
        started_at=started_at,
        answered_at=answered_at,
        ended_at=ended_at,
        duration_seconds=duration_seconds,
        outcome=outcome,
    )
    call = Call.objects.create(
        direction=direction,
        number=number,
        customer=customer,
        agent=agent if agent is not None else actor,
        started_at=started_at,
        answered_at=answered_at,
        ended_at=ended_at,
        duration_seconds=duration_seconds,
        outcome=outcome,
        recording_url=recording_url.strip(),
        subject=subject.strip()[:200],
        notes=notes.strip()[:4000],
        source=source,
        external_id=external_id[:100],
        created_by=actor,
    )
    _on_record(call, actor=actor)
    return call


@transaction.atomic
def update_call_notes(
    *, actor: User, call: Call, subject: str, notes: str, outcome: str | None = None
) -> Call:
    """Complete the work record after the call: reason, notes, and the outcome of a call the system
    reported as ringing or missed (e.g. callback requested)."""
    _require_serve(actor)
    call = (
        Call.objects.select_for_update(of=("self",))
        .select_related("customer", "agent")
        .get(pk=call.pk)
    )
    call.subject, call.notes = subject.strip()[:200], notes.strip()[:4000]
    fields = ["subject", "notes", "updated_at"]
    if outcome and outcome != call.outcome:
        if outcome not in CallOutcome.values or outcome == CallOutcome.RINGING:
            raise DomainError(_("Unknown call outcome."))
        was_contact = call.outcome in CONTACT_OUTCOMES
        call.outcome = outcome
        fields.append("outcome")
        if outcome in CONTACT_OUTCOMES and not was_contact and call.customer_id:
            _count_as_contact(call, actor=actor)
    call.save(update_fields=fields)
    timeline.record(
        subject=call, kind="telephony.updated", actor=actor, summary=_("Work record updated")
    )
    return call


@transaction.atomic
def link_call_to_customer(
    *, actor: User, call: Call, customer_id: int, keep_number: bool = True
) -> Call:
    """Link a call from an unknown number to an existing customer; the number becomes one of the
    customer's contact points (so their next call is recognised), unless it belongs to someone else."""
    _require_serve(actor)
    customer = access_customer(actor=actor, customer_id=customer_id)
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.customer_id == customer.pk:
        return call
    if call.customer_id is not None:
        raise DomainError(_("This call is already linked to another customer."))
    if keep_number and call.number.startswith("+") and customer_for_number(call.number) is None:
        update_customer(
            actor=actor,
            customer=customer,
            contacts=ContactPoints({_number_kind(call.number): [call.number]}),
        )
    call.customer = customer
    call.save(update_fields=["customer", "updated_at"])
    _after_link(call, actor=actor)
    return call


@transaction.atomic
def create_customer_from_call(*, actor: User, call: Call, name: str) -> Customer:
    """A new customer for the caller, with the call's number as their contact point."""
    _require_serve(actor)
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.customer_id is not None:
        raise DomainError(_("This call is already linked to another customer."))
    contacts = (
        ContactPoints({_number_kind(call.number): [call.number]})
        if call.number.startswith("+")
        else None
    )
    customer = create_customer(actor=actor, name=name, contacts=contacts, source="phone")
    call.customer = customer
    call.save(update_fields=["customer", "updated_at"])
    _after_link(call, actor=actor)
    return customer


def _number_kind(number: str) -> str:
    try:
        identities.normalise_mobile(number)
    except identities.InvalidIdentity:
        return IdentityKind.PHONE
    return IdentityKind.MOBILE


def _after_link(call: Call, *, actor: User) -> None:
    if call.outcome in CONTACT_OUTCOMES:
        _count_as_contact(call, actor=actor)
    else:
        timeline.record(
            subject=call,
            kind="telephony.call",
            actor=actor,
            summary=_summary(call),
            occurred_at=call.started_at,
            customer_id=call.customer_id,
            data={"call_id": call.pk},
        )


# --- The telephony system's reports (webhook) ---------------------------------------------------

WEBHOOK_EVENTS = ("call.ringing", "call.answered", "call.ended")


def agent_for(*, extension: str = "", user_id: int | None = None) -> User | None:
    if extension:
        row = Extension.objects.select_related("user").filter(number=str(extension).strip()).first()
        if row is not None and row.user.is_active:
            return row.user
    if user_id:
        return User.objects.filter(pk=user_id, is_active=True).first()
    return None


def _parse_time(value, default: dt.datetime | None = None) -> dt.datetime | None:
    if value in (None, ""):
        return default
    try:
        if isinstance(value, int | float):
            return dt.datetime.fromtimestamp(value, tz=dt.UTC)
        parsed = dt.datetime.fromisoformat(str(value))
    except (ValueError, OverflowError, OSError) as error:
        raise DomainError(_("“%(value)s” is not a time.") % {"value": str(value)[:40]}) from error
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)


def handle_telephony_event(payload: dict) -> tuple[Call, bool]:
    """Apply one event of the telephony system; (the call, whether anything changed).

    Idempotent per call id: a replayed event, or an event older than what is on record (ringing
    after the end), changes nothing. An `ended` event without the earlier ones records the whole call.
    """
    event = payload.get("event")
    if event not in WEBHOOK_EVENTS:
        raise DomainError(
            _("Unknown event; expected one of: %(names)s.") % {"names": ", ".join(WEBHOOK_EVENTS)}
        )
    call_id = str(payload.get("call_id") or "").strip()
    if not call_id or len(call_id) > 100:
        raise DomainError(_("The event needs a call_id (at most 100 characters)."))
    try:
        with transaction.atomic():
            return _apply(event, call_id, payload)
    except IntegrityError:
        # The same call id was created concurrently by another delivery: the retry finds it.
        with transaction.atomic():
            return _apply(event, call_id, payload)


def _apply(event: str, call_id: str, payload: dict) -> tuple[Call, bool]:
    call = (
        Call.objects.select_for_update(of=("self",))
        .select_related("agent", "customer")
        .filter(external_id=call_id)
        .first()
    )
    agent = agent_for(
        extension=str(payload.get("extension") or ""), user_id=_int(payload.get("user_id"))
    )
    now = timezone.now()
    if call is None:
        direction = payload.get("direction", CallDirection.INBOUND)
        if direction not in CallDirection.values:
            raise DomainError(_("Unknown call direction."))
        number = normalise_number(str(payload.get("number") or ""))
        if event == "call.ended":
            outcome = payload.get("outcome") or CallOutcome.ANSWERED
            call = record_call(
                actor=None,
                direction=direction,
                number=number,
                outcome=outcome,
                agent=agent,
                started_at=_parse_time(payload.get("started_at"), now),
                answered_at=_parse_time(payload.get("answered_at")),
                ended_at=_parse_time(payload.get("ended_at"), now),
                duration_seconds=_int(payload.get("duration")),
                recording_url=_url(payload.get("recording_url")),
                source=CallSource.WEBHOOK,
                external_id=call_id,
            )
            return call, True
        call = Call.objects.create(
            direction=direction,
            number=number,
            customer=customer_for_number(number),
            agent=agent,
            started_at=_parse_time(payload.get("started_at")) or now,
            outcome=CallOutcome.RINGING,
            source=CallSource.WEBHOOK,
            external_id=call_id,
        )
        if event == "call.answered":
            call.answered_at = _parse_time(payload.get("answered_at"), now)
            call.save(update_fields=["answered_at"])
        elif agent is not None:
            emit(IncomingCallRinging(call_id=call.pk, agent_id=agent.pk))
        return call, True
    if not call.is_ended and event == "call.answered" and call.answered_at is None:
        call.answered_at = _parse_time(payload.get("answered_at"), now)
        call.agent = call.agent or agent
        call.save(update_fields=["answered_at", "agent", "updated_at"])
        return call, True
    if not call.is_ended and event == "call.ended":
        outcome = payload.get("outcome") or (
            CallOutcome.ANSWERED if call.answered_at else CallOutcome.MISSED
        )
        if outcome not in CallOutcome.values or outcome == CallOutcome.RINGING:
            raise DomainError(_("Unknown call outcome."))
        answered_at = _parse_time(payload.get("answered_at"), call.answered_at)
        call.answered_at, call.ended_at, call.duration_seconds = _clean_times(
            started_at=call.started_at,
            answered_at=answered_at,
            ended_at=_parse_time(payload.get("ended_at"), now),
            duration_seconds=_int(payload.get("duration")),
            outcome=outcome,
        )
        call.outcome = outcome
        call.agent = call.agent or agent
        call.recording_url = _url(payload.get("recording_url")) or call.recording_url
        call.save()
        _on_record(call, actor=None)
        return call, True
    return call, False


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _url(value) -> str:
    text = str(value or "").strip()
    return text[:500] if text.startswith(("https://", "http://")) else ""


@transaction.atomic
def save_call_script(*, actor: User, direction: str, text: str, request=None) -> CallScript:
    """A manager writes the call script of one direction (通话语术). The text is checked first
    (kefu/telephony/script.py: steps, hints, answer branches, only the variables kefu fills) and
    refused whole when something is wrong; the change is audited with the text before and after."""
    if not actor.has_perm(Perm.MANAGE_SETTINGS):
        raise PermissionRefused(_("Only a manager may change the call scripts."))
    if direction not in CallDirection.values:
        raise DomainError(_("Unknown direction."))
    text = "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n"))
    steps = script.parse(text)
    current = CallScript.objects.select_for_update().filter(direction=direction).first()
    before = current.text if current else ""
    if current is None:
        current = CallScript(direction=direction)
    current.text = text.strip()
    current.updated_by = actor
    current.save()
    audit(
        AuditAction.SETTINGS_CHANGED,
        actor=actor,
        obj=current,
        request=request,
        details={
            "change": "call_script",
            "direction": direction,
            "steps": len(steps),
            "before": before,
            "after": current.text,
        },
    )
    return current
