"""What the reports app shows in the shell: 报表 for those who read reports (every page of the app
asks for Perm.VIEW_REPORTS), and the live board for those who assign work
(the supervisors' pushes that refresh it reach them: kefu/realtime/audiences.py)."""

from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import NavEntry, SettingsSection

NAVIGATION = [
    NavEntry(
        "reports",
        _("Reports"),
        "reports:index",
        perms=(Perm.VIEW_REPORTS,),
        order=80,
        group="data",
    ),
    NavEntry(
        "board",
        _("Live board"),
        "reports:board",
        perms=(Perm.ASSIGN_WORK,),
        order=81,
        group="data",
    ),
]

SETTINGS = [
    SettingsSection(
        _("Report pack recipients"),
        "reports:recipients",
        _("Who receives the daily, weekly and monthly reports in the app and by e-mail."),
        perms=(Perm.MANAGE_SETTINGS,),
        order=80,
    ),
]
