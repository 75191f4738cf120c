"""The customer page's calls panel: the latest calls and a button to record one."""

from kefu.accounts.roles import Perm
from kefu.core.workbench import Card
from kefu.telephony.models import Call


def recent_calls(request, customer):
    if not request.user.has_perm(Perm.SERVE_CUSTOMERS):
        return None
    # The customer page has already checked that the user may see this customer, and with it their calls.
    calls = list(
        Call.objects.filter(customer=customer)
        .select_related("agent")
        .order_by("-started_at", "-id")[:8]
    )
    return Card("telephony/panel_customer.html", {"customer": customer, "calls": calls})
