"""The customer page's orders panel (kefu/customers/panels.py lists it)."""

from kefu.accounts.http import AuthenticatedRequest
from kefu.core.workbench import Card
from kefu.customers.models import Customer
from kefu.orders import selectors


def recent_orders(request: AuthenticatedRequest, customer: Customer) -> Card | None:
    if not selectors.may_see_orders(request.user):
        return None
    return Card(
        "orders/panel_customer.html",
        {"customer": customer, "orders": selectors.customer_orders(customer.pk)},
    )
