"""Password rules beyond Django's: a password mixes letters and digits."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class LettersAndDigitsValidator:
    def validate(self, password: str, user=None) -> None:
        if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
            raise ValidationError(
                _("The password must contain both letters and digits."),
                code="password_letters_and_digits",
            )

    def get_help_text(self) -> str:
        return _("Your password must contain both letters and digits.")


class MinimumLengthValidator:
    """Django's length rule with a message of our own: Django's Chinese catalogue lacks it."""

    def __init__(self, min_length: int = 10):
        self.min_length = min_length

    def validate(self, password: str, user=None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                _("The password is too short: it must have at least %(min_length)d characters.")
                % {"min_length": self.min_length},
                code="password_too_short",
            )

    def get_help_text(self) -> str:
        return _("Your password must have at least %(min_length)d characters.") % {"min_length": self.min_length}
