"""What the SMS app shows in the shell (kefu/core/shell.py): its menu entry, for those who may open
the list of sent messages (kefu/sms/views.py: sms_list), and its workbench card."""

from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import NavEntry, WorkbenchCard

NAVIGATION = [
    NavEntry("sms", _("SMS"), "sms:list", perms=(Perm.ASSIGN_WORK,), order=50, group="channels"),
]

WORKBENCH_CARDS = [
    WorkbenchCard("kefu.sms.workbench.undelivered_card", order=50),
]
