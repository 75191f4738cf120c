"""The visits' card on the workbench: my visits today, overdue ones; for who plans, the members'
coverage this month against the target (三个必保)."""

from django.utils import timezone

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.core.querysets import count_up_to
from kefu.core.workbench import Card
from kefu.visits import selectors

SHOWN = 5


def my_visits_card(request: AuthenticatedRequest) -> Card | None:
    user = request.user
    if not user.has_perm(Perm.SERVE_CUSTOMERS):
        return None
    now = timezone.now()
    today = selectors.today_list(user, now=now)
    coverage = None
    if selectors.may_plan(user):
        first = selectors.local_today(now).replace(day=1)
        coverage = selectors.member_coverage(start=first, end=selectors.local_today(now))
    return Card(
        "visits/card_mine.html",
        {
            "visits": list(today[:SHOWN]),
            "count": count_up_to(today),
            "overdue": selectors.overdue_count(user, now=now),
            "coverage": coverage,
        },
    )
