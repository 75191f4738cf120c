"""The tickets' cards on the workbench: my open tickets by deadline; for supervisors, what is about
to breach and what waits for their approval; for department staff, what is routed to them.

Figures are counted up to core.querysets.COUNT_CAP over indexes ("1000+" beyond), never over the
whole table: the workbench took 573 ms at 1,000,000 tickets (bench/README.md, pages)."""

from django.utils import timezone

from kefu.accounts.roles import Perm
from kefu.core.querysets import count_up_to
from kefu.core.workbench import Card
from kefu.tickets import selectors
from kefu.tickets.states import TicketState

SHOWN = 6


def my_tickets_card(request):
    user = request.user
    if user.has_perm(Perm.SERVE_CUSTOMERS):
        qs, view, title = selectors.saved_view(user=user, view="mine"), "mine", "mine"
    elif user.has_perm(Perm.WORK_ROUTED_TASKS) and user.department_id:
        qs, view, title = (
            selectors.saved_view(user=user, view="my_department"),
            "my_department",
            "department",
        )
    else:
        return None
    # The soonest deadlines among the open ones, as "not closed" (the partial index of an
    # assignee's open deadlines), not state IN (…) with all of them sorted.
    ordered = qs
    if view == "mine":
        ordered = (
            selectors.visible_tickets(user).filter(assignee=user).exclude(state=TicketState.CLOSED)
        )
    ordered = ordered.order_by("resolve_due_at", "id")
    return Card(
        "tickets/card_mine.html",
        {
            "tickets": list(ordered.select_related("customer")[:SHOWN]),
            "count": count_up_to(qs),
            "view": view,
            "title": title,
            "now": timezone.now(),
        },
    )


def supervision_card(request):
    user = request.user
    if not user.has_perm(Perm.ASSIGN_WORK):
        return None
    now = timezone.now()
    breach = selectors.saved_view(user=user, view="about_to_breach", now=now)
    approval = selectors.saved_view(user=user, view="awaiting_approval")
    return Card(
        "tickets/card_supervision.html",
        {
            "breach_count": count_up_to(breach),
            "breach_tickets": list(
                selectors.soonest_due_first(breach).select_related("assignee")[:SHOWN]
            ),
            "approval_count": count_up_to(approval) if user.has_perm(Perm.APPROVE) else None,
            "unassigned_count": count_up_to(selectors.saved_view(user=user, view="unassigned")),
            "now": now,
        },
    )
