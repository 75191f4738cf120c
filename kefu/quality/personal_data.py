"""Quality findings quote what was said in a chat (`matched`): erased with the chat's text. The
reviews themselves are about agents, not customers, and are not part of a customer's export."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.core import personal_data as pd
from kefu.quality.models import Finding


def erase(customer: Any) -> dict[str, int]:
    findings = Finding.objects.filter(inspection__conversation__customer=customer)
    return {"quality_findings": pd.blank(findings.exclude(matched=""), matched=pd.ERASED)}


def register() -> None:
    pd.register(pd.Holder("quality", _("Quality inspection"), lambda customer: [], erase, order=40))
