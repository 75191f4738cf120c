"""What the canned-replies app shows in the shell (kefu/core/shell.py): its menu entry, for those
who may open the list (kefu/replies/views.py: reply_list)."""

from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import NavEntry

NAVIGATION = [
    NavEntry(
        "replies",
        _("Canned replies"),
        "replies:list",
        perms=(Perm.SERVE_CUSTOMERS, Perm.ASSIGN_WORK),
        order=60,
        group="channels",
    ),
]
