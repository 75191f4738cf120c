"""What calls hold about a customer (kefu/core/personal_data.py); and the retention of call
recordings (the link to the recording is dropped; the call, its outcome and duration stay)."""

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.core import personal_data as pd
from kefu.telephony.models import Call

FIELDS = (
    "direction", "number", "outcome", "started_at", "answered_at", "ended_at",
    "duration_seconds", "recording_url", "subject", "notes",
)  # fmt: skip


def export(customer: Any) -> list[pd.Table | pd.StoredFile]:
    return [pd.Table("calls", pd.rows(Call.objects.filter(customer=customer), FIELDS))]


def erase(customer: Any) -> dict[str, int]:
    calls = Call.objects.filter(customer=customer)
    return {"calls": pd.blank(calls, number="", recording_url="", subject=pd.ERASED, notes="")}


def _recorded(before: dt.datetime) -> Any:
    return Call.objects.filter(started_at__lt=before).exclude(recording_url="")


def register() -> None:
    pd.register(pd.Holder("telephony", _("Calls"), export, erase, order=30))
    pd.register_retention(
        pd.retention_of("call_recordings", _("Call recordings"), _recorded, recording_url="")
    )
