"""What the orders app shows in the shell: the order list for those who serve customers
(kefu/orders/views.py: order_list requires Perm.SERVE_CUSTOMERS)."""

from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import NavEntry

NAVIGATION = [
    NavEntry(
        "orders",
        _("Orders"),
        "orders:list",
        perms=(Perm.SERVE_CUSTOMERS,),
        order=38,
        group="business",
    ),
]
