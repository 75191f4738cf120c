"""What personal-data rights show in the shell (kefu/core/shell.py): the 个人信息保护 entry for
those who may copy out or erase a customer's data."""

from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import NavEntry

NAVIGATION = [
    NavEntry(
        "privacy",
        _("Personal data protection"),
        "privacy:index",
        perms=(Perm.EXPORT_CUSTOMER_DATA, Perm.ERASE_CUSTOMER_DATA),
        order=85,
    ),
]
