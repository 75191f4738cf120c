"""The archive's cards on the workbench: customers to contact within seven days, records to review."""

from django.utils import timezone

from kefu.accounts.roles import Perm
from kefu.core.querysets import count_up_to
from kefu.core.workbench import Card
from kefu.customers import selectors


def contact_due_card(request):
    user = request.user
    if not user.has_perm(Perm.SERVE_CUSTOMERS):
        return None
    sees_all = user.has_perm(Perm.ASSIGN_WORK)
    due = selectors.contact_due(owner=None if sees_all else user)
    now = timezone.now()
    return Card(
        "customers/card_contact_due.html",
        {
            "due_customers": list(due[:6]),
            "due_count": count_up_to(due),
            "overdue_count": count_up_to(due.filter(contact_overdue=True)),
            "sees_all": sees_all,
            "now": now,
        },
    )


def review_card(request):
    if not request.user.has_perm(Perm.ASSIGN_WORK):
        return None
    return Card(
        "customers/card_review.html", {"review_count": count_up_to(selectors.review_queue())}
    )
