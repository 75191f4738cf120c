"""Sending SMS and keeping its status, and the templates it is sent from. `send_sms` is the one
entry point every app uses; `record_delivery_reports` is what the providers' report endpoints call."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.text import strip_control_characters
from kefu.customers import identities
from kefu.sms.backends import OutgoingSms, get_backend
from kefu.sms.models import VARIABLE, SmsMessage, SmsStatus, SmsTemplate
from kefu.sms.replies import SmsReply
from kefu.sms.reports import DeliveryReport
from kefu.sms.selectors import may_manage_templates

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsResult:
    message_id: int
    status: str
    provider: str
    provider_message_id: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status in (SmsStatus.SENT, SmsStatus.DELIVERED)


def check_params(template: SmsTemplate, params: dict[str, str]) -> dict[str, str]:
    """The values to send: every required variable with a non-blank value, no variable the template
    does not have, and the optional ones left out filled in empty (the providers want each one)."""
    unknown = [name for name in params if name not in template.variables]
    if unknown:
        raise DomainError(
            _("The SMS template “%(template)s” has no variable named: %(names)s.")
            % {"template": template.name, "names": ", ".join(unknown)}
        )
    missing = [name for name in template.required_variables if not params.get(name, "").strip()]
    if missing:
        raise DomainError(
            _("The template needs values for: %(names)s.") % {"names": ", ".join(missing)}
        )
    return {name: params.get(name, "") for name in template.variables}


def send_sms(
    to: str,
    template_code: str,
    params: dict | None = None,
    *,
    actor=None,
    customer=None,
    backend: str | None = None,
) -> SmsResult:
    """Send one templated SMS through the configured provider and store it with its status.

    The row is committed as `queued` before the provider is called (nothing is lost if the process
    dies meanwhile), then marked `sent` with the provider's message id, or `failed` with its reason.
    An invalid number, an unknown template or values that do not match the template's variables
    raise DomainError and store nothing. Must not be called inside a transaction that may roll back
    after the provider accepted the message.
    """
    message = prepare_sms(
        to, template_code, params, actor=actor, customer=customer, backend=backend
    )
    with transaction.atomic():
        message.save()
    return deliver_sms(message, backend=backend)


def prepare_sms(
    to: str,
    template_code: str,
    params: dict | None = None,
    *,
    actor=None,
    customer=None,
    backend: str | None = None,
    templates: dict[str, SmsTemplate | None] | None = None,
) -> SmsMessage:
    """The `queued` message send_sms would store, checked (number, template, values; DomainError
    otherwise) and not saved: for a caller that stores many at once (bulk_create in its own
    transaction) and then hands each to `deliver_sms` after commit. `templates` caches the
    templates looked up across calls."""
    params = {str(k): str(v) for k, v in (params or {}).items()}
    try:
        number = identities.normalise_mobile(to)
    except identities.InvalidIdentity as error:
        raise DomainError(str(error)) from error
    template = _template(template_code, templates)
    if template is None:
        raise DomainError(
            _("There is no SMS template with the code “%(code)s”.") % {"code": template_code}
        )
    params = check_params(template, params)
    return SmsMessage(
        to=number,
        template_code=template_code,
        params=params,
        body=template.render(params),
        provider=get_backend(backend).name,
        customer=customer,
        created_by=actor,
    )


def _template(code: str, templates: dict[str, SmsTemplate | None] | None) -> SmsTemplate | None:
    if templates is not None and code in templates:
        return templates[code]
    template = SmsTemplate.objects.filter(code=code).first()
    if templates is not None:
        templates[code] = template
    return template


def deliver_sms(
    message: SmsMessage,
    *,
    backend: str | None = None,
    templates: dict[str, SmsTemplate | None] | None = None,
) -> SmsResult:
    """Hand one stored `queued` message to the provider (`backend`, as given to prepare_sms) and
    store the answer: `sent` with the provider's id, or `failed` with the reason (a provider's
    exception is a failure, not lost)."""
    provider = get_backend(backend)
    template = _template(message.template_code, templates)
    outgoing = OutgoingSms(
        to=message.to,
        template_id=(template.provider_template_id or template.code) if template else "",
        params=message.params,
        variables=template.variables if template else list(message.params),
        text=message.body,
    )
    try:
        answer = provider.send(outgoing)
    except Exception as error:  # a provider bug must not lose the record of the attempt
        logger.exception("SMS backend %s failed", provider.name)
        message.status, message.error = SmsStatus.FAILED, f"{type(error).__name__}: {error}"[:300]
    else:
        if answer.ok:
            message.status, message.provider_message_id, message.sent_at = (
                SmsStatus.SENT,
                answer.provider_message_id,
                timezone.now(),
            )
        else:
            message.status, message.error = SmsStatus.FAILED, answer.error[:300]
    message.save(update_fields=["status", "provider_message_id", "sent_at", "error"])
    return SmsResult(
        message_id=message.pk,
        status=message.status,
        provider=message.provider,
        provider_message_id=message.provider_message_id,
        error=message.error,
    )


def send_customer_sms(*, actor, customer, template_code: str, params: dict) -> SmsResult:
    """An agent sends a templated SMS to a customer's mobile from the customer's page (which has
    checked that the actor may see the customer). Recorded on the customer's timeline, with whether
    the provider took it; the delivery report updates the status later."""
    from kefu.accounts.roles import Perm
    from kefu.core import timeline
    from kefu.customers.services.profiles import note_contact

    if not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("You do not have permission to do this."))
    if not customer.mobile:
        raise DomainError(_("This customer has no mobile number to send an SMS to."))
    result = send_sms(customer.mobile, template_code, params, actor=actor, customer=customer)
    message = SmsMessage.objects.get(pk=result.message_id)
    template = SmsTemplate.objects.get(code=template_code)
    summary = (
        _("SMS “%(template)s” sent") if result.ok else _("SMS “%(template)s” not sent: %(error)s")
    ) % {"template": template.name, "error": result.error}
    if result.ok:  # the seven-day rule: an SMS the provider took is contact made
        note_contact(actor=actor, customer_id=customer.pk, at=message.created_at)
    timeline.record(
        subject=message,
        customer_id=customer.pk,
        kind="sms.sent",
        actor=actor,
        summary=summary,
        data={"sms_id": message.pk, "status": result.status},
    )
    return result


# --- delivery reports (回执) -------------------------------------------------------------------


class Outcome(StrEnum):
    APPLIED = "applied"  # the report changed the stored status
    UNCHANGED = "unchanged"  # already known (a repeated push), or a failure after the delivery
    UNKNOWN = "unknown"  # no message of ours has that id (another system on the account, or a test)


@dataclass(frozen=True)
class DeliveryResult:
    outcome: Outcome
    message: SmsMessage | None = None


def _failure_text(code: str, text: str) -> str:
    return (": ".join(part for part in (code, text) if part) or _("Not delivered"))[:300]


@transaction.atomic
def record_delivery(
    *,
    provider: str,
    provider_message_id: str,
    delivered: bool,
    error: str = "",
    code: str = "",
    at: dt.datetime | None = None,
) -> DeliveryResult:
    """One delivery report (回执) of `provider` for its message id.

    Delivered is final: a later "failed" for a delivered message changes nothing. Neither provider
    documents a failure after a delivery receipt (DELIVERED / DELIVRD is the phone's acknowledgement),
    and Aliyun states that pushes may repeat and need not come in order, so a failure seen after
    the delivery is a stale or repeated push. A "delivered" after a "failed" is applied, so the
    result is the same in whichever order the two arrive. A report equal to what is stored is
    UNCHANGED (repeated pushes are idempotent). `at` is the provider's time of the delivery or
    failure (now when it gives none); `error` is the provider's text, `code` its status code.
    """
    if not provider_message_id:
        return DeliveryResult(Outcome.UNKNOWN)
    message = (
        SmsMessage.objects.select_for_update()
        .filter(provider=provider, provider_message_id=provider_message_id)
        .first()
    )
    if message is None:
        return DeliveryResult(Outcome.UNKNOWN)
    if message.status == SmsStatus.DELIVERED:
        return DeliveryResult(Outcome.UNCHANGED, message)
    at = at or timezone.now()
    code = code[:60]
    if delivered:
        message.status, message.delivered_at, message.error = SmsStatus.DELIVERED, at, ""
    else:
        failure = _failure_text(code, error)
        if message.status == SmsStatus.FAILED and (message.report_code, message.error) == (
            code,
            failure,
        ):
            return DeliveryResult(Outcome.UNCHANGED, message)
        message.status, message.error = SmsStatus.FAILED, failure
    message.report_code, message.reported_at = code, at
    message.save(update_fields=["status", "delivered_at", "error", "report_code", "reported_at"])
    return DeliveryResult(Outcome.APPLIED, message)


@dataclass(frozen=True)
class ReportSummary:
    applied: int = 0
    unchanged: int = 0
    unknown: int = 0

    def __str__(self) -> str:
        return f"applied={self.applied}, unchanged={self.unchanged}, unknown={self.unknown}"


@transaction.atomic
def record_delivery_reports(*, provider: str, reports: list[DeliveryReport]) -> ReportSummary:
    """A provider's push of reports, all or none (a failure half-way stores nothing and the provider
    pushes again). Returns how many changed a message, repeated what was known, or named no message."""
    counts = dict.fromkeys(Outcome, 0)
    for report in reports:
        result = record_delivery(
            provider=provider,
            provider_message_id=report.provider_message_id,
            delivered=report.delivered,
            error=report.text,
            code=report.code,
            at=report.at,
        )
        counts[result.outcome] += 1
    summary = ReportSummary(
        applied=counts[Outcome.APPLIED],
        unchanged=counts[Outcome.UNCHANGED],
        unknown=counts[Outcome.UNKNOWN],
    )
    if summary.unknown:
        logger.warning(
            "SMS delivery reports from %s with unknown message ids: %s", provider, summary
        )
    else:
        logger.info("SMS delivery reports from %s: %s", provider, summary)
    return summary


# --- templates ---------------------------------------------------------------------------------

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_TEMPLATE_TEXT = 500
VARIABLE_DOLLAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _require_manage(actor) -> None:
    if not may_manage_templates(actor):
        raise PermissionRefused(_("You do not have permission to do this."))


def clean_template_text(body: str) -> str:
    """The text with its variables checked. Aliyun's ${name} is accepted and stored as {name}; any
    other brace that is not a variable is refused, because the provider would send it as typed."""
    body = VARIABLE_DOLLAR.sub(r"{\1}", strip_control_characters(body or "").strip())
    if not body or len(body) > MAX_TEMPLATE_TEXT:
        raise DomainError(_("The text is 1 to %(max)d characters.") % {"max": MAX_TEMPLATE_TEXT})
    if "{" in VARIABLE.sub("", body) or "}" in VARIABLE.sub("", body):
        raise DomainError(
            _("Write variables as {name}: letters, digits and _, not starting with a digit.")
        )
    return body


def clean_optional_variables(names: list[str], *, body: str) -> list[str]:
    variables = list(dict.fromkeys(VARIABLE.findall(body)))
    unknown = [name for name in names if name not in variables]
    if unknown:
        raise DomainError(
            _("Not a variable of the text: %(names)s.") % {"names": ", ".join(unknown)}
        )
    return [name for name in variables if name in names]  # in the text's order, once each


def _clean_fields(
    *, name: str, provider_template_id: str, body: str, optional_variables: list[str]
) -> dict:
    name = " ".join((name or "").split())
    if not name or len(name) > 60:
        raise DomainError(_("A name is 1 to 60 characters."))
    provider_template_id = (provider_template_id or "").strip()
    if len(provider_template_id) > 60 or any(c.isspace() for c in provider_template_id):
        raise DomainError(_("The provider's template id is at most 60 characters, without spaces."))
    body = clean_template_text(body)
    return {
        "name": name,
        "provider_template_id": provider_template_id,
        "body": body,
        "optional_variables": clean_optional_variables(optional_variables, body=body),
    }


@transaction.atomic
def create_sms_template(
    *,
    actor,
    code: str,
    name: str,
    body: str,
    provider_template_id: str = "",
    optional_variables: list[str] | None = None,
) -> SmsTemplate:
    _require_manage(actor)
    code = (code or "").strip().lower()
    if not CODE_RE.match(code):
        raise DomainError(
            _(
                "A code is 1 to 40 lower-case letters, digits, - or _, starting with a letter or digit."
            )
        )
    if SmsTemplate.objects.filter(code=code).exists():
        raise DomainError(
            _("There is already an SMS template with the code “%(code)s”.") % {"code": code}
        )
    fields = _clean_fields(
        name=name,
        provider_template_id=provider_template_id,
        body=body,
        optional_variables=optional_variables or [],
    )
    return SmsTemplate.objects.create(code=code, **fields)


@transaction.atomic
def update_sms_template(
    *,
    actor,
    template: SmsTemplate,
    name: str,
    body: str,
    provider_template_id: str = "",
    optional_variables: list[str] | None = None,
) -> SmsTemplate:
    """The code stays: other apps send by it. Messages already sent keep the text they were sent with."""
    _require_manage(actor)
    for field, value in _clean_fields(
        name=name,
        provider_template_id=provider_template_id,
        body=body,
        optional_variables=optional_variables or [],
    ).items():
        setattr(template, field, value)
    template.save()
    return template


@transaction.atomic
def delete_sms_template(*, actor, template: SmsTemplate) -> None:
    """Sent messages keep their template code and text; sending with the code is refused afterwards."""
    _require_manage(actor)
    template.delete()


# A reply that is only one of these (any case, spaces and a final full stop ignored) is a 退订.
UNSUBSCRIBE_WORDS = frozenset({"TD", "T", "退订", "N"})


def is_unsubscribe(text: str) -> bool:
    return " ".join(text.split()).rstrip("。.!！").strip().upper() in UNSUBSCRIBE_WORDS


def record_replies(replies: list[SmsReply]) -> int:
    """Customers' SMS replies: a 退订 withdraws the consents to care and to marketing messages of
    every customer that mobile reaches (their main number or another of their mobiles), where
    given (audited, on their timeline, source "SMS reply"); anything else, and a number that is no
    mobile, changes nothing. Returns how many consents were withdrawn."""
    from kefu.customers.models import ConsentPurpose, ConsentSource
    from kefu.customers.selectors import consenting_customer_ids, customer_ids_with_mobile
    from kefu.customers.services.consent import record_consent

    withdrawn = 0
    for reply in replies:
        if not is_unsubscribe(reply.text):
            continue
        try:
            mobile = identities.normalise_mobile(reply.mobile)
        except identities.InvalidIdentity:
            logger.info("SMS 退订 from a number that is no mobile ignored")
            continue
        reached = customer_ids_with_mobile(mobile)
        for purpose in ConsentPurpose:
            for customer_id in sorted(consenting_customer_ids(reached, purpose)):
                with transaction.atomic():
                    record_consent(
                        actor=None,
                        customer_id=customer_id,
                        purpose=purpose,
                        given=False,
                        source=ConsentSource.SMS_REPLY,
                    )
                withdrawn += 1
    return withdrawn
