"""What the telephony app shows in the shell (kefu/core/shell.py): its menu entry, for those who
may open the call list (kefu/telephony/views.py: call_list)."""

from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import NavEntry, SettingsSection

NAVIGATION = [
    NavEntry(
        "telephony",
        _("Calls"),
        "telephony:list",
        perms=(Perm.SERVE_CUSTOMERS, Perm.INSPECT_QUALITY),
        order=40,
        group="channels",
    ),
]

SETTINGS = [
    SettingsSection(
        _("Call scripts"),
        "telephony_settings:scripts",
        _("What agents say on calls taken and made, the return visit's 回访用语 among them."),
        perms=(Perm.MANAGE_SETTINGS,),
        order=60,
    ),
]
