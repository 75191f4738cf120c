"""The customer page's SMS panel: the latest messages sent to the customer and whether they arrived."""

from kefu.accounts.roles import Perm
from kefu.core.workbench import Card
from kefu.sms import selectors


def recent_sms(request, customer):
    if not request.user.has_perm(Perm.SERVE_CUSTOMERS):
        return None
    # The customer page has already checked that the user may see this customer, and with it their SMS.
    return Card(
        "sms/panel_customer.html",
        {
            "customer": customer,
            "sms": selectors.recent_sms_of(customer.pk),
            "sees_all": selectors.may_see_all_sms(request.user),
            "templates": selectors.sendable_templates(customer) if customer.mobile else [],
        },
    )
