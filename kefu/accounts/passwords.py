"""Password rules beyond Django's (a password mixes letters and digits), and the password hasher."""

import contextlib
import threading
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
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
        return _("Your password must have at least %(min_length)d characters.") % {
            "min_length": self.min_length
        }


# --- hashing ------------------------------------------------------------------------------------


_hashing_slots: threading.BoundedSemaphore | None = None
_slots_lock = threading.Lock()


@contextlib.contextmanager
def _hashing_slot() -> Iterator[None]:
    """At most settings.KEFU_PASSWORD_HASHES_AT_ONCE password hashes at a time in this process."""
    global _hashing_slots
    if _hashing_slots is None:
        with _slots_lock:
            if _hashing_slots is None:
                _hashing_slots = threading.BoundedSemaphore(
                    max(1, int(getattr(settings, "KEFU_PASSWORD_HASHES_AT_ONCE", 1)))
                )
    with _hashing_slots:
        yield


class BoundedArgon2PasswordHasher(Argon2PasswordHasher):
    """Django's Argon2 hasher, same parameters and same stored format ("argon2$…"), with hashing bounded.

    Each Argon2 hash holds its memory cost (100 MiB with Django's parameters) while it runs: four
    sign-ins at once moved the server's peak from 431 to 760 MB (bench/README.md, pages). Checks and
    new hashes wait for a free slot instead; a sign-in takes a fraction of a second either way.
    """

    def encode(self, password, salt):
        with _hashing_slot():
            return super().encode(password, salt)

    def verify(self, password, encoded):
        with _hashing_slot():
            return super().verify(password, encoded)
