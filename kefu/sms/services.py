"""Sending SMS and keeping its status. `send_sms` is the one entry point every app uses."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError
from kefu.customers import identities
from kefu.sms.backends import OutgoingSms, get_backend
from kefu.sms.models import SmsMessage, SmsStatus, SmsTemplate

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


def send_sms(to: str, template_code: str, params: dict | None = None, *, actor=None, customer=None,
             backend: str | None = None) -> SmsResult:
    """Send one templated SMS through the configured provider and store it with its status.

    The row is committed as `queued` before the provider is called (nothing is lost if the process
    dies meanwhile), then marked `sent` with the provider's message id, or `failed` with its reason.
    An invalid number or unknown template raises DomainError and stores nothing. Must not be called
    inside a transaction that may roll back after the provider accepted the message.
    """
    params = {str(k): str(v) for k, v in (params or {}).items()}
    try:
        number = identities.normalise_mobile(to)
    except identities.InvalidIdentity as error:
        raise DomainError(str(error)) from error
    template = SmsTemplate.objects.filter(code=template_code).first()
    if template is not None:
        missing = [name for name in template.variables if name not in params]
        if missing:
            raise DomainError(_("The template needs values for: %(names)s.") % {"names": ", ".join(missing)})
    provider = get_backend(backend)
    text = template.render(params) if template else ""
    with transaction.atomic():
        message = SmsMessage.objects.create(
            to=number, template_code=template_code, params=params, body=text, provider=provider.name,
            customer=customer, created_by=actor,
        )
    outgoing = OutgoingSms(
        to=number, template_id=(template.provider_template_id or template.code) if template else template_code,
        params=params, variables=template.variables if template else [], text=text,
    )
    try:
        answer = provider.send(outgoing)
    except Exception as error:  # a provider bug must not lose the record of the attempt
        logger.exception("SMS backend %s failed", provider.name)
        message.status, message.error = SmsStatus.FAILED, f"{type(error).__name__}: {error}"[:300]
    else:
        if answer.ok:
            message.status, message.provider_message_id, message.sent_at = SmsStatus.SENT, answer.provider_message_id, timezone.now()
        else:
            message.status, message.error = SmsStatus.FAILED, answer.error[:300]
    message.save(update_fields=["status", "provider_message_id", "sent_at", "error"])
    return SmsResult(message_id=message.pk, status=message.status, provider=message.provider,
                     provider_message_id=message.provider_message_id, error=message.error)


@transaction.atomic
def record_delivery(*, provider: str, provider_message_id: str, delivered: bool, error: str = "") -> SmsMessage | None:
    """A provider's delivery report (回执). Unknown ids are ignored (None); a report never moves a
    delivered message back."""
    message = SmsMessage.objects.select_for_update().filter(provider=provider, provider_message_id=provider_message_id).first()
    if message is None or not provider_message_id:
        return None
    if message.status == SmsStatus.DELIVERED:
        return message
    if delivered:
        message.status, message.delivered_at, message.error = SmsStatus.DELIVERED, timezone.now(), ""
    else:
        message.status, message.error = SmsStatus.FAILED, (error or _("Not delivered"))[:300]
    message.save(update_fields=["status", "delivered_at", "error"])
    return message
