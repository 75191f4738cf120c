"""Secrets kefu must read back, such as an e-mail inbox's password, encrypted at rest (Fernet:
AES-128-CBC with an HMAC-SHA256, from the `cryptography` package).

The key is derived (HKDF-SHA256) from KEFU_SECRET_ENCRYPTION_KEY when it is set, else from SECRET_KEY.
Decrypting tries that key, then the one derived from SECRET_KEY, then those derived from each of
SECRET_KEY_FALLBACKS: so setting KEFU_SECRET_ENCRYPTION_KEY later, or rotating SECRET_KEY with the
old value kept in SECRET_KEY_FALLBACKS, leaves stored secrets readable. A value that none of them
opens raises SecretUnreadable: it has to be entered again. Nothing here logs a secret.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError

_INFO = b"kefu secret encryption v1"


class SecretUnreadable(DomainError):
    """A stored secret was encrypted with a key kefu no longer has (SECRET_KEY changed)."""

    def __init__(self, message: str = ""):
        super().__init__(
            message
            or _(
                "A stored password cannot be decrypted: the secret key has changed. Enter the password again."
            )
        )


def derive_key(material: str) -> bytes:
    """A Fernet key (url-safe base64 of 32 bytes) from any secret text."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        material.encode()
    )
    return base64.urlsafe_b64encode(raw)


def _key_materials() -> tuple[str, ...]:
    materials = [
        settings.KEFU_SECRET_ENCRYPTION_KEY,
        settings.SECRET_KEY,
        *settings.SECRET_KEY_FALLBACKS,
    ]
    return tuple(dict.fromkeys(m for m in materials if m))


@functools.lru_cache(maxsize=4)
def _fernet(materials: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(derive_key(m)) for m in materials])


def encrypt_secret(text: str) -> str:
    """The encrypted form of `text`, ASCII, to store; always with the current key."""
    return _fernet(_key_materials()).encrypt(text.encode()).decode("ascii")


def decrypt_secret(token: str) -> str:
    """The clear text of a value made by encrypt_secret; SecretUnreadable when no key opens it."""
    if not token:
        raise SecretUnreadable(_("No password is stored."))
    try:
        return _fernet(_key_materials()).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError) as error:
        raise SecretUnreadable() from error
