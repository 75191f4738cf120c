"""The demo data, built app by app in order. Each later app adds its builder to DEMO_BUILDERS.

`kefu demo` builds it all in one transaction. `kefu serve` on a first start builds the sign-ins first
(a few seconds), starts serving, and builds the history in a background thread, each app's builder
committing as it goes so that people signing in meanwhile are not kept waiting for the database; the
progress is kept in KEFU_DATA_DIR/demo-progress.json and shown on every page until it is done.
"""

import json
import logging
import secrets
import string
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

CREDENTIALS_FILE = "demo-sign-ins.txt"
PROGRESS_FILE = "demo-progress.json"

# The first builder makes the organisation and the sign-ins; the rest make the history.
DEMO_BUILDERS = [
    "kefu.accounts.demo.build",
    "kefu.customers.demo.build",
    "kefu.tickets.demo.build",
    "kefu.telephony.demo.build",
    "kefu.sms.demo.build",
    "kefu.replies.demo.build",
    "kefu.conversations.demo.build",
    "kefu.dispatch.demo.build",
    "kefu.feedback.demo.build",
    "kefu.orders.demo.build",
    "kefu.aftersales.demo.build",
    "kefu.quality.demo.build",
    "kefu.visits.demo.build",
    "kefu.knowledge.demo.build",
    "kefu.automation.demo.build",
    "kefu.reports.demo.build",  # last: the issued reports read everything above
]
# What the progress strip says is being built, by the app label of the builder running.
DEMO_BUILDING = {
    "customers": _("customers"),
    "tickets": _("tickets"),
    "telephony": _("calls"),
    "sms": _("SMS"),
    "replies": _("canned replies"),
    "conversations": _("chats"),
    "visits": _("return visits"),
    "reports": _("issued reports"),
    "quality": _("quality checks"),
    "orders": _("orders"),
    "aftersales": _("after-sales cases"),
    "dispatch": _("work orders"),
    "feedback": _("feedback"),
    "knowledge": _("knowledge base"),
    "automation": _("automation rules"),
}


# Run after the demo is built and at every start of a demo server, with the address it serves.
DEMO_ADDRESS_FITTERS = ["kefu.conversations.demo.allow_served_address"]


def fit_demo_to_address(*, host: str, port: int) -> None:
    for path in DEMO_ADDRESS_FITTERS:
        import_string(path)(host=host, port=port)


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
    with transaction.atomic():
        build_sign_ins(password=password)
        build_history(password=password)


def build_sign_ins(*, password: str) -> None:
    """The demo organisation and its users, and the saved password: enough to sign in."""
    validate_password(password)
    with transaction.atomic():
        import_string(DEMO_BUILDERS[0])(password=password)
    credentials = settings.DATA_DIR / CREDENTIALS_FILE
    credentials.write_text(password + "\n")
    credentials.chmod(0o600)


def build_history(*, password: str, on_step: Callable[[int, int, str], None] | None = None) -> None:
    """Every other app's demo data, in order. on_step(done, total, builder path) before each."""
    steps = DEMO_BUILDERS[1:]
    for done, path in enumerate(steps):
        if on_step is not None:
            on_step(done, len(steps), path)
        import_string(path)(password=password)
    if on_step is not None:
        on_step(len(steps), len(steps), "")


def build_history_in_background(*, password: str, then: Callable[[], object] | None = None) -> None:
    """build_history, recording its progress for the pages (demo_progress) and the log; `then`
    runs once the history is built (kefu serve fits the demo to the address it serves)."""

    def record(state: str, done: int, total: int, path: str = "", error: str = "") -> None:
        app = path.split(".")[1] if path else ""
        progress = {"state": state, "done": done, "total": total, "app": app, "error": error}
        (settings.DATA_DIR / PROGRESS_FILE).write_text(json.dumps(progress))

    total = len(DEMO_BUILDERS) - 1
    record("loading", 0, total)
    try:

        def step(done: int, steps: int, path: str) -> None:
            if done < steps:
                record("loading", done, steps, path)

        build_history(password=password, on_step=step)
        if then is not None:
            then()
        record("done", total, total)
    except Exception as error:  # the server goes on; the pages say the demo is incomplete
        logger.exception("the demo data could not be built")
        record("failed", 0, len(DEMO_BUILDERS) - 1, error=repr(error)[:300])
    finally:
        from django.db import connection

        connection.close()


def note_interrupted_build() -> None:
    """A background build that was still running when the server stopped will not go on: say so."""
    progress = demo_progress()
    if progress and progress.get("state") == "loading":
        progress.update(state="failed", error="interrupted")
        (settings.DATA_DIR / PROGRESS_FILE).write_text(json.dumps(progress))


def demo_progress() -> dict | None:
    """What build_history_in_background recorded, or None when no background build ever ran."""
    path = settings.DATA_DIR / PROGRESS_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def saved_demo_password() -> str | None:
    credentials = settings.DATA_DIR / CREDENTIALS_FILE
    return credentials.read_text().strip() if credentials.exists() else None


def demo_usernames() -> list[str]:
    from kefu.accounts.demo import demo_usernames as names

    return names()
