"""Return visits API: plans (drafted, previewed, submitted, approved or sent back, issued, closed),
the visit tasks (moved in bulk), their records, care campaigns, surveys and the figures. The same
selectors and services as the pages: a plan or visit the user may not see answers 404, an action
their role may not take 403, a rule refused 400/409/422 with the reason."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import P, QueryEx, Router, Status

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core.pagination import keyset_page
from kefu.core.reporting import EARLIEST_DAY, LATEST_DAY, checked_period
from kefu.visits import selectors, services
from kefu.visits.models import ReturnVisit, Survey, SurveyAnswer, VisitCampaign, VisitRecord
from kefu.visits.schemas import (
    CareIn,
    CarePreviewOut,
    CareScheduledOut,
    DecisionIn,
    MonthReportOut,
    MovedOut,
    MoveIn,
    PlanEditIn,
    PlanIn,
    PlanOut,
    PlanPage,
    PlanPreviewOut,
    RecordIn,
    RecordOut,
    SurveyAnswerPage,
    SurveyOut,
    SurveyResultsOut,
    VersionIn,
    VisitFiguresOut,
    VisitOut,
    VisitPage,
)
from kefu.visits.services import care
from kefu.visits.tasks import start_issuing

router = Router(tags=["visits"])


def plan_out(plan: VisitCampaign) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "number": plan.number,
        "title": plan.title,
        "purpose": plan.purpose,
        "channel": plan.channel,
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "rules": plan.rules,
        "planned_count": plan.planned_count,
        "service_item": plan.service_item,
        "script": plan.script,
        "team_id": plan.team_id,
        "state": plan.state,
        "state_label": str(plan.get_state_display()),
        "selected_count": plan.selected_count,
        "issued_count": plan.issued_count,
        "version": plan.version,
    }


def visit_out(visit: ReturnVisit) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "campaign_id": visit.campaign_id,
        "customer_id": visit.customer_id,
        "customer_name": visit.customer.name,
        "assignee_id": visit.assignee_id,
        "source": visit.source,
        "channel": visit.channel,
        "state": visit.state,
        "scheduled_at": visit.scheduled_at,
        "due_at": visit.due_at,
    }


def record_out(record: VisitRecord) -> dict[str, Any]:
    return {
        "visit_id": record.visit_id,
        "reached": record.reached,
        "unreached_reason": record.unreached_reason,
        "satisfaction": record.satisfaction,
        "product_opinion": record.product_opinion,
        "service_opinion": record.service_opinion,
        "suggestions": record.suggestions,
        "next_contact_at": record.next_contact_at,
        "call_id": record.call_id,
        "complaint_id": record.complaint_id,
        "recorded_by_id": record.recorded_by_id,
        "recorded_at": record.recorded_at,
    }


def _serves(user: User) -> None:
    if not user.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionDenied


@router.get("/visits/plans", response=PlanPage, summary="List visit plans, newest first")
def list_plans(
    request: AuthenticatedRequest,
    state: str = "",
    cursor: int | None = None,
    limit: QueryEx[int, P(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    if not selectors.may_plan(request.user):
        raise PermissionDenied
    qs = selectors.visible_campaigns(request.user)
    if state:
        qs = qs.filter(state=state[:12])
    page = keyset_page(qs.order_by("-id"), cursor=cursor, size=limit)
    return {"items": [plan_out(p) for p in page.items], "next_cursor": page.next_cursor}


@router.get("/visits/plans/{plan_id}", response=PlanOut, summary="One visit plan")
def get_plan(request: AuthenticatedRequest, plan_id: int) -> dict[str, Any]:
    if not selectors.may_plan(request.user):
        raise PermissionDenied
    return plan_out(selectors.access_campaign(actor=request.user, campaign_id=plan_id))


def _planner(user: User) -> None:
    if not selectors.may_plan(user):
        raise PermissionDenied


def _planners_plan(request: AuthenticatedRequest, plan_id: int) -> VisitCampaign:
    """The plan for someone who plans (403 otherwise), if they may see it (404 otherwise)."""
    _planner(request.user)
    return selectors.access_campaign(actor=request.user, campaign_id=plan_id)


@router.post("/visits/plans", response={201: PlanOut}, summary="Draft a visit plan 回访计划")
def create_plan(request: AuthenticatedRequest, body: PlanIn) -> Status[dict[str, Any]]:
    plan = services.create_campaign(actor=request.user, **body.dict())
    return Status(201, plan_out(plan))


@router.put(
    "/visits/plans/{plan_id}",
    response=PlanOut,
    summary="Change a draft plan, or one sent back (it becomes a draft to submit again)",
)
def edit_plan(request: AuthenticatedRequest, plan_id: int, body: PlanEditIn) -> dict[str, Any]:
    _planners_plan(request, plan_id)
    fields = body.dict()
    version = fields.pop("version")
    services.update_campaign(
        actor=request.user, campaign_id=plan_id, expected_version=version, **fields
    )
    return _plan_again(request, plan_id)


@router.get(
    "/visits/plans/{plan_id}/preview",
    response=PlanPreviewOut,
    summary="The plan's selection counted (by level, with an owner, with an open visit, kept)",
)
def preview_plan(request: AuthenticatedRequest, plan_id: int) -> dict[str, Any]:
    counted = selectors.preview(_planners_plan(request, plan_id))
    return {
        **counted,
        "levels": [{"level": str(label), "count": n} for label, n in counted["levels"]],
    }


def _plan_again(request: AuthenticatedRequest, plan_id: int) -> dict[str, Any]:
    return plan_out(selectors.access_campaign(actor=request.user, campaign_id=plan_id))


@router.post(
    "/visits/plans/{plan_id}/submit",
    response=PlanOut,
    summary="Submit the plan for approval with its selection counted",
)
def submit_plan(request: AuthenticatedRequest, plan_id: int, body: VersionIn) -> dict[str, Any]:
    _planners_plan(request, plan_id)
    services.submit_campaign(actor=request.user, campaign_id=plan_id, expected_version=body.version)
    return _plan_again(request, plan_id)


@router.post(
    "/visits/plans/{plan_id}/decide",
    response=PlanOut,
    summary="Approve a submitted plan, or send it back with the reason",
)
def decide_plan(request: AuthenticatedRequest, plan_id: int, body: DecisionIn) -> dict[str, Any]:
    _planners_plan(request, plan_id)
    services.decide_campaign(
        actor=request.user,
        campaign_id=plan_id,
        approve=body.approve,
        note=body.note,
        expected_version=body.version,
    )
    return _plan_again(request, plan_id)


@router.post(
    "/visits/plans/{plan_id}/issue",
    response={202: PlanOut},
    summary="Issue an approved plan: its visit tasks are made in the background (issued_count)",
)
def issue_plan(
    request: AuthenticatedRequest, plan_id: int, body: VersionIn
) -> Status[dict[str, Any]]:
    _planners_plan(request, plan_id)
    start_issuing(actor=request.user, campaign_id=plan_id, expected_version=body.version)
    return Status(202, _plan_again(request, plan_id))


@router.post(
    "/visits/plans/{plan_id}/close",
    response=PlanOut,
    summary="Close a plan: its open visits are cancelled",
)
def close_plan(request: AuthenticatedRequest, plan_id: int) -> dict[str, Any]:
    _planners_plan(request, plan_id)
    services.close_campaign(actor=request.user, campaign_id=plan_id)
    return _plan_again(request, plan_id)


@router.post(
    "/visits/tasks/move",
    response=MovedOut,
    summary="Move open visit tasks to another agent (调配); refused whole, with the reason, when "
    "the agent is not in a plan's team (422) or a task is no longer open",
)
def move_tasks(request: AuthenticatedRequest, body: MoveIn) -> dict[str, int]:
    if not request.user.has_perm(Perm.ASSIGN_WORK):
        raise PermissionDenied
    moved = services.move_visits(
        actor=request.user, visit_ids=body.visit_ids, to_agent_id=body.agent_id
    )
    return {"moved": moved}


def _care_args(request: AuthenticatedRequest, body: CareIn) -> dict[str, Any]:
    _assigns(request.user)
    return {"actor": request.user, "occasion": body.occasion, "channel": body.channel}


def _care_range(body: CareIn) -> dict[str, Any]:
    return body.rules.dict() if body.rules is not None else {}


@router.post(
    "/visits/care/preview",
    response=CarePreviewOut,
    summary="What a care campaign would send: by SMS and e-mail, and who is left out and why",
)
def preview_care(request: AuthenticatedRequest, body: CareIn) -> dict[str, Any]:
    return care.preview_care(**_care_args(request, body), kind=body.kind, rules=_care_range(body))


@router.post(
    "/visits/care",
    response={201: CareScheduledOut},
    summary="Schedule a care campaign 关怀: a holiday greeting or an event/promotion message",
)
def schedule_care(request: AuthenticatedRequest, body: CareIn) -> Status[dict[str, int]]:
    args = _care_args(request, body)
    send_at = dt.datetime.combine(body.occasion, body.send_time, ZoneInfo(settings.TIME_ZONE))
    common = {
        **args,
        "send_at": send_at,
        "rules": _care_range(body),
        "template_code": body.template_code,
    }
    if body.kind == "holiday":
        counts = care.schedule_holiday(**common)
    else:
        counts = care.schedule_event(**common, kind=body.kind, text=body.text)
    return Status(201, counts)


@router.get("/visits/today", response=VisitPage, summary="My visits for today, soonest first")
def my_visits_today(
    request: AuthenticatedRequest, limit: QueryEx[int, P(ge=1, le=200)] = 50
) -> dict[str, Any]:
    _serves(request.user)
    visits = list(selectors.today_list(request.user)[:limit])
    return {"items": [visit_out(v) for v in visits], "next_cursor": None}


@router.get("/visits/tasks/{visit_id}", response=VisitOut, summary="One visit task")
def get_visit(request: AuthenticatedRequest, visit_id: int) -> dict[str, Any]:
    _serves(request.user)
    return visit_out(selectors.access_visit(actor=request.user, visit_id=visit_id))


@router.get("/visits/tasks/{visit_id}/record", response=RecordOut, summary="A visit's record")
def get_record(request: AuthenticatedRequest, visit_id: int) -> dict[str, Any]:
    _serves(request.user)
    visit = selectors.access_visit(actor=request.user, visit_id=visit_id)
    record = VisitRecord.objects.filter(visit=visit).first()
    if record is None:
        raise Http404
    return record_out(record)


@router.post(
    "/visits/tasks/{visit_id}/record",
    response={201: RecordOut},
    summary="Save the visit record 回访记录表 (complete, or refused with the reason)",
)
def post_record(
    request: AuthenticatedRequest, visit_id: int, body: RecordIn
) -> Status[dict[str, Any]]:
    _serves(request.user)
    visit = selectors.access_visit(actor=request.user, visit_id=visit_id)
    record = services.record_visit(actor=request.user, visit_id=visit.pk, **body.dict())
    return Status(201, record_out(record))


@router.get(
    "/visits/figures", response=VisitFiguresOut, summary="Visits done, reach and satisfaction"
)
def figures(request: AuthenticatedRequest, start: dt.date, end: dt.date) -> dict[str, Any]:
    if not request.user.has_perm(Perm.VIEW_REPORTS):
        raise PermissionDenied
    checked_period(start, end)
    return selectors.visit_figures(start=start, end=end)


# --- surveys and the monthly report ---------------------------------------------------------------


def _assigns(user: User) -> None:
    if not user.has_perm(Perm.ASSIGN_WORK):
        raise PermissionDenied


def survey_out(survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.pk,
        "title": survey.title,
        "trigger": survey.trigger,
        "channel": survey.channel,
        "valid_days": survey.valid_days,
        "low_score": survey.low_score,
        "follow_up": survey.follow_up,
        "active": survey.active,
        "questions": [
            {
                "id": q.pk,
                "kind": q.kind,
                "text": q.text,
                "choices": q.choices,
                "required": q.required,
            }
            for q in survey.questions.all()
        ],
    }


@router.get(
    "/visits/surveys", response=list[SurveyOut], summary="Satisfaction surveys, newest first"
)
def list_surveys(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    _assigns(request.user)
    return [survey_out(s) for s in selectors.visible_surveys(request.user).order_by("-id")[:200]]


@router.get(
    "/visits/surveys/{survey_id}/results",
    response=SurveyResultsOut,
    summary="A survey's results: answered, average, low scores and NPS, by agent, team, channel,"
    " month and ticket category",
)
def survey_results(
    request: AuthenticatedRequest,
    survey_id: int,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict[str, Any]:
    _assigns(request.user)
    survey = selectors.access_survey(actor=request.user, survey_id=survey_id)
    checked_period(
        start or EARLIEST_DAY, end or LATEST_DAY, max_days=(LATEST_DAY - EARLIEST_DAY).days
    )
    found = selectors.survey_results(survey, start=start, end=end)
    return {
        "survey_id": survey.pk,
        "invited": found["invited"],
        "answers": found["answers"],
        "answer_rate": found["answer_rate"],
        "average": round(found["average"], 2) if found["average"] is not None else None,
        "low": found["low"],
        "distribution": {str(score): n for score, n in found["distribution"]},
        "nps": found["nps"],
        "per_agent": [
            {
                "id": r["invitation__agent_id"],
                "name": r["invitation__agent__display_name"]
                or r["invitation__agent__username"]
                or "",
                "answers": r["answers"],
                "average": r["average"],
                "low": r["low"],
            }
            for r in found["per_agent"]
        ],
        "per_team": [
            {
                "id": r["invitation__team_id"],
                "name": r["invitation__team__name"] or "",
                "answers": r["answers"],
                "average": r["average"],
                "low": r["low"],
            }
            for r in found["per_team"]
        ],
        "per_channel": [_breakdown(r, r["invitation__source"]) for r in found["per_source"]],
        "per_month": [_breakdown(r, r["name"]) for r in found["per_month"]],
        "per_category": [_breakdown(r, r["category"] or "") for r in found["per_category"]],
    }


def _breakdown(row: dict[str, Any], key: str) -> dict[str, Any]:
    average = row["average"]
    return {
        "key": key,
        "answers": row["answers"],
        "average": round(average, 2) if average is not None else None,
        "low": row["low"],
    }


def answer_out(answer: SurveyAnswer) -> dict[str, Any]:
    invitation = answer.invitation
    return {
        "id": answer.pk,
        "invitation_id": invitation.pk,
        "customer_id": invitation.customer_id,
        "agent_id": invitation.agent_id,
        "team_id": invitation.team_id,
        "source": invitation.source,
        "source_id": invitation.source_id,
        "score": answer.score,
        "answers": answer.answers,
        "answered_at": answer.answered_at,
    }


@router.get(
    "/visits/surveys/{survey_id}/answers",
    response=SurveyAnswerPage,
    summary="A survey's answers, newest first",
)
def survey_answers(
    request: AuthenticatedRequest,
    survey_id: int,
    cursor: int | None = None,
    limit: QueryEx[int, P(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    _assigns(request.user)
    survey = selectors.access_survey(actor=request.user, survey_id=survey_id)
    qs = SurveyAnswer.objects.filter(invitation__survey=survey).select_related("invitation")
    page = keyset_page(qs.order_by("-id"), cursor=cursor, size=limit)
    return {"items": [answer_out(a) for a in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/visits/report",
    response=MonthReportOut,
    summary="The monthly visit report per agent, with the excellent-staff nominations",
)
def month_report(request: AuthenticatedRequest, month: str = "") -> dict[str, Any]:
    _assigns(request.user)
    report = selectors.month_report(selectors.parse_month(month[:7], today=selectors.local_today()))
    return {
        "month": report["month"],
        "rows": [{**row, "agent_id": row["assignee_id"]} for row in report["rows"]],
        "nominations": report["nominations"],
    }
