"""Mobile numbers: the quick path for bare 11-digit numbers answers exactly as phonenumbers does."""

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.customers import identities


def by_phonenumbers(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in identities.MOBILE_TYPES:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalised(text: str) -> str | None:
    try:
        return identities.normalise_mobile(text)
    except identities.InvalidIdentity:
        return None


@settings(max_examples=3000, deadline=None)
@given(st.from_regex(r"\A1[0-9]{10}\Z"))
def test_bare_eleven_digit_numbers_normalise_as_phonenumbers_does(text):
    assert normalised(text) == by_phonenumbers(text)


def test_known_numbers():
    assert normalised("13800138000") == "+8613800138000"
    assert normalised(" 19912345678 ") == "+8619912345678"
    assert normalised("12345678901") is None
    assert normalised("１３８００１３８０００") == "+8613800138000"  # full width: the full path
