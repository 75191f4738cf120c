"""Quality findings quote what was said in a chat or written in a call's notes (`matched`, and the
finding's text that repeats it): erased with the chat's text and the call's notes; the findings,
their points and the scores stay. The customer's export holds the words quoted; the reviews
themselves are about agents, not customers, and are not part of it."""

from typing import Any

from django.db.models import F, Q, Value
from django.db.models.functions import Replace
from django.utils.translation import gettext_lazy as _

from kefu.core import personal_data as pd
from kefu.quality.models import Finding


def _quoting(customer: Any) -> Any:
    """The findings on the customer's chats and calls that quote words."""
    return Finding.objects.filter(
        Q(inspection__conversation__customer=customer) | Q(inspection__call__customer=customer)
    ).exclude(matched="")


def export(customer: Any) -> list[pd.Table | pd.StoredFile]:
    fields = ("inspection__channel", "inspection__closed_at", "kind", "label", "matched")
    return [pd.Table("quality_findings", pd.rows(_quoting(customer), fields))]


def erase(customer: Any) -> dict[str, int]:
    findings = _quoting(customer)
    return {
        "quality_findings": pd.blank(
            findings,
            # One UPDATE: `detail` is rewritten with the words found before they are erased
            # (Django's Replace takes any expression; the stubs only a Value).
            detail=Replace(F("detail"), F("matched"), Value(pd.ERASED)),  # type: ignore[arg-type]
            matched=pd.ERASED,
        )
    }


def register() -> None:
    pd.register(pd.Holder("quality", _("Quality inspection"), export, erase, order=40))
