"""Feedback API: record a customer's report, list and read problems (for the development
department's tools), and move a problem (confirmed, fixed in a version, won't fix)."""

from typing import Any

from django.core.exceptions import PermissionDenied
from ninja import Router, Status

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.masking import mask_text
from kefu.conversations.selectors import access_conversation
from kefu.core.pagination import keyset_page
from kefu.customers.selectors import access_customer
from kefu.feedback import selectors, services
from kefu.feedback.models import Problem
from kefu.feedback.schemas import ProblemMoveIn, ProblemOut, ProblemPage, ReportIn, ReportOut
from kefu.tickets.selectors import access_ticket

router = Router(tags=["feedback"])


def problem_out(problem: Problem) -> dict[str, Any]:
    return {
        "id": problem.pk,
        "title": problem.title,
        "category": problem.category,
        "severity": problem.severity,
        "state": problem.state,
        "state_label": problem.get_state_display(),
        "fixed_version": problem.fixed_version,
        "resolution_note": problem.resolution_note,
        "reports": problem.report_count,  # type: ignore[attr-defined]  # selectors.problems
        "customers_affected": problem.reporters,  # type: ignore[attr-defined]
        "created_at": problem.created_at,
        "state_changed_at": problem.state_changed_at,
        "version": problem.version,
    }


@router.post("/feedback/reports", response={201: ReportOut}, summary="Record a customer's feedback")
def create_report(request: AuthenticatedRequest, body: ReportIn) -> Status[dict[str, Any]]:
    actor = request.user
    customer = access_customer(actor=actor, customer_id=body.customer_id, request=request)
    if body.ticket_id:
        access_ticket(actor=actor, ticket_id=body.ticket_id, request=request)
    if body.conversation_id:
        access_conversation(actor=actor, conversation_id=body.conversation_id)
    report = services.submit_report(
        actor=actor, customer=customer, **body.dict(exclude={"customer_id"})
    )
    return Status(
        201,
        {
            "id": report.pk,
            "customer_id": report.customer_id,
            "channel": report.channel,
            "category": report.category,
            "severity": report.severity,
            "title": mask_text(report.title, viewer=actor),
            "problem_id": report.problem_id,
            "created_at": report.created_at,
        },
    )


@router.get("/feedback/problems", response=ProblemPage, summary="List problems, newest first")
def list_problems(
    request: AuthenticatedRequest, state: str = "", cursor: int | None = None, limit: int = 50
) -> dict[str, Any]:
    if not selectors.may_see_feedback(request.user):
        raise PermissionDenied
    page = keyset_page(selectors.problems(request.user, state=state), cursor=cursor, size=limit)
    return {"items": [problem_out(p) for p in page.items], "next_cursor": page.next_cursor}


@router.get("/feedback/problems/{problem_id}", response=ProblemOut, summary="One problem")
def get_problem(request: AuthenticatedRequest, problem_id: int) -> dict[str, Any]:
    return problem_out(selectors.access_problem(actor=request.user, problem_id=problem_id))


@router.post(
    "/feedback/problems/{problem_id}/moves",
    response=ProblemOut,
    summary="Confirm, fix or decline a problem (the development department); reporters are told",
)
def move_problem(
    request: AuthenticatedRequest, problem_id: int, body: ProblemMoveIn
) -> dict[str, Any]:
    selectors.access_problem(actor=request.user, problem_id=problem_id)
    services.change_problem_state(
        actor=request.user,
        problem_id=problem_id,
        move=body.move,
        fixed_version=body.fixed_version,
        note=body.note,
        expected_version=body.version,
    )
    return problem_out(selectors.access_problem(actor=request.user, problem_id=problem_id))
