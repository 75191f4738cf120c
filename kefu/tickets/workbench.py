"""The tickets' cards on the workbench: my open tickets by deadline; for supervisors, what is about
to breach and what waits for their approval; for department staff, what is routed to them."""

from django.utils import timezone

from kefu.accounts.roles import Perm
from kefu.core.workbench import Card
from kefu.tickets import selectors
from kefu.tickets.states import OPEN_STATES

SHOWN = 6


def my_tickets_card(request):
    user = request.user
    if user.has_perm(Perm.SERVE_CUSTOMERS):
        qs, view, title = selectors.saved_view(user=user, view="mine"), "mine", "mine"
    elif user.has_perm(Perm.WORK_ROUTED_TASKS) and user.department_id:
        qs, view, title = selectors.saved_view(user=user, view="my_department"), "my_department", "department"
    else:
        return None
    ordered = qs.order_by("resolve_due_at", "id")
    return Card("tickets/card_mine.html", {
        "tickets": list(ordered.select_related("customer")[:SHOWN]), "count": qs.count(), "view": view,
        "title": title, "now": timezone.now(),
    })


def supervision_card(request):
    user = request.user
    if not user.has_perm(Perm.ASSIGN_WORK):
        return None
    breach = selectors.saved_view(user=user, view="about_to_breach")
    approval = selectors.saved_view(user=user, view="awaiting_approval")
    return Card("tickets/card_supervision.html", {
        "breach_count": breach.count(),
        "breach_tickets": list(breach.order_by("resolve_due_at", "id").select_related("assignee")[:SHOWN]),
        "approval_count": approval.count() if user.has_perm(Perm.APPROVE) else None,
        "unassigned_count": selectors.visible_tickets(user).filter(assignee__isnull=True, state__in=OPEN_STATES).count(),
        "now": timezone.now(),
    })
