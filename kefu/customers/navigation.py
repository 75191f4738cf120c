"""What the customer archive shows in the shell (kefu/core/shell.py): its menu entry, its workbench
cards and the custom-field settings."""

from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import NavEntry, SettingsSection, WorkbenchCard

NAVIGATION = [
    NavEntry(
        "customers", _("Customers"), "customers:list", perms=(Perm.SERVE_CUSTOMERS,), order=30
    ),
]

WORKBENCH_CARDS = [
    WorkbenchCard("kefu.customers.workbench.contact_due_card", order=30),
    WorkbenchCard("kefu.customers.workbench.review_card", order=40),
]

SETTINGS = [
    SettingsSection(
        _("Customer custom fields"),
        "customer_settings:fields",
        _(
            "Fields every customer record carries besides the built-in ones (text, number, date, choice)."
        ),
        perms=(Perm.MANAGE_SETTINGS,),
        order=45,
    ),
]
