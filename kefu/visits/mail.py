"""E-mail to a customer (care messages, survey links), through Django's configured mail backend
(the same outbound machinery as the replies by e-mail and the notifications)."""

from __future__ import annotations

import smtplib

from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError


def send_customer_email(to: str, *, subject: str, body: str) -> None:
    """Send one plain-text e-mail; a mail server that refuses or is down is a DomainError saying
    so (kept on the message or invitation by the caller), never a 5xx."""
    subject = " ".join(str(subject).split())[:150]
    try:
        EmailMessage(subject=subject, body=body, to=[to]).send(fail_silently=False)
    except (OSError, smtplib.SMTPException) as error:
        raise DomainError(
            _("The e-mail could not be sent (%(error)s).") % {"error": type(error).__name__}
        ) from error
