"""Amounts as people type them (yuan, "1,280.00", "￥12.5") turned into integer fen; never floats."""

from __future__ import annotations

import decimal
import unicodedata

from django.utils.translation import gettext as _

from kefu.core.errors import DomainError, StrOrPromise

MAX_FEN = 10**12  # ten billion yuan: more is a typo


def parse_fen(value: object, *, label: StrOrPromise) -> int:
    """Yuan with at most two decimals → fen. Refuses three decimals, negatives, words and floats'
    leftovers with a message that names `label`."""
    if value is None or value == "":
        return 0
    if isinstance(value, float):
        value = repr(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    text = text.replace(",", "").replace("¥", "").replace("￥", "").replace("元", "").strip()
    try:
        amount = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise DomainError(
            _("%(field)s: “%(value)s” is not an amount; write it as 128.00.")
            % {"field": label, "value": str(value)[:20]}
        ) from None
    if not amount.is_finite():
        raise DomainError(_("%(field)s: not an amount.") % {"field": label})
    if abs(amount) * 100 > MAX_FEN:
        raise DomainError(_("%(field)s is too large.") % {"field": label})
    if amount != amount.quantize(decimal.Decimal("0.01")):
        raise DomainError(
            _("%(field)s: “%(value)s” has more than two decimals; amounts are in yuan and fen.")
            % {"field": label, "value": str(value)[:20]}
        )
    if amount < 0:
        raise DomainError(_("%(field)s cannot be negative.") % {"field": label})
    fen = int(amount * 100)
    if fen > MAX_FEN:
        raise DomainError(_("%(field)s is too large.") % {"field": label})
    return fen


def yuan(fen: int) -> str:
    """12800 → "128.00" (for API answers and sheets)."""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100}.{fen % 100:02d}"
