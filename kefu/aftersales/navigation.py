"""The after-sales register in the shell: for those who serve customers and for department staff
(warehouse and finance act on their steps; kefu/aftersales/views.py: case_list)."""

from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import NavEntry

NAVIGATION = [
    NavEntry(
        "aftersales",
        _("After-sales"),
        "aftersales:list",
        perms=(Perm.SERVE_CUSTOMERS, Perm.WORK_ROUTED_TASKS),
        order=39,
        group="business",
    ),
]
