"""What text messages hold about a customer (kefu/core/personal_data.py); and the retention of
their text and the provider's error (the message, its status and times stay for the statistics)."""

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.core import personal_data as pd
from kefu.sms.models import SmsMessage

FIELDS = ("to", "template_code", "params", "body", "status", "error", "created_at", "sent_at")


def export(customer: Any) -> list[pd.Table | pd.StoredFile]:
    return [pd.Table("sms", pd.rows(SmsMessage.objects.filter(customer=customer), FIELDS))]


def erase(customer: Any) -> dict[str, int]:
    messages = SmsMessage.objects.filter(customer=customer)
    # A provider's error may echo the number ("+8613912345678 is an empty number"): erased where
    # there is one; the status and report code stay.
    pd.blank(messages.exclude(error=""), error=pd.ERASED)
    return {"sms": pd.blank(messages, to="", params={}, body=pd.ERASED)}


def _old(before: dt.datetime) -> Any:
    return SmsMessage.objects.filter(created_at__lt=before).exclude(body=pd.ERASED)


def _purge(before: dt.datetime) -> int:
    """The texts of old messages erased, and the provider's error (it may quote the number or the
    text) where there is one, as the erasure does."""
    pd.blank(_old(before).exclude(error=""), error=pd.ERASED)
    return pd.blank(_old(before), params={}, body=pd.ERASED)


def register() -> None:
    pd.register(pd.Holder("sms", _("Text messages"), export, erase, order=30))
    pd.register_retention(
        pd.RetentionKind(
            "sms_texts",
            _("Text message texts"),
            count=lambda before: _old(before).count(),
            purge=_purge,
        )
    )
