"""Automation in the shell: rules, webhooks and robots, for managers and administrators."""

from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import NavEntry

NAVIGATION = [
    NavEntry(
        "automation",
        _("Automation"),
        "automation:rules",
        perms=(Perm.MANAGE_SETTINGS,),
        order=92,
        group="channels",
    ),
]
