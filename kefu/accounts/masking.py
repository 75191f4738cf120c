"""Personal-data masking (脱敏): the one helper every page, API response and export uses.

Masking happens on the server, so a masked value never reaches a browser that may not see it.
Pages, the API and exports always show masked values; the audited reveal action
(services.reveal_personal_data) shows one value in full to a user with the reveal permission. A file
with personal data in full is a separate, explicit export (kefu/exports: its own permission
EXPORT_PERSONAL_DATA, a reason and a confirmation, audited with the number of values revealed).
"""

import re
from enum import StrEnum

from kefu.accounts.roles import Perm


class PersonalKind(StrEnum):
    MOBILE = "mobile"
    PHONE = "phone"
    EMAIL = "email"
    ID_NUMBER = "id_number"
    NAME = "name"


def mask_mobile(value: str) -> str:
    """13800138000 → 138****8000; +86 138 0013 8000 → 138****8000 (digits only are kept)."""
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) > 11 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_phone(value: str) -> str:
    """Landlines keep the area code and the last two digits: 0771-5551234 → 0771-*****34."""
    if "-" in value:
        area, _, number = value.partition("-")
        return f"{area}-{'*' * max(len(number) - 2, 0)}{number[-2:]}"
    return mask_mobile(value)


def mask_email(value: str) -> str:
    """zhang.wei@example.com → z***@example.com."""
    local, at, domain = value.partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_id_number(value: str) -> str:
    """Resident ID 450102199001011234 → 4501**********1234 (area code and last four kept)."""
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def mask_name(value: str) -> str:
    """张伟 → 张*; 欧阳娜娜 → 欧***."""
    return value[:1] + "*" * (len(value) - 1) if value else value


MASKERS = {
    PersonalKind.MOBILE: mask_mobile,
    PersonalKind.PHONE: mask_phone,
    PersonalKind.EMAIL: mask_email,
    PersonalKind.ID_NUMBER: mask_id_number,
    PersonalKind.NAME: mask_name,
}


def mask(value: str | None, kind: PersonalKind) -> str:
    if not value:
        return ""
    return MASKERS[kind](value)


def for_viewer(value: str | None, kind: PersonalKind, *, viewer, full: bool = False) -> str:
    """The value as `viewer` may see it.

    `full=True` is for the places that show values in full to those allowed (the reveal action);
    everywhere else the value is masked.
    """
    if full and viewer is not None and viewer.has_perm(Perm.REVEAL_PERSONAL_DATA):
        return value or ""
    return mask(value, kind)


# --- personal data inside free text ------------------------------------------------------------
# A phone number or an ID number typed into a message, a ticket or a note would bypass the masking
# of the fields above. Free text is masked for viewers without the reveal permission, on pages and
# in the API alike, by `mask_text` (the only place these patterns live).

_MOBILE_IN_TEXT = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
_LANDLINE_IN_TEXT = re.compile(r"(?<!\d)(?:\((0\d{2,3})\)\s?|(0\d{2,3})[\s-])(\d{7,8})(?!\d)")
_ID_IN_TEXT = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def is_resident_id(value: str) -> bool:
    """An 18-character resident ID number (GB 11643) whose check character is right: order and
    tracking numbers of 18 digits are left alone (only about one in eleven passes by chance)."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == value[17].upper()


def _mask_id_match(match: re.Match) -> str:
    value = match.group(0)
    return mask_id_number(value) if is_resident_id(value) else value


def _mask_landline(match: re.Match) -> str:
    area = match.group(1) or match.group(2)
    return mask_phone(f"{area}-{match.group(3)}")


def mask_text(text: str | None, *, viewer) -> str:
    """Free text as `viewer` may read it: mobile and landline numbers and resident ID numbers in it
    are masked (138****8000) unless the viewer holds the reveal permission. Customer contact
    details are stored as identities, never in bodies; this catches what people type anyway."""
    if not text:
        return text or ""
    if viewer is not None and viewer.has_perm(Perm.REVEAL_PERSONAL_DATA):
        return text
    text = _ID_IN_TEXT.sub(_mask_id_match, text)
    text = _MOBILE_IN_TEXT.sub(lambda m: mask_mobile(m.group(0)), text)
    return _LANDLINE_IN_TEXT.sub(_mask_landline, text)
