"""Reads of return visits: the plan's selection over the archive and its preview, each agent's list
for today, who may open which plan and visit, and the figures other apps (reports) read."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, TruncMonth
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from kefu.accounts.models import User
from kefu.accounts.roles import Perm, Role
from kefu.core.querysets import CappedCount, count_up_to
from kefu.customers import level_counts
from kefu.customers.models import Customer, Level
from kefu.dispatch.models import WorkOrder, WorkOrderState
from kefu.dispatch.selectors import HandedVisit
from kefu.tickets.models import Ticket, TicketType
from kefu.tickets.states import TicketState
from kefu.visits.models import (
    CareMessage,
    QuestionKind,
    ReturnVisit,
    Satisfaction,
    Survey,
    SurveyAnswer,
    SurveyTrigger,
    VisitCampaign,
    VisitRecord,
    VisitRules,
    VisitState,
)

# The rules a plan's range may hold (VisitCampaign.rules), with what each means.
RULE_KEYS = (
    "levels",  # list of Level values: 会员 / VIP / 普通
    "region",  # province, exact
    "city",
    "district",
    "street",  # 街道, exact
    "owner_id",  # the customer's owner agent
    "tag_id",
    "no_contact_days",  # last contact older than N days (or never)
    "birthday_in_period",  # custom field `birthday` (YYYY-MM-DD) falls in the plan's months
    "card_expiring",  # custom field `card_expires_at` (YYYY-MM-DD) within the period: 续卡/升级
    "complaint_closed_days",  # a complaint closed within the last N days
    "dispatch_done_days",  # a work order finished (派工完工) within the last N days
)


def local_today(now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def rules() -> VisitRules:
    found = VisitRules.objects.filter(pk=1).first()
    return found or VisitRules(pk=1)


# --- the selection 回访范围 -----------------------------------------------------------------------


def audience(campaign: VisitCampaign, *, now: dt.datetime | None = None) -> QuerySet[Customer]:
    """The live customers the plan's range selects, by id (the order tasks are issued in)."""
    return select_customers(
        campaign.rules or {}, start=campaign.period_start, end=campaign.period_end, now=now
    )


def select_customers(
    r: dict[str, Any], *, start: dt.date, end: dt.date, now: dt.datetime | None = None
) -> QuerySet[Customer]:
    """The live customers a range (RULE_KEYS) selects, by id: a plan's over its period, a care
    message's (services.care) over its day."""
    now = now or timezone.now()
    qs = Customer.objects.filter(merged_into__isnull=True)
    levels = [v for v in r.get("levels") or [] if v in Level.values]
    if levels:
        qs = qs.filter(level__in=levels)
    for key in ("region", "city", "district", "street"):
        if r.get(key):
            qs = qs.filter(**{key: r[key]})
    if r.get("owner_id"):
        qs = qs.filter(owner_id=r["owner_id"])
    if r.get("tag_id"):
        qs = qs.filter(tags__id=r["tag_id"])
    if r.get("no_contact_days"):
        cutoff = now - dt.timedelta(days=int(r["no_contact_days"]))
        qs = qs.filter(Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lt=cutoff))
    if r.get("birthday_in_period"):
        months = _months(start, end)
        birthday = Q()
        for month in months:
            birthday |= Q(birthday_text__regex=rf"^\d{{4}}-{month:02d}-")
        qs = qs.annotate(birthday_text=Cast(KT("custom__birthday"), CharField())).filter(birthday)
    if r.get("card_expiring"):
        qs = qs.annotate(card_expires=Cast(KT("custom__card_expires_at"), CharField())).filter(
            card_expires__gte=start.isoformat(),
            card_expires__lte=end.isoformat(),
        )
    if r.get("complaint_closed_days"):
        since = now - dt.timedelta(days=int(r["complaint_closed_days"]))
        closed = Ticket.objects.filter(
            customer_id=OuterRef("pk"),
            type=TicketType.COMPLAINT,
            state=TicketState.CLOSED,
            closed_at__gte=since,
        )
        qs = qs.filter(Exists(closed))
    if r.get("dispatch_done_days"):
        since = now - dt.timedelta(days=int(r["dispatch_done_days"]))
        finished = WorkOrder.objects.filter(
            customer_id=OuterRef("pk"),
            state__in=(WorkOrderState.DONE, WorkOrderState.VISITED),
            completed_at__gte=since,
        )
        qs = qs.filter(Exists(finished))
    return qs.order_by("pk")


def _months(start: dt.date, end: dt.date) -> list[int]:
    months: list[int] = []
    cursor = start.replace(day=1)
    while cursor <= end and len(months) < 12:
        months.append(cursor.month)
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    return months


def preview(campaign: VisitCampaign, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The counts shown before a plan is issued: how many, of which level, how many with an owner,
    how many already have an open visit, and how many the planned number keeps."""
    qs = audience(campaign, now=now)
    total = qs.count()
    by_level = dict(qs.order_by().values_list("level").annotate(n=Count("pk")))
    with_owner = qs.filter(owner__isnull=False).count()
    open_visit = ReturnVisit.objects.filter(customer_id=OuterRef("pk"), state=VisitState.OPEN)
    busy = qs.filter(Exists(open_visit)).count()
    kept = min(total, campaign.planned_count) if campaign.planned_count else total
    return {
        "total": total,
        "levels": [(label, by_level.get(value, 0)) for value, label in Level.choices],
        "with_owner": with_owner,
        "with_open_visit": busy,
        "kept": kept,
    }


# --- who sees what --------------------------------------------------------------------------------


def may_plan(user: User) -> bool:
    return user.has_perm(Perm.ASSIGN_WORK) or user.has_perm(Perm.APPROVE)


def visible_campaigns(user: User) -> QuerySet[VisitCampaign]:
    if may_plan(user):
        return VisitCampaign.objects.select_related("created_by", "decided_by", "team")
    return VisitCampaign.objects.none()


def access_campaign(*, actor: User, campaign_id: int) -> VisitCampaign:
    campaign = visible_campaigns(actor).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404
    return campaign


def visible_visits(user: User) -> QuerySet[ReturnVisit]:
    """Who assigns work sees every visit; an agent sees the visits given to them."""
    qs = ReturnVisit.objects.select_related("customer", "assignee", "campaign")
    if user.has_perm(Perm.ASSIGN_WORK):
        return qs
    if user.has_perm(Perm.SERVE_CUSTOMERS):
        return qs.filter(assignee=user)
    return qs.none()


def access_visit(*, actor: User, visit_id: int) -> ReturnVisit:
    visit = visible_visits(actor).filter(pk=visit_id).first()
    if visit is None:
        raise Http404
    return visit


# --- the agent's day ------------------------------------------------------------------------------


def today_list(user: User, *, now: dt.datetime | None = None) -> QuerySet[ReturnVisit]:
    """The agent's open visits whose time has come by the end of today (Asia/Shanghai), soonest
    first: one range scan of visit_assignee_list in its order. Only the columns a list shows are
    read (the customer's name and mobile, the plan's number and title)."""
    now = now or timezone.now()
    zone = ZoneInfo(settings.TIME_ZONE)
    end_of_today = dt.datetime.combine(local_today(now) + dt.timedelta(days=1), dt.time(), zone)
    return (
        ReturnVisit.objects.filter(
            assignee=user, state=VisitState.OPEN, scheduled_at__lt=end_of_today
        )
        .select_related("customer", "campaign")
        .only(*TODAY_FIELDS)
        .order_by("scheduled_at", "id")
    )


TODAY_FIELDS = (
    "campaign_id",
    "customer_id",
    "assignee_id",
    "source",
    "channel",
    "state",
    "scheduled_at",
    "due_at",
    "customer__name",
    "customer__mobile",
    "campaign__number",
    "campaign__title",
)


def overdue_count(user: User, *, now: dt.datetime | None = None) -> CappedCount:
    """The agent's open visits past their deadline, counted up to COUNT_CAP over
    visit_assignee_due (shown as 1000+ beyond)."""
    now = now or timezone.now()
    return count_up_to(
        ReturnVisit.objects.filter(assignee=user, state=VisitState.OPEN, due_at__lt=now)
    )


def campaign_visits(
    campaign: VisitCampaign, *, state: str = "", agent_id: int | None = None
) -> QuerySet[ReturnVisit]:
    qs = campaign.visits.select_related("customer", "assignee", "record").order_by("id")
    if state:
        qs = qs.filter(state=state)
    if agent_id:
        qs = qs.filter(assignee_id=agent_id)
    return qs


def campaign_progress(campaign: VisitCampaign) -> dict[str, Any]:
    counts = dict(campaign.visits.order_by().values_list("state").annotate(n=Count("pk")))
    total = sum(counts.values())
    done = counts.get(VisitState.DONE, 0)
    per_agent = list(
        campaign.visits.order_by()
        .values("assignee_id", "assignee__display_name", "assignee__username")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(state=VisitState.DONE)),
        )
        .order_by("assignee__display_name", "assignee_id")
    )
    return {
        "total": total,
        "done": done,
        "open": counts.get(VisitState.OPEN, 0),
        "percent": round(100 * done / total) if total else 0,
        "per_agent": per_agent,
    }


def agents_for(campaign: VisitCampaign | None) -> QuerySet[User]:
    """The agents a plan's visits go to: its team's, or every active agent."""
    qs = User.objects.filter(role=Role.AGENT, is_active=True)
    if campaign is not None and campaign.team_id:
        qs = qs.filter(agent_profile__teams=campaign.team_id)
    return qs.order_by("id")


def dispatch_visit(work_order_id: int) -> HandedVisit | None:
    """The return visit task made for a finished work order (create_dispatch_visit), as the
    order's page shows it; registered with dispatch (dispatch.selectors.keep_visits_with)."""
    visit = (
        ReturnVisit.objects.select_related("assignee").filter(work_order_id=work_order_id).first()
    )
    if visit is None:
        return None
    return HandedVisit(
        url=reverse("visits:visit", args=[visit.pk]),
        assignee=str(visit.assignee) if visit.assignee else "",
        state=visit.get_state_display(),
    )


def customer_visits(customer_id: int) -> QuerySet[ReturnVisit]:
    return (
        ReturnVisit.objects.filter(customer_id=customer_id)
        .select_related("assignee", "campaign", "record")
        .order_by("-id")
    )


# --- figures for reports (reports app, issue 12.5) ------------------------------------------------


def visit_figures(*, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Visits recorded from `start` through `end` (local dates, both included): how many were done,
    how many reached the customer and the rate, the satisfaction split and the satisfied rate among
    those who answered. One aggregate over the records' recorded_at index."""
    zone = ZoneInfo(settings.TIME_ZONE)
    lo = dt.datetime.combine(start, dt.time(), zone)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone)
    row = VisitRecord.objects.filter(recorded_at__gte=lo, recorded_at__lt=hi).aggregate(
        done=Count("pk"),
        reached=Count("pk", filter=Q(reached=True)),
        satisfied=Count("pk", filter=Q(satisfaction=Satisfaction.SATISFIED)),
        average=Count("pk", filter=Q(satisfaction=Satisfaction.AVERAGE)),
        dissatisfied=Count("pk", filter=Q(satisfaction=Satisfaction.DISSATISFIED)),
    )
    answered = row["satisfied"] + row["average"] + row["dissatisfied"]
    return {
        "visits_done": row["done"],
        "reached": row["reached"],
        "reached_rate": round(row["reached"] / row["done"], 4) if row["done"] else None,
        "satisfaction": {
            Satisfaction.SATISFIED.value: row["satisfied"],
            Satisfaction.AVERAGE.value: row["average"],
            Satisfaction.DISSATISFIED.value: row["dissatisfied"],
        },
        "satisfied_rate": round(row["satisfied"] / answered, 4) if answered else None,
    }


def member_coverage(*, start: dt.date, end: dt.date) -> dict[str, Any]:
    """三个必保: the share of members (会员 and VIP) reached by a visit in the period, against the
    target in the rules."""
    zone = ZoneInfo(settings.TIME_ZONE)
    lo = dt.datetime.combine(start, dt.time(), zone)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone)
    members = Customer.objects.filter(merged_into__isnull=True, level__in=[Level.MEMBER, Level.VIP])
    # Kept by the database (customers.LevelCount), not counted at every load.
    total = level_counts.live([Level.MEMBER, Level.VIP])
    # The customers of the period's reached records (the recorded_at index), each looked up in
    # customer_live_level by (level, id); not "customer IN (the members)", which walked every
    # member to find their visits (450 ms at 1,000,000 customers).
    reached = VisitRecord.objects.filter(reached=True, recorded_at__gte=lo, recorded_at__lt=hi)
    visited = members.filter(pk__in=reached.values("visit__customer_id")).count()
    target = rules().member_coverage_percent
    percent = round(100 * visited / total) if total else 0
    return {
        "members": total,
        "visited": visited,
        "percent": percent,
        "target": target,
        "met": percent >= target,
    }


def campaign_summary(campaign: VisitCampaign, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The plan's 回访总结: reach, satisfaction split, the most frequent opinions and suggestions (the
    same words grouped), and the visits past their deadline. SQL aggregates only."""
    now = now or timezone.now()
    return {
        **records_summary(VisitRecord.objects.filter(visit__campaign=campaign)),
        "overdue": campaign.visits.filter(state=VisitState.OPEN, due_at__lt=now).count(),
    }


def records_summary(records: QuerySet[VisitRecord]) -> dict[str, Any]:
    """What a set of visit records found: done, reached and its share, the satisfaction split, and
    the five most frequent opinions and suggestions (the same words grouped)."""
    row = records.aggregate(
        done=Count("pk"),
        reached=Count("pk", filter=Q(reached=True)),
        satisfied=Count("pk", filter=Q(satisfaction=Satisfaction.SATISFIED)),
        average=Count("pk", filter=Q(satisfaction=Satisfaction.AVERAGE)),
        dissatisfied=Count("pk", filter=Q(satisfaction=Satisfaction.DISSATISFIED)),
    )

    def top(field: str) -> list[tuple[str, int]]:
        return list(
            records.exclude(**{field: ""})
            .order_by()
            .values_list(field)
            .annotate(n=Count("pk"))
            .order_by("-n", field)[:5]
        )

    return {
        **row,
        "reach_percent": round(100 * row["reached"] / row["done"]) if row["done"] else 0,
        "satisfaction": [
            (Satisfaction.SATISFIED.label, row["satisfied"]),
            (Satisfaction.AVERAGE.label, row["average"]),
            (Satisfaction.DISSATISFIED.label, row["dissatisfied"]),
        ],
        "opinions": top("service_opinion") + top("product_opinion"),
        "suggestions": top("suggestions"),
    }


# --- surveys ----------------------------------------------------------------------------------------


def visible_surveys(user: User) -> QuerySet[Survey]:
    """Who assigns work makes surveys and reads their results; nobody else."""
    if not user.has_perm(Perm.ASSIGN_WORK):
        return Survey.objects.none()
    return Survey.objects.all()


def access_survey(*, actor: User, survey_id: int) -> Survey:
    survey = visible_surveys(actor).filter(pk=survey_id).first()
    if survey is None:
        raise Http404
    return survey


def survey_results(
    survey: Survey, *, start: dt.date | None = None, end: dt.date | None = None
) -> dict[str, Any]:
    """A survey's results: invited, answered, the average score and the low ones, the score
    distribution, the NPS, and the same per agent, team, channel (after a ticket, a chat, a visit
    or sent by hand), month (Asia/Shanghai) and the ticket's category (SQL aggregates)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    invitations = survey.invitations.all()
    answers = SurveyAnswer.objects.filter(invitation__survey=survey)
    if start:
        lo = dt.datetime.combine(start, dt.time(), zone)
        invitations, answers = (
            invitations.filter(created_at__gte=lo),
            answers.filter(answered_at__gte=lo),
        )
    if end:
        hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone)
        invitations, answers = (
            invitations.filter(created_at__lt=hi),
            answers.filter(answered_at__lt=hi),
        )
    figures = {
        "answers": Count("pk"),
        "average": Avg("score"),
        "low": Count("pk", filter=Q(score__lte=survey.low_score)),
    }
    totals = answers.aggregate(**figures)
    invited = invitations.count()
    distribution = dict(
        answers.exclude(score__isnull=True).order_by().values_list("score").annotate(n=Count("pk"))
    )
    per_agent = list(
        answers.order_by()
        .values(
            "invitation__agent_id", "invitation__agent__display_name", "invitation__agent__username"
        )
        .annotate(**figures)
        .order_by("-answers", "invitation__agent_id")
    )
    per_team = list(
        answers.order_by()
        .values("invitation__team_id", "invitation__team__name")
        .annotate(**figures)
        .order_by("-answers", "invitation__team_id")
    )
    sources = dict(SurveyTrigger.choices)
    per_source = [
        {**row, "name": str(sources.get(row["invitation__source"], row["invitation__source"]))}
        for row in answers.order_by()
        .values("invitation__source")
        .annotate(**figures)
        .order_by("-answers", "invitation__source")
    ]
    per_month = [
        {**row, "name": f"{row['month']:%Y-%m}"}
        for row in answers.annotate(month=TruncMonth("answered_at", tzinfo=zone))
        .order_by()
        .values("month")
        .annotate(**figures)
        .order_by("month")
    ]
    # The category of the ticket an answer came after (a chat's or a visit's has none).
    category = Case(
        When(
            invitation__source=SurveyTrigger.TICKET,
            then=Subquery(
                Ticket.objects.filter(pk=OuterRef("invitation__source_id")).values(
                    "category__name"
                )[:1]
            ),
        ),
        default=Value(None),
        output_field=CharField(),
    )
    per_category = [
        {**row, "name": row["category"] or ""}
        for row in answers.annotate(category=category)
        .order_by()
        .values("category")
        .annotate(**figures)
        .order_by("-answers", "category")
    ]
    return {
        "invited": invited,
        **totals,
        "answer_rate": round(100 * totals["answers"] / invited) if invited else 0,
        "distribution": [(score, distribution.get(score, 0)) for score in range(1, 6)],
        "nps": net_promoter(survey, answers),
        "per_agent": per_agent,
        "per_team": per_team,
        "per_source": per_source,
        "per_month": per_month,
        "per_category": per_category,
    }


class AnswerOf(Func):
    """One question's value in `SurveyAnswer.answers` as text. The keys are question ids, digits,
    which Django's KT reads as an array index (`$[12]`, `-> 12`): this names the key itself."""

    output_field = CharField()

    def __init__(self, question_id: int) -> None:
        self.question_id = int(question_id)
        super().__init__(F("answers"))

    def as_sqlite(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"JSON_EXTRACT({sql}, %s)", [*params, f'$."{self.question_id}"']

    def as_postgresql(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} ->> %s)", [*params, str(self.question_id)]


def net_promoter(survey: Survey, answers: QuerySet[SurveyAnswer]) -> dict[str, Any] | None:
    """The survey's first 0–10 question as a net promoter score: promoters (9–10) less detractors
    (0–6), in % of who answered it; None when the survey asks none. One SQL aggregate."""
    question = survey.questions.filter(kind=QuestionKind.NPS).order_by("position", "id").first()
    if question is None:
        return None
    value = Cast(AnswerOf(question.pk), IntegerField())
    row = (
        answers.annotate(nps_value=value)
        .filter(nps_value__isnull=False)
        .aggregate(
            answered=Count("pk"),
            promoters=Count("pk", filter=Q(nps_value__gte=9)),
            detractors=Count("pk", filter=Q(nps_value__lte=6)),
        )
    )
    answered = row["answered"]
    return {
        "question": question.text,
        **row,
        "passives": answered - row["promoters"] - row["detractors"],
        "score": round(100 * (row["promoters"] - row["detractors"]) / answered)
        if answered
        else None,
    }


def _shown(value: object) -> object:
    """A multiple choice's answers as one line (、 between them, as Chinese lists them)."""
    return "、".join(str(v) for v in value) if isinstance(value, list) else value


def recent_answers(survey: Survey, *, limit: int = 50) -> list[dict[str, Any]]:
    """The newest answers with each question's text beside its value (for the results page)."""
    questions = list(survey.questions.all())
    out = []
    for answer in (
        SurveyAnswer.objects.filter(invitation__survey=survey)
        .select_related("invitation__customer", "invitation__agent")
        .order_by("-answered_at", "-id")[:limit]
    ):
        out.append(
            {
                "answer": answer,
                "items": [
                    (q.text, _shown(answer.answers[str(q.pk)]))
                    for q in questions
                    if str(q.pk) in answer.answers
                ],
            }
        )
    return out


# --- customer care ----------------------------------------------------------------------------------


def care_messages(*, state: str = "", kind: str = "") -> QuerySet[CareMessage]:
    qs = CareMessage.objects.select_related("customer").order_by("-scheduled_at", "-id")
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def care_counts() -> dict[str, int]:
    return dict(CareMessage.objects.order_by().values_list("state").annotate(n=Count("pk")))


# --- the monthly visit report 回访月报 ----------------------------------------------------------------


def parse_month(raw: str, *, today: dt.date) -> dt.date:
    """`2026-12` → its first day; anything else → this month's."""
    try:
        return dt.date.fromisoformat(f"{raw}-01") if raw else today.replace(day=1)
    except ValueError:
        return today.replace(day=1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    first = month.replace(day=1)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    return dt.datetime.combine(first, dt.time(), zone), dt.datetime.combine(after, dt.time(), zone)


def month_report(month: dt.date) -> dict[str, Any]:
    """Per agent for the month (Asia/Shanghai): planned (visits due in the month), done (recorded
    in it), on time (done by the deadline), unreachable, the satisfied share of the reached, and
    the average survey score of the answers counted for them. Two grouped aggregates."""
    lo, hi = month_bounds(month)
    due_in = Q(due_at__gte=lo, due_at__lt=hi) & ~Q(state=VisitState.CANCELLED)
    done_in = Q(state=VisitState.DONE, completed_at__gte=lo, completed_at__lt=hi)
    rows = list(
        ReturnVisit.objects.filter(due_in | done_in)
        .order_by()
        .values("assignee_id", "assignee__display_name", "assignee__username")
        .annotate(
            planned=Count("pk", filter=due_in),
            done=Count("pk", filter=done_in),
            on_time=Count("pk", filter=done_in & Q(completed_at__lte=F("due_at"))),
            unreachable=Count("pk", filter=done_in & Q(record__reached=False)),
            reached=Count("pk", filter=done_in & Q(record__reached=True)),
            satisfied=Count("pk", filter=done_in & Q(record__satisfaction=Satisfaction.SATISFIED)),
        )
        .order_by("assignee__display_name", "assignee_id")
    )
    scores = {
        row["invitation__agent_id"]: row
        for row in SurveyAnswer.objects.filter(answered_at__gte=lo, answered_at__lt=hi)
        .exclude(invitation__agent__isnull=True)
        .order_by()
        .values("invitation__agent_id")
        .annotate(answers=Count("pk"), average=Avg("score"))
    }
    counted = ("planned", "done", "on_time", "unreachable", "reached", "satisfied")
    sums = dict.fromkeys(counted, 0)
    for row in rows:
        score = scores.get(row["assignee_id"]) or {}
        row["survey_answers"] = score.get("answers", 0)
        row["survey_average"] = round(score["average"], 2) if score.get("average") else None
        row["on_time_percent"] = round(100 * row["on_time"] / row["done"]) if row["done"] else None
        row["satisfied_percent"] = (
            round(100 * row["satisfied"] / row["reached"]) if row["reached"] else None
        )
        row["agent"] = row["assignee__display_name"] or row["assignee__username"]
        for key in counted:
            sums[key] += row[key]
    total: dict[str, int | None] = {
        **sums,
        "on_time_percent": round(100 * sums["on_time"] / sums["done"]) if sums["done"] else None,
        "satisfied_percent": (
            round(100 * sums["satisfied"] / sums["reached"]) if sums["reached"] else None
        ),
    }
    last_day = (hi - dt.timedelta(days=1)).date()
    return {
        "month": month.replace(day=1),
        "rows": rows,
        "total": total,
        # 回访总结报告 for the month: what the records found, and the rules' compliance
        "summary": {
            **records_summary(VisitRecord.objects.filter(recorded_at__gte=lo, recorded_at__lt=hi)),
            "overdue": ReturnVisit.objects.filter(
                state=VisitState.OPEN, due_at__gte=lo, due_at__lt=min(hi, timezone.now())
            ).count(),
        },
        "coverage": member_coverage(start=month.replace(day=1), end=last_day),
        "nominations": nominations(month),
    }


NOMINATED = 3  # names on the monthly list
NOMINATION_MIN_ANSWERS = 5  # survey answers an agent needs in the month to be ranked


def nominations(month: dt.date) -> list[dict[str, Any]]:
    """优秀员工提名名单: the month's best agents by the customers' survey answers counted for them
    (at least NOMINATION_MIN_ANSWERS), ranked by the average score, then the share of 5s, then the
    number of answers; with the figures behind each name (answers, average, 5s, low scores of 1–2,
    visits done, on time and satisfied from the return visits). Two grouped aggregates."""
    lo, hi = month_bounds(month)
    ranked = list(
        SurveyAnswer.objects.filter(
            answered_at__gte=lo,
            answered_at__lt=hi,
            score__isnull=False,
            invitation__agent__isnull=False,
        )
        .order_by()
        .values(
            "invitation__agent_id", "invitation__agent__display_name", "invitation__agent__username"
        )
        .annotate(
            answers=Count("pk"),
            average=Avg("score"),
            top_scores=Count("pk", filter=Q(score=5)),
            low=Count("pk", filter=Q(score__lte=2)),
        )
        .filter(answers__gte=NOMINATION_MIN_ANSWERS)
    )
    ranked.sort(
        key=lambda r: (
            -r["average"],
            -r["top_scores"] / r["answers"],
            -r["answers"],
            r["invitation__agent_id"],
        )
    )
    ranked = ranked[:NOMINATED]
    done_in = Q(state=VisitState.DONE, completed_at__gte=lo, completed_at__lt=hi)
    visits = {
        row["assignee_id"]: row
        for row in ReturnVisit.objects.filter(
            done_in, assignee_id__in=[r["invitation__agent_id"] for r in ranked]
        )
        .order_by()
        .values("assignee_id")
        .annotate(
            done=Count("pk"),
            on_time=Count("pk", filter=Q(completed_at__lte=F("due_at"))),
            reached=Count("pk", filter=Q(record__reached=True)),
            satisfied=Count("pk", filter=Q(record__satisfaction=Satisfaction.SATISFIED)),
        )
    }
    out = []
    for rank, row in enumerate(ranked, start=1):
        visit = visits.get(row["invitation__agent_id"]) or {}
        done, reached = visit.get("done", 0), visit.get("reached", 0)
        out.append(
            {
                "rank": rank,
                "agent_id": row["invitation__agent_id"],
                "agent": row["invitation__agent__display_name"]
                or row["invitation__agent__username"],
                "answers": row["answers"],
                "average": round(row["average"], 2),
                "top_scores": row["top_scores"],
                "low": row["low"],
                "visits_done": done,
                "on_time_percent": round(100 * visit["on_time"] / done) if done else None,
                "satisfied_percent": round(100 * visit["satisfied"] / reached) if reached else None,
            }
        )
    return out
