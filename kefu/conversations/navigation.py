"""What the conversations app shows in the shell (kefu/core/shell.py): its menu entry and the
inbox settings."""

from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import NavEntry, SettingsSection

NAVIGATION = [
    NavEntry(
        "conversations",
        _("Conversations"),
        "conversations:workspace",
        perms=(Perm.SERVE_CUSTOMERS, Perm.INSPECT_QUALITY),
        order=10,
    ),
]

SETTINGS = [
    SettingsSection(
        _("Chat and e-mail inboxes"),
        "inbox_settings:list",
        _(
            "The chat widget (sites, greeting, pre-sales checklist) and the e-mail inboxes (mail servers, connection test, fetching), each with its team."
        ),
        perms=(Perm.MANAGE_SETTINGS,),
        order=50,
    ),
]
