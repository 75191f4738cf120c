"""What the organisation app shows in the shell (kefu/core/shell.py): its settings sections."""

from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import SettingsSection

SETTINGS = [
    SettingsSection(
        _("Users and roles"),
        "accounts:users",
        _("Create users, give roles, deactivate accounts."),
        perms=(Perm.MANAGE_USERS,),
        order=10,
    ),
    SettingsSection(
        _("Departments and teams"),
        "accounts:departments",
        _("Departments, skill groups and their working hours."),
        perms=(Perm.MANAGE_USERS,),
        order=20,
    ),
    SettingsSection(
        _("Audit log"),
        "accounts:audit_log",
        _("Who did what, when and from where."),
        perms=(Perm.VIEW_AUDIT_LOG,),
        order=90,
    ),
]
