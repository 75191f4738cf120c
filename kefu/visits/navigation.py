"""What return visits show in the shell (kefu/core/shell.py): the 回访 entry (every agent's visits
today; the plans tab for who plans or approves), the workbench card and the rules in settings."""

from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import NavEntry, SettingsSection, WorkbenchCard

NAVIGATION = [
    NavEntry(
        "visits",
        _("Return visits"),
        "visits:today",
        perms=(Perm.SERVE_CUSTOMERS,),
        order=35,
        group="business",
    ),
]

WORKBENCH_CARDS = [WorkbenchCard("kefu.visits.workbench.my_visits_card", order=25)]

SETTINGS = [
    SettingsSection(
        _("Visit rules"),
        "visits:rules",
        _("Quiet hours, the member coverage target and the days to visit after a complaint."),
        perms=(Perm.MANAGE_SETTINGS,),
        order=48,
    ),
]
