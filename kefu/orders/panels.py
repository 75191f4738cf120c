"""The customer page's orders panel (kefu/customers/panels.py lists it)."""

from kefu.core.workbench import Card
from kefu.orders import selectors


def recent_orders(request, customer):
    if not selectors.may_see_orders(request.user):
        return None
    return Card(
        "orders/panel_customer.html",
        {"customer": customer, "orders": selectors.customer_orders(customer.pk)},
    )
