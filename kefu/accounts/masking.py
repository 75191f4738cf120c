"""Personal-data masking (脱敏): the one helper every page, API response and export uses.

Masking happens on the server, so a masked value never reaches a browser that may not see it.
Pages and the API always show masked values; the audited reveal action (services.reveal_personal_data)
shows one value in full to a user with the reveal permission. Exports made by such a user carry full
values and are audited as exports.
"""

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

    `full=True` is for the places that show values in full to those allowed (the reveal action,
    an export by a user with the reveal permission); everywhere else the value is masked.
    """
    if full and viewer is not None and viewer.has_perm(Perm.REVEAL_PERSONAL_DATA):
        return value or ""
    return mask(value, kind)
