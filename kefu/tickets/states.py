"""Ticket states and the two transition tables: the closed complaint loop and the short flow.

Complaints (投诉) go through the whole loop of seeds 001/003:

    received ──confirm_restatement──▶ confirmed ──judge_invalid──▶ closed   (tactful reply + reason)
                                          │
                                          └──judge_valid──▶ routed ──record_cause──▶ investigated
    investigated ──propose_plan──▶ plan_proposed ──approve_plan──▶ plan_approved
                                        └──return_plan──▶ investigated (sent back, 退回)
    plan_approved ──carry_out_plan──▶ carried_out ──record_return_visit──▶ return_visited ──close──▶ closed
        (the return visit is due three working days after carry_out_plan, 三天之内回访; close
         records the 总结评价: a summary evaluation and the cost of the resolution)
    closed ──reopen──▶ confirmed (judged again; the history stays on the timeline)
    received/confirmed ──merge_into──▶ closed (a duplicate: notes, files and watchers move to the survivor)

Every other type (consultation, suggestion, and for now after-sales, dispatch and feedback, which
later issues extend) takes the short flow: received ──answer──▶ answered ──close──▶ closed, and
closed ──reopen──▶ received.

Guards only read. The department guard lets only staff of the responsible department act for it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.errors import StrOrPromise
from kefu.core.statemachine import StateMachine, Transition, require_perm, role_guard


class TicketType(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")  # 咨询: a question answered
    COMPLAINT = "complaint", _("Complaint")  # 投诉: the closed complaint loop (客诉单)
    SUGGESTION = "suggestion", _("Suggestion")  # 建议: recorded and answered
    AFTER_SALES = "after_sales", _("After-sales")  # 售后: extended by the after-sales issue
    DISPATCH = "dispatch", _("Field dispatch")  # 派工: extended by the dispatch issue
    FEEDBACK = "feedback", _("Feedback")  # 反馈: product feedback and bugs, extended later


class TicketState(models.TextChoices):
    RECEIVED = "received", _("Received")  # 受理: recorded, not yet restated to the customer
    CONFIRMED = (
        "confirmed",
        _("Restated and confirmed"),
    )  # 复述确认: waiting for the validity judgment
    ROUTED = "routed", _("Routed to the department")  # 客诉单 filled; the department investigates
    INVESTIGATED = "investigated", _("Cause found")  # the department recorded the cause
    PLAN_PROPOSED = "plan_proposed", _("Plan awaiting approval")  # 请主管领导批示
    PLAN_APPROVED = "plan_approved", _("Plan approved")  # the department may carry it out
    CARRIED_OUT = "carried_out", _("Plan carried out")  # the department has done its part
    RETURN_VISITED = (
        "return_visited",
        _("Return visit done"),
    )  # 追踪回访: result told, satisfaction known
    ANSWERED = "answered", _("Answered")  # short flow: the customer has the answer
    CLOSED = "closed", _("Closed")  # finished and archived; may be reopened


OPEN_STATES = frozenset(TicketState.values) - {TicketState.CLOSED}


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")  # 紧急: a supervisor is told at once


class Validity(models.TextChoices):
    UNJUDGED = "", _("Not judged yet")
    VALID = "valid", _("Valid")  # 有效投诉: a 客诉单 is filled and routed
    INVALID = "invalid", _("Not valid")  # 无效投诉: a tactful reply and a recorded reason


# --- guards: guard(actor, ticket) -> reason | None -----------------------------------------------


def input_check(guard):
    """Mark a guard that checks what the user types with the move (a cause, a reason): the page
    shows the move's button anyway and asks for it (selectors.allowed_transitions skips these)."""

    def checked(actor, ticket):
        return guard(actor, ticket)

    checked.checks_input = True
    checked.__name__ = f"{guard.__name__}_input"
    return checked


@role_guard
def in_responsible_department(actor, ticket) -> StrOrPromise | None:
    """Department staff of the ticket's responsible department, and nobody else."""
    if actor is None or not actor.has_perm(Perm.WORK_ROUTED_TASKS):
        return _("only the responsible department's staff may do this")
    if ticket.department_id is None or actor.department_id != ticket.department_id:
        return _("the ticket is routed to another department")
    return None


def restatement_given(actor, ticket) -> StrOrPromise | None:
    return (
        None
        if ticket.restatement.strip()
        else _("the restatement confirmed with the customer is missing")
    )


def complaint_form_complete(actor, ticket) -> StrOrPromise | None:
    """The 客诉单: complainant, time, content, category, and a department to route it to."""
    missing = [
        str(label)
        for label, value in (
            (_("complainant"), ticket.complainant.strip()),
            (_("complaint time"), ticket.complained_at),
            (_("content"), ticket.content.strip()),
            (_("category"), ticket.category_id),
            (_("responsible department"), ticket.department_id),
        )
        if not value
    ]
    if missing:
        return _("the complaint form is missing: %(fields)s") % {"fields": "、".join(missing)}
    return None


def invalid_reason_and_reply_given(actor, ticket) -> StrOrPromise | None:
    if not ticket.invalid_reason.strip():
        return _("the reason the complaint is not valid is missing")
    if not ticket.reply_to_customer.strip():
        return _("the reply to the customer is missing")
    return None


def cause_recorded(actor, ticket) -> StrOrPromise | None:
    return None if ticket.cause.strip() else _("the cause has not been recorded")


def plan_written(actor, ticket) -> StrOrPromise | None:
    return None if ticket.resolution_plan.strip() else _("the resolution plan is empty")


def return_reason_given(actor, ticket) -> StrOrPromise | None:
    return None if ticket.plan_return_reason.strip() else _("say why the plan is sent back")


def return_visit_recorded(actor, ticket) -> StrOrPromise | None:
    """A complaint cannot close before the customer has been told the result (追踪回访)."""
    if (
        ticket.return_visited_at is None
        or not ticket.return_visit_outcome.strip()
        or not ticket.satisfaction
    ):
        return _("the return visit (outcome and satisfaction) has not been recorded")
    return None


def summary_evaluation_given(actor, ticket) -> StrOrPromise | None:
    """总结评价 (seed 003): a valid complaint closes with its summary and the cost of its resolution."""
    if not ticket.summary_evaluation.strip():
        return _("the summary evaluation is missing")
    if ticket.resolution_cost is None:
        return _("the cost of the resolution is missing (0 if it cost nothing)")
    return None


def merge_target_given(actor, ticket) -> StrOrPromise | None:
    return None if ticket.merged_into_id else _("name the ticket to merge into")


def not_merged(actor, ticket) -> StrOrPromise | None:
    """A ticket merged into another stays closed: the survivor carries the work on."""
    return _("it was merged into another ticket") if ticket.merged_into_id else None


def answer_given(actor, ticket) -> StrOrPromise | None:
    return None if ticket.answer.strip() else _("the answer is empty")


serves = require_perm(Perm.SERVE_CUSTOMERS)
approves = require_perm(Perm.APPROVE)

COMPLAINT_FLOW = StateMachine(
    subject=_("complaint"),
    states=TicketState,
    transitions=[
        Transition(
            "confirm_restatement",
            _("Restate and confirm"),
            source=[TicketState.RECEIVED],
            target=TicketState.CONFIRMED,
            guards=(serves, input_check(restatement_given)),
        ),
        Transition(
            "judge_invalid",
            _("Judge not valid and close"),
            source=[TicketState.CONFIRMED],
            target=TicketState.CLOSED,
            guards=(serves, input_check(invalid_reason_and_reply_given)),
        ),
        Transition(
            "judge_valid",
            _("Judge valid and route"),
            source=[TicketState.CONFIRMED],
            target=TicketState.ROUTED,
            guards=(serves, input_check(complaint_form_complete)),
        ),
        Transition(
            "record_cause",
            _("Record the cause"),
            source=[TicketState.ROUTED],
            target=TicketState.INVESTIGATED,
            guards=(in_responsible_department, input_check(cause_recorded)),
        ),
        Transition(
            "propose_plan",
            _("Propose a resolution plan"),
            source=[TicketState.INVESTIGATED],
            target=TicketState.PLAN_PROPOSED,
            guards=(in_responsible_department, cause_recorded, input_check(plan_written)),
        ),
        Transition(
            "approve_plan",
            _("Approve the plan"),
            source=[TicketState.PLAN_PROPOSED],
            target=TicketState.PLAN_APPROVED,
            guard=approves,
        ),
        Transition(
            "return_plan",
            _("Send the plan back"),
            source=[TicketState.PLAN_PROPOSED],
            target=TicketState.INVESTIGATED,
            guards=(approves, input_check(return_reason_given)),
        ),
        Transition(
            "carry_out_plan",
            _("Mark the plan carried out"),
            source=[TicketState.PLAN_APPROVED],
            target=TicketState.CARRIED_OUT,
            guard=in_responsible_department,
        ),
        Transition(
            "record_return_visit",
            _("Record the return visit"),
            source=[TicketState.CARRIED_OUT],
            target=TicketState.RETURN_VISITED,
            guards=(serves, input_check(return_visit_recorded)),
        ),
        Transition(
            "close",
            _("Evaluate and close"),
            source=[TicketState.RETURN_VISITED],
            target=TicketState.CLOSED,
            guards=(serves, return_visit_recorded, input_check(summary_evaluation_given)),
        ),
        Transition(
            "reopen",
            _("Reopen"),
            source=[TicketState.CLOSED],
            target=TicketState.CONFIRMED,
            guards=(serves, not_merged),
        ),
        Transition(
            "merge_into",
            _("Merge into another ticket"),
            source=[TicketState.RECEIVED, TicketState.CONFIRMED],
            target=TicketState.CLOSED,
            guards=(serves, input_check(merge_target_given)),
        ),
    ],
)

SHORT_FLOW = StateMachine(
    subject=_("ticket"),
    states=TicketState,
    transitions=[
        Transition(
            "answer",
            _("Answer"),
            source=[TicketState.RECEIVED],
            target=TicketState.ANSWERED,
            guards=(serves, input_check(answer_given)),
        ),
        Transition(
            "close",
            _("Close"),
            source=[TicketState.ANSWERED],
            target=TicketState.CLOSED,
            guard=serves,
        ),
        Transition(
            "reopen",
            _("Reopen"),
            source=[TicketState.CLOSED],
            target=TicketState.RECEIVED,
            guards=(serves, not_merged),
        ),
        Transition(
            "merge_into",
            _("Merge into another ticket"),
            source=[TicketState.RECEIVED, TicketState.ANSWERED],
            target=TicketState.CLOSED,
            guards=(serves, input_check(merge_target_given)),
        ),
    ],
)


def flow_for(ticket_type: str) -> StateMachine:
    return COMPLAINT_FLOW if ticket_type == TicketType.COMPLAINT else SHORT_FLOW
