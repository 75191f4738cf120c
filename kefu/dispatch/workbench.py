"""Work orders on the workbench: for those who assign work, today's orders and the late ones; for
the desk, the return visits due; for a technician, their orders today."""

from django.utils import timezone

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.core.workbench import Card
from kefu.dispatch import selectors


def dispatch_card(request: AuthenticatedRequest) -> Card | None:
    user = request.user
    now = timezone.now()
    if user.has_perm(Perm.ASSIGN_WORK) or user.has_perm(Perm.SERVE_CUSTOMERS):
        totals = (
            selectors.board_totals(
                actor=user, filters=selectors.BoardFilter(day=timezone.localdate()), now=now
            )
            if user.has_perm(Perm.ASSIGN_WORK)
            else None
        )
        return Card(
            "dispatch/card.html",
            {
                "today": totals[0] if totals else None,
                "late": totals[1] if totals else None,
                "visits_due": selectors.visits_due().count(),
                "visits_overdue": selectors.visits_due().filter(visit_due_at__lt=now).count(),
            },
        )
    if user.has_perm(Perm.WORK_ROUTED_TASKS):
        orders = selectors.technician_day(technician=user, day=timezone.localdate())
        return Card("dispatch/card_technician.html", {"orders": orders})
    return None
