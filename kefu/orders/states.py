"""The fulfilment states' order and the guided paths of a change request (seed 002 ③⑤⑥).

An order only moves forward along FORWARD (closed ends it from anywhere). A change request's path is
chosen by the order's state when it is made; each path is a list of steps recorded one after the
other, the step "apply" changing the order. Shipped and received orders are after-sales work, and a
closed order takes no change at all."""

from django.utils.translation import gettext_lazy as _

from kefu.orders.models import ChangeKind, ChangePath, FulfilmentState

FORWARD = [
    FulfilmentState.UNPAID,
    FulfilmentState.PAID,
    FulfilmentState.PRINTED,
    FulfilmentState.PACKED,
    FulfilmentState.SHIPPED,
    FulfilmentState.RECEIVED,
]
RANK = {state.value: index for index, state in enumerate(FORWARD)}

PATH_BY_STATE = {
    FulfilmentState.UNPAID: ChangePath.NOT_PRINTED,
    FulfilmentState.PAID: ChangePath.NOT_PRINTED,
    FulfilmentState.PRINTED: ChangePath.PRINTED,
    FulfilmentState.PACKED: ChangePath.PACKED,
}
# The states in which a path's "apply" step may still be made (the order may move meanwhile).
PATH_STATES = {
    ChangePath.NOT_PRINTED: {FulfilmentState.UNPAID, FulfilmentState.PAID},
    ChangePath.PRINTED: {FulfilmentState.PRINTED},
    ChangePath.PACKED: {FulfilmentState.PACKED},
}

STEP_LABELS = {
    "retrieve_slips": _("Take the delivery note and courier slip back from the warehouse"),
    "retrieve_parcel": _("Take the parcel back from the warehouse"),
    "apply": _("Change the order in the back office"),
    "apply_on_slips": _("Change the order and correct the slips"),
    "void": _("Void the order (the printing desk)"),
    "remark": _("Write the red-flag remark"),
    "confirm_customer": _("Confirm the change with the customer"),
    "tell_desk": _("Tell the printing desk"),
    "reprint": _("Ask the printing desk to reprint"),
    "refund": _("Hand the refund to after-sales"),
    "restock": _("Return the goods to stock or destroy the slips"),
}

# The steps that change the order: the first of them in a path applies the request.
APPLYING_STEPS = {"apply", "apply_on_slips", "void"}

_CHANGE_STEPS = {
    ChangePath.NOT_PRINTED: ["apply", "remark", "confirm_customer", "tell_desk"],
    ChangePath.PRINTED: ["retrieve_slips", "apply_on_slips", "remark", "confirm_customer"],
    ChangePath.PACKED: ["retrieve_parcel", "apply", "remark", "confirm_customer", "reprint"],
}
_CANCEL_STEPS = {
    ChangePath.NOT_PRINTED: ["void", "remark", "refund"],
    ChangePath.PRINTED: ["retrieve_slips", "void", "remark", "refund", "restock"],
    ChangePath.PACKED: ["retrieve_parcel", "void", "remark", "refund", "restock"],
}


def steps_for(kind: str, path: str) -> list[str]:
    table = _CANCEL_STEPS if kind == ChangeKind.CANCEL else _CHANGE_STEPS
    return list(table[ChangePath(path)])
