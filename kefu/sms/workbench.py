"""The SMS card on the workbench of supervisors and managers: messages that did not arrive lately."""

from kefu.core.querysets import count_up_to
from kefu.core.workbench import Card
from kefu.sms import selectors

DAYS = 7


def undelivered_card(request):
    if not selectors.may_see_all_sms(request.user):
        return None
    return Card(
        "sms/card_undelivered.html",
        {"failed_count": count_up_to(selectors.undelivered(days=DAYS)), "days": DAYS},
    )
