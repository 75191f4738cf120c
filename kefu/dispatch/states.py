"""How a work order moves (派工单): the technician reports each step in order from the phone page;
the desk reschedules or cancels, and after completion records the return visit (派工回访)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core.statemachine import StateMachine, Transition, require_perm, role_guard
from kefu.dispatch.models import WorkOrder
from kefu.dispatch.models import WorkOrderState as S


@role_guard
def the_technician(actor: User | None, order: WorkOrder | None) -> str | None:
    """Progress is reported by the technician the order is given to, nobody else."""
    if actor is None or order is None or actor.pk != order.technician_id:
        return _("only the technician of this work order reports its progress")
    return None


TECHNICIAN = (require_perm(Perm.WORK_ROUTED_TASKS), the_technician)

WORK_ORDER_FLOW = StateMachine(
    subject=gettext_lazy("work order"),
    states=S,
    transitions=[
        Transition(
            "accept",
            gettext_lazy("Accept"),
            source={S.ASSIGNED},
            target=S.ACCEPTED,
            guards=TECHNICIAN,
        ),
        Transition(
            "set_off",
            gettext_lazy("On my way"),
            source={S.ACCEPTED},
            target=S.ON_THE_WAY,
            guards=TECHNICIAN,
        ),
        Transition(
            "arrive",
            gettext_lazy("Arrived"),
            source={S.ON_THE_WAY},
            target=S.ARRIVED,
            guards=TECHNICIAN,
        ),
        Transition(
            "complete", gettext_lazy("Done"), source={S.ARRIVED}, target=S.DONE, guards=TECHNICIAN
        ),
        Transition(
            "fail",
            gettext_lazy("Cannot be done"),
            source={S.ACCEPTED, S.ON_THE_WAY, S.ARRIVED},
            target=S.FAILED,
            guards=TECHNICIAN,
        ),
        Transition(
            "add_photo",
            gettext_lazy("Add a photo"),
            source={S.ON_THE_WAY, S.ARRIVED},
            target=None,
            guards=TECHNICIAN,
        ),
        Transition(
            "reschedule",
            gettext_lazy("Reschedule"),
            source={S.ASSIGNED, S.ACCEPTED, S.FAILED},
            target=S.ASSIGNED,
            guard=require_perm(Perm.ASSIGN_WORK),
        ),
        Transition(
            "reassign",
            gettext_lazy("Reassign"),
            source={S.ASSIGNED, S.ACCEPTED, S.ON_THE_WAY, S.FAILED},
            target=S.ASSIGNED,
            guard=require_perm(Perm.ASSIGN_WORK),
        ),
        Transition(
            "cancel",
            gettext_lazy("Cancel"),
            source={S.ASSIGNED, S.ACCEPTED, S.ON_THE_WAY, S.FAILED},
            target=S.CANCELLED,
            guard=require_perm(Perm.ASSIGN_WORK),
        ),
        Transition(
            "record_visit",
            gettext_lazy("Record the return visit"),
            source={S.DONE},
            target=S.VISITED,
            guard=require_perm(Perm.SERVE_CUSTOMERS),
        ),
    ],
)

# The technician's steps in order, as the phone page shows them.
PROGRESS_STEPS = ("accept", "set_off", "arrive", "complete")
