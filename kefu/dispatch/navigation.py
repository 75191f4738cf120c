"""What work orders show in the shell: the list for the desk (kefu/dispatch/views.py: order_list —
those who serve customers or assign work), the board for those who assign work, and the technician's
day for department users."""

from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import NavEntry, WorkbenchCard

NAVIGATION = [
    NavEntry(
        "dispatch",
        _("Work orders"),
        "dispatch:list",
        perms=(Perm.SERVE_CUSTOMERS, Perm.ASSIGN_WORK),
        order=33,
        group="business",
    ),
    NavEntry(
        "dispatch_board",
        _("Dispatch board"),
        "dispatch:board",
        perms=(Perm.ASSIGN_WORK,),
        order=34,
        group="business",
    ),
    NavEntry(
        "dispatch_mine",
        _("My work orders"),
        "dispatch:mine",
        perms=(Perm.WORK_ROUTED_TASKS,),
        order=35,
        group="business",
    ),
]

WORKBENCH_CARDS = [WorkbenchCard("kefu.dispatch.workbench.dispatch_card", order=45)]
