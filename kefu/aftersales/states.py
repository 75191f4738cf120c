"""The after-sales flow (seed 002 售后 ①–⑤, 003/004): agents review and accept, the warehouse takes
the returned parcel in (拆件登记) and ships replacements, finance pays refunds. Warehouse and finance
staff act on their own steps only; supervisors may act on any step (an emergency)."""

from collections.abc import Collection

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.aftersales.models import AfterSalesCase, CaseKind, CaseState
from kefu.core.errors import StrOrPromise
from kefu.core.statemachine import Guard, StateMachine, Transition, require_perm, role_guard

RETURNING = {CaseKind.RETURN, CaseKind.EXCHANGE, CaseKind.QUALITY}
REFUNDING = {CaseKind.RETURN, CaseKind.QUALITY}


def in_department(code: str) -> Guard:
    """Staff of the department `code` (warehouse, finance), or a supervisor taking over."""

    def guard(actor: User | None, obj: object) -> str | None:
        if actor is None:
            return _("your role does not have this right")
        if actor.has_perm(Perm.HANDLE_EMERGENCY):
            return None
        department = getattr(actor, "department", None)
        if (
            actor.has_perm(Perm.WORK_ROUTED_TASKS)
            and department is not None
            and department.code == code
        ):
            return None
        return _("this step belongs to another department")

    return role_guard(guard)


def kind_in(kinds: Collection[str], reason: StrOrPromise) -> Guard:
    def guard(actor: User | None, obj: AfterSalesCase | None) -> StrOrPromise | None:
        return None if obj is None or obj.kind in kinds else reason

    return guard


def photos_reviewed(actor: User | None, obj: AfterSalesCase | None) -> str | None:
    if (
        obj is not None
        and obj.kind == CaseKind.QUALITY
        and not (obj.photos.exists() and obj.photos_reviewed)
    ):
        return _("a quality case needs the buyer's photos, reviewed, before it is accepted")
    return None


CASE_FLOW = StateMachine(
    subject=gettext_lazy("after-sales case"),
    states=CaseState,
    transitions=[
        Transition(
            "accept_return",
            gettext_lazy("Accept: the buyer sends it back"),
            source={CaseState.OPENED},
            target=CaseState.AWAITING_RETURN,
            guards=(
                require_perm(Perm.SERVE_CUSTOMERS),
                kind_in(RETURNING, gettext_lazy("nothing comes back in this kind of case")),
                photos_reviewed,
            ),
        ),
        Transition(
            "accept_refund",
            gettext_lazy("Accept: refund without return"),
            source={CaseState.OPENED},
            target=CaseState.REFUND_PENDING,
            guards=(
                require_perm(Perm.SERVE_CUSTOMERS),
                kind_in(
                    {CaseKind.REFUND_ONLY}, gettext_lazy("only a refund-only case skips the return")
                ),
            ),
        ),
        Transition(
            "accept_reissue",
            gettext_lazy("Accept: ship it again"),
            source={CaseState.OPENED},
            target=CaseState.REISSUE_PENDING,
            guards=(
                require_perm(Perm.SERVE_CUSTOMERS),
                kind_in({CaseKind.REISSUE}, gettext_lazy("only a reissue ships without a return")),
            ),
        ),
        Transition(
            "reject",
            gettext_lazy("Reject"),
            source={CaseState.OPENED},
            target=CaseState.REJECTED,
            guard=require_perm(Perm.SERVE_CUSTOMERS),
        ),
        Transition(
            "intake_refund",
            gettext_lazy("Parcel received (拆件登记): to refund"),
            source={CaseState.AWAITING_RETURN},
            target=CaseState.REFUND_PENDING,
            guards=(
                in_department("warehouse"),
                kind_in(REFUNDING, gettext_lazy("an exchange ships a replacement")),
            ),
        ),
        Transition(
            "intake_exchange",
            gettext_lazy("Parcel received (拆件登记): ship the replacement"),
            source={CaseState.AWAITING_RETURN},
            target=CaseState.REISSUE_PENDING,
            guards=(
                in_department("warehouse"),
                kind_in({CaseKind.EXCHANGE}, gettext_lazy("only an exchange ships a replacement")),
            ),
        ),
        Transition(
            "ship_again",
            gettext_lazy("Replacement shipped"),
            source={CaseState.REISSUE_PENDING},
            target=CaseState.DONE,
            guard=in_department("warehouse"),
        ),
        Transition(
            "pay_refund",
            gettext_lazy("Refund paid"),
            source={CaseState.REFUND_PENDING},
            target=CaseState.DONE,
            guard=in_department("finance"),
        ),
        Transition(
            "flag_arbitration",
            gettext_lazy("Platform arbitration (小二介入)"),
            source={
                CaseState.OPENED,
                CaseState.AWAITING_RETURN,
                CaseState.REFUND_PENDING,
                CaseState.REISSUE_PENDING,
            },
            target=None,
            guard=require_perm(Perm.SERVE_CUSTOMERS),
        ),
    ],
)

ACCEPT_BY_KIND = {
    CaseKind.RETURN: "accept_return",
    CaseKind.EXCHANGE: "accept_return",
    CaseKind.QUALITY: "accept_return",
    CaseKind.REFUND_ONLY: "accept_refund",
    CaseKind.REISSUE: "accept_reissue",
}
