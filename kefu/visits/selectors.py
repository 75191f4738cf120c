"""Reads of return visits: the plan's selection over the archive and its preview, each agent's list
for today, who may open which plan and visit, and the figures other apps (reports) read."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone

from kefu.accounts.models import User
from kefu.accounts.roles import Perm, Role
from kefu.customers.models import Customer, Level
from kefu.tickets.models import Ticket, TicketType
from kefu.tickets.states import TicketState
from kefu.visits.models import (
    ReturnVisit,
    Satisfaction,
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
)


def local_today(now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def rules() -> VisitRules:
    found = VisitRules.objects.filter(pk=1).first()
    return found or VisitRules(pk=1)


# --- the selection 回访范围 -----------------------------------------------------------------------


def audience(campaign: VisitCampaign, *, now: dt.datetime | None = None) -> QuerySet[Customer]:
    """The live customers the plan's range selects, by id (the order tasks are issued in)."""
    now = now or timezone.now()
    r = campaign.rules or {}
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
        months = _months(campaign.period_start, campaign.period_end)
        birthday = Q()
        for month in months:
            birthday |= Q(birthday_text__regex=rf"^\d{{4}}-{month:02d}-")
        qs = qs.annotate(birthday_text=Cast(KT("custom__birthday"), CharField())).filter(birthday)
    if r.get("card_expiring"):
        qs = qs.annotate(card_expires=Cast(KT("custom__card_expires_at"), CharField())).filter(
            card_expires__gte=campaign.period_start.isoformat(),
            card_expires__lte=campaign.period_end.isoformat(),
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
    return qs.order_by("pk")


def _months(start: dt.date, end: dt.date) -> list[int]:
    months: list[int] = []
    cursor = start.replace(day=1)
    while cursor <= end and len(months) < 12:
        months.append(cursor.month)
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    return months


def preview(campaign: VisitCampaign, *, now: dt.datetime | None = None) -> dict:
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
    deadline first: one range scan of visit_assignee_today."""
    now = now or timezone.now()
    zone = ZoneInfo(settings.TIME_ZONE)
    end_of_today = dt.datetime.combine(local_today(now) + dt.timedelta(days=1), dt.time(), zone)
    return (
        ReturnVisit.objects.filter(
            assignee=user, state=VisitState.OPEN, scheduled_at__lt=end_of_today
        )
        .select_related("customer", "campaign")
        .order_by("scheduled_at", "id")
    )


def overdue_count(user: User, *, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return ReturnVisit.objects.filter(assignee=user, state=VisitState.OPEN, due_at__lt=now).count()


def campaign_visits(campaign: VisitCampaign, *, state: str = "", agent_id: int | None = None):
    qs = campaign.visits.select_related("customer", "assignee", "record").order_by("id")
    if state:
        qs = qs.filter(state=state)
    if agent_id:
        qs = qs.filter(assignee_id=agent_id)
    return qs


def campaign_progress(campaign: VisitCampaign) -> dict:
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


def customer_visits(customer_id: int) -> QuerySet[ReturnVisit]:
    return (
        ReturnVisit.objects.filter(customer_id=customer_id)
        .select_related("assignee", "campaign", "record")
        .order_by("-id")
    )


# --- figures for reports (reports app, issue 12.5) ------------------------------------------------


def visit_figures(*, start: dt.date, end: dt.date) -> dict:
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


def member_coverage(*, start: dt.date, end: dt.date) -> dict:
    """三个必保: the share of members (会员 and VIP) reached by a visit in the period, against the
    target in the rules."""
    zone = ZoneInfo(settings.TIME_ZONE)
    lo = dt.datetime.combine(start, dt.time(), zone)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone)
    members = Customer.objects.filter(merged_into__isnull=True, level__in=[Level.MEMBER, Level.VIP])
    total = members.count()
    reached = VisitRecord.objects.filter(
        reached=True, recorded_at__gte=lo, recorded_at__lt=hi, visit__customer__in=members
    )
    visited = reached.values("visit__customer_id").distinct().count()
    target = rules().member_coverage_percent
    percent = round(100 * visited / total) if total else 0
    return {
        "members": total,
        "visited": visited,
        "percent": percent,
        "target": target,
        "met": percent >= target,
    }


def campaign_summary(campaign: VisitCampaign, *, now: dt.datetime | None = None) -> dict:
    """The plan's 回访总结: reach, satisfaction split, the most frequent opinions and suggestions (the
    same words grouped), and the visits past their deadline. SQL aggregates only."""
    now = now or timezone.now()
    records = VisitRecord.objects.filter(visit__campaign=campaign)
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
        "overdue": campaign.visits.filter(state=VisitState.OPEN, due_at__lt=now).count(),
    }
