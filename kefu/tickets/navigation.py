"""What the tickets app shows in the shell (kefu/core/shell.py): its menu entry, its workbench
cards and the category and time-limit settings."""

from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import NavEntry, SettingsSection, WorkbenchCard

NAVIGATION = [
    NavEntry(
        "tickets",
        _("Tickets"),
        "tickets:list",
        perms=(Perm.SERVE_CUSTOMERS, Perm.WORK_ROUTED_TASKS, Perm.INSPECT_QUALITY),
        order=20,
    ),
]

WORKBENCH_CARDS = [
    WorkbenchCard("kefu.tickets.workbench.supervision_card", order=10),
    WorkbenchCard("kefu.tickets.workbench.my_tickets_card", order=20),
]

SETTINGS = [
    SettingsSection(
        _("Ticket categories and time limits"),
        "tickets_settings:index",
        _(
            "Complaint categories, the department each goes to, and the time limits for handling them."
        ),
        perms=(Perm.MANAGE_SETTINGS,),
        order=40,
    ),
]
