"""Every move of the complaint loop and of the short flow (states.py holds the tables).

Each service: one transaction; lock the row and check `expected_version` (Conflict otherwise); set
the step's fields on the locked instance; check the transition (guards see those fields: refusal
raises TransitionRefused and the transaction rolls back, so nothing changes); write; restart the
stage clock; record the step on the ticket's and the customer's timeline; emit events after commit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import Department, User
from kefu.accounts.roles import ROLE_PERMISSIONS, Perm, Role
from kefu.core import timeline
from kefu.core.errors import DomainError
from kefu.core.events import emit
from kefu.core.satisfaction import Satisfaction, parse_satisfaction
from kefu.tickets.events import (
    PlanApprovalRequested,
    TicketHandlerChanged,
    TicketRouted,
    TicketTransitioned,
)
from kefu.tickets.models import RoutingRule, Ticket, TicketCategory
from kefu.tickets.services import sla
from kefu.tickets.services.tickets import (
    active_category,
    existing_department,
    lock_ticket,
    save_changed,
)
from kefu.tickets.states import OPEN_STATES, TicketState, TicketType, Validity, flow_for

# 处理代价 above this is surely a typing mistake (yuan).
COST_MAX = Decimal("100000000.00")

# What the timeline says of each move ("TS20261123-0001: …").
SUMMARIES = {
    "confirm_restatement": gettext_lazy("restated and confirmed with the customer"),
    "judge_invalid": gettext_lazy("judged not valid and closed: %(detail)s"),
    "judge_valid": gettext_lazy("judged valid; complaint form filled and routed to %(detail)s"),
    "record_cause": gettext_lazy("cause recorded: %(detail)s"),
    "propose_plan": gettext_lazy("resolution plan sent for approval: %(detail)s"),
    "approve_plan": gettext_lazy("resolution plan approved"),
    "return_plan": gettext_lazy("resolution plan sent back: %(detail)s"),
    "carry_out_plan": gettext_lazy("resolution plan carried out"),
    "record_return_visit": gettext_lazy("return visit recorded (%(detail)s)"),
    "close": gettext_lazy("closed"),
    "close_evaluated": gettext_lazy("evaluated and closed; cost of the resolution %(detail)s yuan"),
    "reopen": gettext_lazy("reopened: %(detail)s"),
    "answer": gettext_lazy("answered: %(detail)s"),
    "merge_into": gettext_lazy("merged into %(detail)s as a duplicate"),
}
# Steps that only the CS side and the department see; the rest may be told to the customer.
INTERNAL_STEPS = frozenset(
    {"record_cause", "propose_plan", "approve_plan", "return_plan", "carry_out_plan"}
)
# Fields of one pass through the loop; a reopen clears them (their values stay on the timeline).
LOOP_FIELDS = (
    "validity",
    "return_visit_due_at",
    "summary_evaluation",
    "resolution_cost",
    "invalid_reason",
    "reply_to_customer",
    "cause",
    "resolution_plan",
    "plan_return_reason",
    "plan_decided_by",
    "plan_decided_at",
    "carried_out_at",
    "carried_out_note",
    "return_visit_outcome",
    "satisfaction",
    "return_visited_at",
    "return_visited_by",
    "answer",
)


def _move(
    ticket: Ticket,
    name: str,
    *,
    actor: User,
    now: dt.datetime,
    fields: list[str],
    detail: str = "",
    data: dict[str, Any] | None = None,
) -> Ticket:
    """Check and make the move `name` on a locked ticket whose step fields are already set."""
    flow = flow_for(ticket.type)
    from_state = ticket.state
    transition = flow.check(
        from_state, name, actor=actor, obj=ticket
    )  # raises; the caller's atomic rolls back
    ticket.state = transition.target or from_state
    changed = [*fields, "state", "stage_started_at", "stage_due_at"]
    if ticket.first_responded_at is None and name in {
        "confirm_restatement",
        "answer",
        "judge_invalid",
    }:
        ticket.first_responded_at = now
        changed.append("first_responded_at")
    if ticket.state == TicketState.CLOSED:
        ticket.closed_at = now
        changed.append("closed_at")
    sla.restart_stage(ticket, now=now)
    save_changed(ticket, sorted(set(changed)))
    key = "close_evaluated" if name == "close" and detail else name
    summary = (
        str(SUMMARIES[key]) % {"detail": detail[:200]}
        if "%(detail)s" in str(SUMMARIES[key])
        else str(SUMMARIES[key])
    )
    timeline.record(
        subject=ticket,
        customer_id=ticket.customer_id,
        kind=f"tickets.{name}",
        actor=actor,
        occurred_at=now,
        summary=f"{ticket.number}: {summary}",
        is_internal=name in INTERNAL_STEPS,
        data={"from": from_state, "to": ticket.state, "version": ticket.version, **(data or {})},
    )
    emit(
        TicketTransitioned(
            ticket_id=ticket.pk,
            transition=name,
            from_state=from_state,
            to_state=ticket.state,
            actor_id=actor.pk,
            version=ticket.version,
        )
    )
    return ticket


def pick_handler(department: Department | None) -> User | None:
    """处理人 of a complaint routed to `department`: its active staff member (WORK_ROUTED_TASKS) with
    the fewest open tickets to handle, the earliest account on a tie; None if it has no staff."""
    if department is None:
        return None
    roles = [
        r
        for r, perms in ROLE_PERMISSIONS.items()
        if Perm.WORK_ROUTED_TASKS in perms and r != Role.ADMINISTRATOR
    ]
    return (
        User.objects.filter(department=department, role__in=roles, is_active=True)
        .annotate(
            open_work=Count("handled_tickets", filter=Q(handled_tickets__state__in=OPEN_STATES))
        )
        .order_by("open_work", "id")
        .first()
    )


def routing_department_for(category: TicketCategory | None) -> Department | None:
    """The department of the nearest routing rule up the category tree, or None."""
    if category is None:
        return None
    lineage = category.lineage()
    rules = {
        r.category_id: r
        for r in RoutingRule.objects.filter(category__in=lineage).select_related("department")
    }
    for node in lineage:
        if node.pk in rules:
            return rules[node.pk].department
    return None


# --- the complaint loop --------------------------------------------------------------------------


@transaction.atomic
def confirm_restatement(
    *,
    actor: User,
    ticket_id: int,
    expected_version: int,
    restatement: str,
    now: dt.datetime | None = None,
) -> Ticket:
    """受理/复述确认: the agent restated the complaint and the customer confirmed it."""
    now = now or timezone.now()
    ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
    ticket.restatement = restatement.strip()
    return _move(
        ticket,
        "confirm_restatement",
        actor=actor,
        now=now,
        fields=["restatement"],
        data={"restatement": ticket.restatement},
    )


@transaction.atomic
def judge_complaint_invalid(
    *,
    actor: User,
    ticket_id: int,
    expected_version: int,
    reason: str,
    reply: str,
    now: dt.datetime | None = None,
) -> Ticket:
    """投诉判断, not valid: a tactful reply to the customer and the recorded reason; the ticket closes."""
    now = now or timezone.now()
    ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
    ticket.validity = Validity.INVALID
    ticket.invalid_reason = reason.strip()
    ticket.reply_to_customer = reply.strip()
    return _move(
        ticket,
        "judge_invalid",
        actor=actor,
        now=now,
        fields=["validity", "invalid_reason", "reply_to_customer"],
        detail=ticket.invalid_reason,
        data={"reason": ticket.invalid_reason, "reply": ticket.reply_to_customer},
    )


@transaction.atomic
def judge_complaint_valid(
    *,
    actor: User,
    ticket_id: int,
    expected_version: int,
    complainant: str | None = None,
    complained_at: dt.datetime | None = None,
    content: str | None = None,
    category_id: int | None = None,
    department_id: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """投诉判断, valid: the 客诉单 is completed (complainant, time, content, category) and routed to the
    responsible department: the one given, else the category's routing rule."""
    now = now or timezone.now()
    ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
    if complainant is not None:
        ticket.complainant = complainant.strip()[:60]
    if complained_at is not None:
        ticket.complained_at = complained_at
    if content is not None:
        ticket.content = content.strip()
    if category_id is not None:
        ticket.category = active_category(category_id)
    department: Department | None
    if department_id is not None:
        department = existing_department(department_id)
    else:
        department = routing_department_for(ticket.category)
    ticket.department = department
    ticket.validity = Validity.VALID
    previous_handler = ticket.handler_id
    if ticket.handler is None or ticket.handler.department_id != ticket.department_id:
        ticket.handler = pick_handler(department)
    _move(
        ticket,
        "judge_valid",
        actor=actor,
        now=now,
        fields=[
            "complainant",
            "complained_at",
            "content",
            "category",
            "department",
            "validity",
            "handler",
        ],
        detail=str(department) if department else "",
        data={
            "department_id": ticket.department_id,
            "category_id": ticket.category_id,
            "handler_id": ticket.handler_id,
        },
    )
    emit(
        TicketRouted(ticket_id=ticket.pk, department_id=ticket.department_id, routed_by_id=actor.pk)
    )
    if ticket.handler_id != previous_handler:
        emit(
            TicketHandlerChanged(
                ticket_id=ticket.pk,
                handler_id=ticket.handler_id,
                previous_handler_id=previous_handler,
                changed_by_id=actor.pk,
            )
        )
    return ticket


@transaction.atomic
def record_cause(
    *,
    actor: User,
    ticket_id: int,
    expected_version: int,
    cause: str,
    now: dt.datetime | None = None,
) -> Ticket:
    """The responsible department investigated and records the cause."""
    now = now or timezone.now()
    ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
    ticket.cause = cause.strip()
    return _move(
        ticket,
        "record_cause",
        actor=actor,
        now=now,
        fields=["cause"],
        detail=ticket.cause,
        data={"cause": ticket.cause},
    )


@transaction.atomic
def propose_resolution_plan(
    *, actor: User, ticket_id: int, expected_version: int, plan: str, now: dt.datetime | None = None
) -> Ticket:
    """The department proposes a resolution plan for a supervisor's approval (请主管领导批示)."""
    now = now or timezone.now()
    ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
    ticket.resolution_plan = plan.strip()
    ticket.plan_return_reason = ""
    _move(
        ticket,
        "propose_plan",
        actor=actor,
        now=now,
        fields=["resolution_plan", "plan_return_reason"],
        detail=ticket.resolution_plan,
        data={"plan": ticket.resolution_plan},
    )
    emit(PlanApprovalRequested(ticket_id=ticket.pk, proposed_by_id=actor.pk))
    return ticket


@transaction.atomic
def approve_resolution_plan(
    *, actor: User, ticket_id: int, expected_version: int, now: dt.datetime | None = None
) -> Ticket:
    """审批: a supervisor approves the plan; the department may carry it out."""
    now = now or timezone.now()
    ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
    ticket.plan_decided_by = actor
    ticket.plan_decided_at = now
    return _move(
        ticket,
        "approve_plan",
        actor=actor,
        now=now,
        fields=["plan_decided_by", "plan_decided_at"],
        data={"plan": ticket.resolution_plan},
    )


@transaction.atomic
def return_resolution_plan(
    *,
    actor: User,
    ticket_id: int,
    expected_version: int,
    reason: str,
    now: dt.datetime | None = None,
) -> Ticket:
    """审批: a supervisor sends the plan back with a reason; the department proposes again."""
    now = now or timezone.now()
    ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
    ticket.plan_return_reason = reason.strip()
    ticket.plan_decided_by = actor
    ticket.plan_decided_at = now
    return _move(
        ticket,
        "return_plan",
        actor=actor,
        now=now,
        fields=["plan_return_reason", "plan_decided_by", "plan_decided_at"],
        detail=ticket.plan_return_reason,
        data={"reason": ticket.plan_return_reason, "plan": ticket.resolution_plan},
    )


@transaction.atomic
def carry_out_resolution_plan(
    *,
    actor: User,
    ticket_id: int,
    expected_version: int,
    note: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """The department has carried out the approved plan (its part is done)."""
    now = now or timezone.now()
    ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
    ticket.carried_out_at = now
    ticket.carried_out_note = note.strip()
    ticket.return_visit_due_at = sla.return_visit_due(now)  # 三天之内回访
    return _move(
        ticket,
        "carry_out_plan",
        actor=actor,
        now=now,
        fields=["carried_out_at", "carried_out_note", "return_visit_due_at"],
        data={
            "note": ticket.carried_out_note,
            "return_visit_due_at": ticket.return_visit_due_at.isoformat(),
        },
    )


@transaction.atomic
def record_return_visit(
    *,
    actor: User,
    ticket_id: int,
    expected_version: int,
    outcome: str,
    satisfaction: int | str | None,
    now: dt.datetime | None = None,
) -> Ticket:
    """追踪回访: the customer was told the result; the outcome and their satisfaction are recorded,
    on the one scale of every channel (kefu.core.satisfaction: 1 非常不满意 … 5 非常满意)."""
    if satisfaction in (None, ""):
        satisfaction = None
    else:
        satisfaction = parse_satisfaction(satisfaction)
        if satisfaction is None:
            raise DomainError(_("Unknown satisfaction level."))
    now = now or timezone.now()
    ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
    ticket.return_visit_outcome = outcome.strip()
    ticket.satisfaction = satisfaction
    ticket.return_visited_at = now
    ticket.return_visited_by = actor
    return _move(
        ticket,
        "record_return_visit",
        actor=actor,
        now=now,
        fields=["return_visit_outcome", "satisfaction", "return_visited_at", "return_visited_by"],
        detail=str(Satisfaction(satisfaction).label) if satisfaction else "",
        data={"outcome": ticket.return_visit_outcome, "satisfaction": satisfaction},
    )


# --- both flows ----------------------------------------------------------------------------------


@transaction.atomic
def answer_ticket(
    *,
    actor: User,
    ticket_id: int,
    expected_version: int,
    answer: str,
    now: dt.datetime | None = None,
) -> Ticket:
    """Short flow: the answer given to a consultation, suggestion or other short ticket."""
    now = now or timezone.now()
    ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
    ticket.answer = answer.strip()
    return _move(
        ticket,
        "answer",
        actor=actor,
        now=now,
        fields=["answer"],
        detail=ticket.answer,
        data={"answer": ticket.answer},
    )


def clean_cost(cost) -> Decimal | None:
    """处理代价 in yuan: a number from 0 to COST_MAX with at most two decimals (fen)."""
    if cost is None or cost == "":
        return None
    try:
        value = Decimal(str(cost).strip().replace(",", "").removeprefix("¥"))
    except InvalidOperation:
        raise DomainError(_("The cost must be an amount in yuan, such as 120.50.")) from None
    if not value.is_finite() or value < 0 or value > COST_MAX:
        raise DomainError(
            _("The cost must be between 0 and %(max)s yuan.") % {"max": f"{COST_MAX:,.2f}"}
        )
    if value != value.quantize(Decimal("0.01")):
        raise DomainError(_("The cost has at most two decimals (fen)."))
    return value.quantize(Decimal("0.01"))


@transaction.atomic
def close_ticket(
    *,
    actor: User,
    ticket_id: int,
    expected_version: int,
    summary: str | None = None,
    cost: Decimal | str | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Close and archive. A complaint closes only after its return visit, with its 总结评价: the
    summary evaluation of the case and the cost of the resolution (处理代价, yuan)."""
    now = now or timezone.now()
    cost_value = clean_cost(cost)
    ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
    fields: list[str] = []
    data: dict[str, Any] = {}
    if ticket.type == TicketType.COMPLAINT:
        if summary is not None:
            ticket.summary_evaluation = summary.strip()
        if cost_value is not None:
            ticket.resolution_cost = cost_value
        fields = ["summary_evaluation", "resolution_cost"]
        data = {
            "summary": ticket.summary_evaluation,
            "cost": None if ticket.resolution_cost is None else str(ticket.resolution_cost),
        }
    return _move(
        ticket,
        "close",
        actor=actor,
        now=now,
        fields=fields,
        detail=data.get("cost") or "",
        data=data,
    )


@transaction.atomic
def reopen_ticket(
    *,
    actor: User,
    ticket_id: int,
    expected_version: int,
    reason: str,
    now: dt.datetime | None = None,
) -> Ticket:
    """Reopen a closed ticket: a complaint goes back to the validity judgment, a short ticket to
    received. The last pass's records are cleared on the ticket and kept on the timeline."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the ticket is reopened."))
    now = now or timezone.now()
    ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
    previous = {
        f: (
            getattr(ticket, f"{f}_id")
            if f in {"plan_decided_by", "return_visited_by"}
            else getattr(ticket, f)
        )
        for f in LOOP_FIELDS
    }
    previous = {
        k: (
            v.isoformat() if isinstance(v, dt.datetime) else str(v) if isinstance(v, Decimal) else v
        )
        for k, v in previous.items()
    }
    if ticket.state == TicketState.CLOSED:
        for f in LOOP_FIELDS:
            field = Ticket._meta.get_field(f)
            assert isinstance(field, models.Field)  # LOOP_FIELDS are concrete columns
            setattr(ticket, f, None if field.null else field.get_default())
        ticket.closed_at = None
        ticket.reopen_count += 1
        sla.restart_resolution(ticket, now=now)
    return _move(
        ticket,
        "reopen",
        actor=actor,
        now=now,
        fields=[*LOOP_FIELDS, "closed_at", "reopen_count", "resolve_due_at"],
        detail=reason,
        data={"reason": reason, "previous": previous},
    )


@transaction.atomic
def merge_into(
    *,
    actor: User,
    ticket_id: int,
    expected_version: int,
    survivor: str,
    now: dt.datetime | None = None,
) -> Ticket:
    """A duplicate (same customer, same matter) is closed into the `survivor` (its number): notes,
    files and watchers move there, the survivor's history says so, and the duplicate cannot reopen."""
    now = now or timezone.now()
    ticket = lock_ticket(ticket_id=ticket_id, expected_version=expected_version)
    target = Ticket.objects.select_for_update().filter(number=str(survivor).strip().upper()).first()
    if (
        target is None
    ):  # only those who serve customers may merge (the move's guard), and they see every ticket
        raise DomainError(
            _("There is no ticket %(number)s.") % {"number": str(survivor).strip()[:30]}
        )
    if target.pk == ticket.pk or target.merged_into_id is not None or not target.is_open:
        raise DomainError(_("Merge into an open ticket other than this one."))
    if ticket.customer_id and target.customer_id and ticket.customer_id != target.customer_id:
        raise DomainError(
            _(
                "%(number)s belongs to another customer; only the same customer's tickets are merged."
            )
            % {"number": target.number}
        )
    ticket.merged_into = target
    moved = {
        "notes": ticket.notes.update(ticket=target),
        "attachments": ticket.attachments.update(ticket=target),
    }
    target.watchers.add(*ticket.watchers.all())
    _move(
        ticket,
        "merge_into",
        actor=actor,
        now=now,
        fields=["merged_into"],
        detail=target.number,
        data={"survivor_id": target.pk, "moved": moved},
    )
    timeline.record(
        subject=target,
        customer_id=target.customer_id,
        kind="tickets.merged",
        actor=actor,
        occurred_at=now,
        summary=_("%(number)s: %(duplicate)s merged into this ticket")
        % {"number": target.number, "duplicate": ticket.number},
        data={"duplicate_id": ticket.pk, "moved": moved},
    )
    return ticket
