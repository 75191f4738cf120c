"""The demo data, built app by app in order. Each later app adds its builder to DEMO_BUILDERS."""

import secrets
import string

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils.module_loading import import_string

CREDENTIALS_FILE = "demo-sign-ins.txt"

DEMO_BUILDERS = [
    "kefu.accounts.demo.build",
    "kefu.customers.demo.build",
    "kefu.tickets.demo.build",
    "kefu.telephony.demo.build",
    "kefu.sms.demo.build",
    "kefu.replies.demo.build",
    "kefu.conversations.demo.build",
]


def generate_password() -> str:
    """A password that passes the password rules: letters and digits, 14 characters."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(14))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


def build_demo(*, password: str) -> None:
    """Build every app's demo data with one password for all demo sign-ins.

    The password must pass the password rules (ValidationError otherwise). It is kept in
    KEFU_DATA_DIR/demo-sign-ins.txt (mode 600), so `kefu serve` can show it again at each start.
    Demo user names that already exist get this password: never run it on a real deployment.
    """
    validate_password(password)
    with transaction.atomic():
        for path in DEMO_BUILDERS:
            import_string(path)(password=password)
    credentials = settings.DATA_DIR / CREDENTIALS_FILE
    credentials.write_text(password + "\n")
    credentials.chmod(0o600)


def saved_demo_password() -> str | None:
    credentials = settings.DATA_DIR / CREDENTIALS_FILE
    return credentials.read_text().strip() if credentials.exists() else None


def demo_usernames() -> list[str]:
    from kefu.accounts.demo import demo_usernames as names

    return names()
