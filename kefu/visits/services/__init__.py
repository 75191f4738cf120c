"""Writes of return visits: plans 回访计划 (draft, submit, approve, issue), the distribution of their
visits over the agents, moving visits in bulk, the visit record 回访记录表 and the complaint it may
open, and the 25th's draft of next month's plan (seed 001: 每月25日制定下月回访范围、数量、内容)."""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import Team, User
from kefu.accounts.roles import Perm
from kefu.core import timeline
from kefu.core.errors import Conflict, DomainError, PermissionRefused
from kefu.core.events import emit
from kefu.customers.models import Level
from kefu.customers.services.profiles import note_contact
from kefu.telephony.selectors import visible_calls
from kefu.tickets.models import Channel, Ticket
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType
from kefu.visits import quiet, selectors
from kefu.visits.events import (
    CampaignDecided,
    CampaignIssued,
    CampaignSubmitted,
    PlanReminderDue,
    VisitRecorded,
    VisitsMoved,
)
from kefu.visits.models import (
    CampaignState,
    ReturnVisit,
    Satisfaction,
    UnreachedReason,
    VisitCampaign,
    VisitChannel,
    VisitRecord,
    VisitRules,
    VisitSource,
    VisitState,
)
from kefu.visits.states import CAMPAIGN_FLOW, VISIT_FLOW

ISSUE_CHUNK = 2000
# The seeds' script (003: 回访规范及用语), blanks as {placeholders} filled on the visit page.
DEFAULT_SCRIPT = (
    "开始：您好，我是{agent}，请问您是{customer}先生/小姐吗？打扰您了。\n"
    "交流：感谢您在{time}接受了我们{service}服务项目，请问您对{service}服务项目满意吗？"
)
MAX_TEXT = 500


def _clean(text: str, *, limit: int) -> str:
    return " ".join((text or "").replace("\x00", "").split())[:limit]


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# --- plans -----------------------------------------------------------------------------------------


def _clean_rules(raw: dict[str, Any]) -> dict[str, Any]:
    """Keep only known rules, with their values checked (a clear refusal for nonsense)."""
    out: dict[str, Any] = {}
    levels = [v for v in raw.get("levels") or [] if v]
    unknown = [v for v in levels if v not in Level.values]
    if unknown:
        raise DomainError(_("Unknown membership level."))
    if levels:
        out["levels"] = levels
    for key in ("region", "city", "district", "street"):
        value = _clean(str(raw.get(key) or ""), limit=40)
        if value:
            out[key] = value
    for key in (
        "owner_id",
        "tag_id",
        "no_contact_days",
        "complaint_closed_days",
        "dispatch_done_days",
    ):
        number_raw = raw.get(key)
        if number_raw in (None, ""):
            continue
        try:
            number = int(str(number_raw))
        except (TypeError, ValueError) as error:
            raise DomainError(_("Give a whole number.")) from error
        if number <= 0 or number > 100_000_000:
            raise DomainError(_("Give a whole number greater than 0."))
        out[key] = number
    for key in ("birthday_in_period", "card_expiring"):
        if raw.get(key):
            out[key] = True
    return out


def _next_number(period_start: dt.date) -> str:
    prefix = f"HF{period_start:%Y%m}-"
    taken = VisitCampaign.objects.filter(number__startswith=prefix).count()
    return f"{prefix}{taken + 1:02d}"


def _check_fields(*, title: str, purpose: str, channel: str, start: dt.date, end: dt.date) -> None:
    if not title:
        raise DomainError(_("Give the plan a title."))
    if not purpose:
        raise DomainError(_("Say what the visits are for."))
    if channel not in VisitChannel.values:
        raise DomainError(_("Unknown channel."))
    if end < start:
        raise DomainError(_("The period must end on or after its start."))
    if (end - start).days > 366:
        raise DomainError(_("A plan covers at most a year."))


@transaction.atomic
def create_campaign(
    *,
    actor: User | None,
    title: str,
    purpose: str,
    period_start: dt.date,
    period_end: dt.date,
    channel: str = VisitChannel.PHONE,
    service_item: str = "",
    script: str = "",
    rules: dict[str, Any] | None = None,
    planned_count: int = 0,
    team_id: int | None = None,
) -> VisitCampaign:
    """A draft plan. `actor` None: drafted by the scheduler."""
    if actor is not None and not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("Your role may not make visit plans."))
    title, purpose = _clean(title, limit=100), _clean(purpose, limit=200)
    _check_fields(title=title, purpose=purpose, channel=channel, start=period_start, end=period_end)
    if planned_count < 0:
        raise DomainError(_("Give a whole number greater than 0."))
    team = None
    if team_id is not None:
        team = Team.objects.filter(pk=team_id).first()
        if team is None:
            raise DomainError(_("This team does not exist."))
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return VisitCampaign.objects.create(
                    number=_next_number(period_start),
                    title=title,
                    purpose=purpose,
                    service_item=_clean(service_item, limit=60),
                    script=(script or DEFAULT_SCRIPT).replace("\x00", "")[:4000],
                    channel=channel,
                    period_start=period_start,
                    period_end=period_end,
                    rules=_clean_rules(rules or {}),
                    planned_count=planned_count,
                    team=team,
                    created_by=actor,
                )
        except IntegrityError:
            continue
    raise Conflict(_("Someone made a plan at the same moment; try again."))


def _locked(campaign_id: int) -> VisitCampaign:
    campaign = VisitCampaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise DomainError(_("This plan does not exist (any more)."))
    return campaign


def _bump(campaign: VisitCampaign, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != campaign.version:
        raise Conflict(_("Someone changed this plan meanwhile; look at it again."))
    campaign.version += 1


@transaction.atomic
def update_campaign(
    *,
    actor: User,
    campaign_id: int,
    title: str,
    purpose: str,
    period_start: dt.date,
    period_end: dt.date,
    channel: str,
    service_item: str = "",
    script: str = "",
    rules: dict[str, Any] | None = None,
    planned_count: int = 0,
    team_id: int | None = None,
    expected_version: int | None = None,
) -> VisitCampaign:
    campaign = _locked(campaign_id)
    CAMPAIGN_FLOW.check(campaign.state, "edit", actor=actor, obj=campaign)
    title, purpose = _clean(title, limit=100), _clean(purpose, limit=200)
    _check_fields(title=title, purpose=purpose, channel=channel, start=period_start, end=period_end)
    team = Team.objects.filter(pk=team_id).first() if team_id else None
    if team_id and team is None:
        raise DomainError(_("This team does not exist."))
    _bump(campaign, expected_version)
    campaign.title, campaign.purpose = title, purpose
    campaign.service_item = _clean(service_item, limit=60)
    campaign.script = (script or DEFAULT_SCRIPT).replace("\x00", "")[:4000]
    campaign.channel = channel
    campaign.period_start, campaign.period_end = period_start, period_end
    campaign.rules = _clean_rules(rules or {})
    campaign.planned_count = max(0, planned_count)
    campaign.team = team
    campaign.state = CampaignState.DRAFT
    campaign.save()
    return campaign


@transaction.atomic
def submit_campaign(
    *,
    actor: User,
    campaign_id: int,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> VisitCampaign:
    """Hand the plan to an approver with its selection counted (the preview they decide on)."""
    campaign = _locked(campaign_id)
    CAMPAIGN_FLOW.check(campaign.state, "submit", actor=actor, obj=campaign)
    counted = selectors.preview(campaign, now=now)
    if not counted["kept"]:
        raise DomainError(_("The range selects no customer: widen it before submitting."))
    _bump(campaign, expected_version)
    if campaign.created_by_id is None:
        campaign.created_by = actor  # a scheduler's draft belongs to whoever submits it
    campaign.state = CampaignState.SUBMITTED
    campaign.selected_count = counted["kept"]
    campaign.submitted_at = now or timezone.now()
    campaign.decision_note = ""
    campaign.save()
    emit(CampaignSubmitted(campaign_id=campaign.pk, submitted_by_id=actor.pk))
    return campaign


@transaction.atomic
def decide_campaign(
    *,
    actor: User,
    campaign_id: int,
    approve: bool,
    note: str = "",
    expected_version: int | None = None,
) -> VisitCampaign:
    campaign = _locked(campaign_id)
    CAMPAIGN_FLOW.check(
        campaign.state, "approve" if approve else "send_back", actor=actor, obj=campaign
    )
    note = _clean(note, limit=300)
    if not approve and not note:
        raise DomainError(_("Say why the plan goes back."))
    _bump(campaign, expected_version)
    campaign.state = CampaignState.APPROVED if approve else CampaignState.RETURNED
    campaign.decided_by, campaign.decided_at, campaign.decision_note = actor, timezone.now(), note
    campaign.save()
    emit(
        CampaignDecided(
            campaign_id=campaign.pk,
            state=campaign.state,
            decided_by_id=actor.pk,
            drafted_by_id=campaign.created_by_id,
        )
    )
    return campaign


@transaction.atomic
def close_campaign(*, actor: User, campaign_id: int) -> VisitCampaign:
    """Stop a plan: its open visits are cancelled."""
    campaign = _locked(campaign_id)
    CAMPAIGN_FLOW.check(campaign.state, "close", actor=actor, obj=campaign)
    campaign.visits.filter(state=VisitState.OPEN).update(state=VisitState.CANCELLED)
    campaign.state = CampaignState.CLOSED
    campaign.version += 1
    campaign.save()
    return campaign


@transaction.atomic
def start_issuing(
    *, actor: User, campaign_id: int, expected_version: int | None = None
) -> VisitCampaign:
    """Mark the plan as issuing; the tasks are made by issue_campaign (a Huey task: a plan of
    200,000 customers is made in chunks, its progress in issued_count)."""
    campaign = _locked(campaign_id)
    CAMPAIGN_FLOW.check(campaign.state, "issue", actor=actor, obj=campaign)
    _bump(campaign, expected_version)
    campaign.state = CampaignState.ISSUING
    campaign.issued_count = 0
    campaign.save()
    return campaign


# --- distribution ---------------------------------------------------------------------------------


def plan_distribution(
    customers: Iterable[tuple[int, int | None]], loads: dict[int, int], *, fair_share: int
) -> dict[int, int]:
    """Agent per customer: the customer's owner when the owner is among the agents and below
    1.5 × the fair share; otherwise the agent with the fewest visits (then the lowest id).
    `loads` (agent id → open visits) is updated in place, so chunks can follow one another."""
    if not loads:
        raise DomainError(_("There is no active agent to give the visits to."))
    cap = max(1, math.ceil(fair_share * 1.5))
    chosen: dict[int, int] = {}
    rest: list[int] = []
    for customer_id, owner_id in customers:
        if owner_id in loads and loads[owner_id] < cap:
            chosen[customer_id] = owner_id
            loads[owner_id] += 1
        else:
            rest.append(customer_id)
    heap = [(load, agent_id) for agent_id, load in loads.items()]
    heapq.heapify(heap)
    for customer_id in rest:
        load, agent_id = heapq.heappop(heap)
        chosen[customer_id] = agent_id
        loads[agent_id] = load + 1
        heapq.heappush(heap, (load + 1, agent_id))
    return chosen


def open_loads(agent_ids: list[int]) -> dict[int, int]:
    loads = dict.fromkeys(agent_ids, 0)
    counted = (
        ReturnVisit.objects.filter(assignee_id__in=agent_ids, state=VisitState.OPEN)
        .order_by()
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
    )
    for agent_id, n in counted:
        loads[agent_id] = n
    return loads


def first_visit_time(
    campaign: VisitCampaign, *, now: dt.datetime, windows: list[quiet.Window]
) -> dt.datetime:
    """The plan's visits start at its first day (or now, if later), outside quiet hours."""
    start = dt.datetime.combine(campaign.period_start, dt.time(), _zone())
    return quiet.next_allowed(max(now, start), windows)


def _insert_visits(
    *,
    campaign: VisitCampaign,
    rows: list[tuple[int, int]],
    scheduled: dt.datetime,
    due: dt.datetime,
    now: dt.datetime,
) -> None:
    """The chunk's (customer, agent) visits in one statement, a customer already in the plan
    skipped (ON CONFLICT DO NOTHING): the ORM's bulk_create spent most of the issuing time
    preparing each value (bench/visits). PostgreSQL takes the two columns as two arrays
    (INSERT … SELECT … FROM unnest: one round trip; executemany sent a statement per row, 2,900
    visits/s at 200,000); SQLite, in process, runs the prepared statement per row."""
    from django.db import connection

    ops = connection.ops
    table = ops.quote_name(ReturnVisit._meta.db_table)
    columns = (
        "campaign_id",
        "customer_id",
        "assignee_id",
        "source",
        "channel",
        "state",
        "scheduled_at",
        "due_at",
        "created_at",
    )
    fixed = (
        VisitSource.CAMPAIGN.value,
        campaign.channel,
        VisitState.OPEN.value,
        ops.adapt_datetimefield_value(scheduled),
        ops.adapt_datetimefield_value(due),
        ops.adapt_datetimefield_value(now),
    )
    # Only the model's own table and column names are put into the text; the values are parameters.
    names = ", ".join(ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = (
                f"INSERT INTO {table} ({names}) SELECT %s, c, a, %s, %s, %s, %s, %s, %s"  # noqa: S608
                " FROM unnest(%s::bigint[], %s::bigint[]) AS t(c, a) ON CONFLICT DO NOTHING"
            )
            cursor.execute(
                sql,
                (
                    campaign.pk,
                    *fixed,
                    [customer_id for customer_id, _agent in rows],
                    [agent_id for _customer, agent_id in rows],
                ),
            )
            return
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING"  # noqa: S608
        cursor.executemany(
            sql, [(campaign.pk, customer_id, agent_id, *fixed) for customer_id, agent_id in rows]
        )


def issue_campaign(*, campaign_id: int, now: dt.datetime | None = None) -> VisitCampaign | None:
    """Make the plan's visit tasks, ISSUE_CHUNK customers per transaction (memory flat in N, progress
    in issued_count), then mark it issued. Safe to run again: a customer is visited once per plan."""
    now = now or timezone.now()
    campaign = VisitCampaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.state != CampaignState.ISSUING:
        return campaign
    windows = quiet.parse_windows(selectors.rules().quiet_hours)
    scheduled = first_visit_time(campaign, now=now, windows=windows)
    due = dt.datetime.combine(campaign.period_end + dt.timedelta(days=1), dt.time(), _zone())
    due = max(due, scheduled + dt.timedelta(hours=1))
    agent_ids = list(selectors.agents_for(campaign).values_list("pk", flat=True))
    loads = open_loads(agent_ids)
    total = campaign.selected_count or selectors.audience(campaign, now=now).count()
    if campaign.planned_count:
        total = min(total, campaign.planned_count)
    fair_share = math.ceil((sum(loads.values()) + total) / max(1, len(agent_ids)))
    remaining = total
    last_id = 0
    made = 0
    while remaining > 0:
        rows = list(
            selectors.audience(campaign, now=now)
            .filter(pk__gt=last_id)
            .values_list("pk", "owner_id")[: min(ISSUE_CHUNK, remaining)]
        )
        if not rows:
            break
        last_id = rows[-1][0]
        remaining -= len(rows)
        chosen = plan_distribution(rows, loads, fair_share=fair_share)
        with transaction.atomic():
            _insert_visits(
                campaign=campaign,
                rows=[(customer_id, chosen[customer_id]) for customer_id, _owner in rows],
                scheduled=scheduled,
                due=due,
                now=now,
            )
            made += len(rows)
            VisitCampaign.objects.filter(pk=campaign.pk).update(issued_count=made)
    with transaction.atomic():
        campaign = VisitCampaign.objects.select_for_update().get(pk=campaign.pk)
        campaign.issued_count = campaign.visits.count()
        campaign.state = CampaignState.ISSUED
        campaign.issued_at = now
        campaign.version += 1
        campaign.save()
        emit(CampaignIssued(campaign_id=campaign.pk, issued_count=campaign.issued_count))
    return campaign


@transaction.atomic
def move_visits(*, actor: User, visit_ids: list[int], to_agent_id: int) -> int:
    """A supervisor gives open visits to another agent (调配). Refused whole, with the reason, when
    the agent is not an active agent or not in a plan's team, or a visit is no longer open."""
    if not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("Your role may not move visits."))
    ids = sorted({int(i) for i in visit_ids})[:5000]
    if not ids:
        raise DomainError(_("Choose the visits to move."))
    agent = selectors.agents_for(None).filter(pk=to_agent_id).first()
    if agent is None:
        raise DomainError(_("Choose an active agent."), field="agent_id")
    visits = list(
        ReturnVisit.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .filter(pk__in=ids)
    )
    if len(visits) != len(ids):
        raise DomainError(_("Some of these visits do not exist (any more)."))
    for visit in visits:
        VISIT_FLOW.check(visit.state, "move", actor=actor, obj=visit)
        plan = visit.campaign
        in_team = plan is None or not plan.team_id
        if not in_team and not selectors.agents_for(plan).filter(pk=agent.pk).exists():
            raise DomainError(
                _("%(agent)s is not in the team %(team)s of plan %(plan)s.")
                % {"agent": agent, "team": plan.team, "plan": plan.number},  # type: ignore[union-attr]
                field="agent_id",
            )
    ReturnVisit.objects.filter(pk__in=ids).update(assignee=agent)
    emit(VisitsMoved(visit_ids=tuple(ids), to_agent_id=agent.pk, moved_by_id=actor.pk))
    return len(ids)


# --- the visit -------------------------------------------------------------------------------------


def fill_script(visit: ReturnVisit, *, agent: User, now: dt.datetime | None = None) -> str:
    """The plan's script with its blanks filled: agent, customer, the time served, the service."""
    campaign = visit.campaign
    text = campaign.script if campaign and campaign.script else DEFAULT_SCRIPT
    served = (
        visit.ticket.created_at
        if visit.ticket is not None
        else (campaign.created_at if campaign else None)
    )
    values = {
        "agent": str(agent),
        "customer": visit.customer.name[:1] if visit.customer.name else "",
        "time": served.astimezone(_zone()).strftime("%m月%d日") if served else "",
        "service": (campaign.service_item or campaign.purpose) if campaign else _("our service"),
    }
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


@transaction.atomic
def record_visit(
    *,
    actor: User,
    visit_id: int,
    reached: bool,
    unreached_reason: str = "",
    satisfaction: str = "",
    product_opinion: str = "",
    service_opinion: str = "",
    suggestions: str = "",
    next_contact_at: dt.datetime | None = None,
    call_id: int | None = None,
    now: dt.datetime | None = None,
) -> VisitRecord:
    """Save the 回访记录表. Complete or refused (三个必保: every visit recorded completely): reached
    needs the satisfaction, and a dissatisfied or average answer what to improve; not reached needs
    the reason."""
    now = now or timezone.now()
    visit = (
        ReturnVisit.objects.select_for_update(of=("self",))
        .select_related("customer", "campaign")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None:
        raise DomainError(_("This visit does not exist (any more)."))
    VISIT_FLOW.check(visit.state, "record", actor=actor, obj=visit)
    product_opinion = _clean(product_opinion, limit=MAX_TEXT)
    service_opinion = _clean(service_opinion, limit=MAX_TEXT)
    suggestions = _clean(suggestions, limit=MAX_TEXT)
    if reached:
        if satisfaction not in Satisfaction.values:
            raise DomainError(_("Record whether the customer is satisfied."))
        if satisfaction != Satisfaction.SATISFIED and not (service_opinion or product_opinion):
            raise DomainError(_("Record what the customer wants improved."))
        unreached_reason = ""
    else:
        if unreached_reason not in UnreachedReason.values:
            raise DomainError(_("Record why the customer was not reached."))
        satisfaction = ""
    if next_contact_at is not None and timezone.is_naive(next_contact_at):
        next_contact_at = timezone.make_aware(next_contact_at)
    if next_contact_at is not None and next_contact_at <= now:
        raise DomainError(_("The next contact must be in the future."))
    call = None
    if call_id is not None:
        call = visible_calls(actor).filter(pk=call_id).first()
        if call is None or call.customer_id not in (None, visit.customer_id):
            raise DomainError(_("This call is not one of this customer's calls."))
    record = VisitRecord.objects.create(
        visit=visit,
        reached=reached,
        unreached_reason=unreached_reason,
        satisfaction=satisfaction,
        product_opinion=product_opinion,
        service_opinion=service_opinion,
        suggestions=suggestions,
        next_contact_at=next_contact_at,
        call=call,
        recorded_by=actor,
        recorded_at=now,
    )
    visit.state = VisitState.DONE
    visit.completed_at = now
    visit.save(update_fields=["state", "completed_at"])
    if reached:
        note_contact(actor=actor, customer_id=visit.customer_id, at=now)
        if visit.work_order_id:
            _close_work_order_visit(actor=actor, visit=visit, record=record, now=now)
    label = visit.campaign.number if visit.campaign else _("Return visit")
    summary = (
        _("%(plan)s: visited, %(satisfaction)s")
        % {"plan": label, "satisfaction": record.get_satisfaction_display()}
        if reached
        else _("%(plan)s: not reached (%(reason)s)")
        % {"plan": label, "reason": record.get_unreached_reason_display()}
    )
    timeline.record(
        subject=visit,
        customer_id=visit.customer_id,
        kind="visits.recorded",
        actor=actor,
        occurred_at=now,
        summary=summary,
        data={
            "visit_id": visit.pk,
            "reached": reached,
            "satisfaction": satisfaction,
            "call_id": call.pk if call else None,
        },
    )
    emit(
        VisitRecorded(
            visit_id=visit.pk,
            customer_id=visit.customer_id,
            agent_id=actor.pk,
            reached=reached,
            satisfaction=satisfaction,
        )
    )
    return record


DISPATCH_SCORES = {
    Satisfaction.SATISFIED: 5,
    Satisfaction.AVERAGE: 3,
    Satisfaction.DISSATISFIED: 1,
}


def _close_work_order_visit(
    *, actor: User, visit: ReturnVisit, record: VisitRecord, now: dt.datetime
) -> None:
    """The work order's own 派工回访 step is done by this visit: its outcome from the record and the
    satisfaction as 5 / 3 / 1. An order already visited by hand is left as it is."""
    from kefu.dispatch.services import record_handed_visit

    outcome = " ".join(
        part
        for part in (
            record.get_satisfaction_display(),
            record.service_opinion,
            record.product_opinion,
            record.suggestions,
        )
        if part
    )
    try:
        with transaction.atomic():
            record_handed_visit(
                actor=actor,
                work_order_id=visit.work_order_id,  # type: ignore[arg-type]
                outcome=outcome,
                satisfaction=DISPATCH_SCORES.get(Satisfaction(record.satisfaction)),
                now=now,
            )
    except DomainError:
        pass


@transaction.atomic
def open_complaint(*, actor: User, visit_id: int) -> Ticket:
    """A dissatisfied (or average) answer becomes a complaint in one click, prefilled from the
    record, through the ticket services; the record keeps the link (once)."""
    visit = (
        ReturnVisit.objects.select_for_update(of=("self",))
        .select_related("customer", "campaign")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None:
        raise DomainError(_("This visit does not exist (any more)."))
    VISIT_FLOW.check(visit.state, "open_complaint", actor=actor, obj=visit)
    record = VisitRecord.objects.select_for_update().filter(visit=visit).first()
    if record is None or record.satisfaction not in (
        Satisfaction.DISSATISFIED,
        Satisfaction.AVERAGE,
    ):
        raise DomainError(_("Only a dissatisfied or average answer opens a complaint."))
    if record.complaint_id:
        raise Conflict(
            _("This visit already opened complaint %(number)s.")
            % {"number": record.complaint.number if record.complaint else ""}
        )
    label = visit.campaign.number if visit.campaign else _("Return visit")
    content = "\n".join(
        part
        for part in (
            _("Satisfaction: %(value)s") % {"value": record.get_satisfaction_display()},
            _("Opinion on the product: %(text)s") % {"text": record.product_opinion}
            if record.product_opinion
            else "",
            _("Opinion on the service: %(text)s") % {"text": record.service_opinion}
            if record.service_opinion
            else "",
            _("Suggestions: %(text)s") % {"text": record.suggestions} if record.suggestions else "",
        )
        if part
    )
    ticket = create_ticket(
        actor=actor,
        type=TicketType.COMPLAINT,
        subject=_("Dissatisfied at return visit %(plan)s") % {"plan": label},
        content=content,
        customer_id=visit.customer_id,
        channel=Channel.PHONE if visit.channel == VisitChannel.PHONE else Channel.OTHER,
    )
    record.complaint = ticket
    record.save(update_fields=["complaint"])
    return ticket


# --- rules and the 25th ----------------------------------------------------------------------------


@transaction.atomic
def save_rules(
    *, actor: User, quiet_hours: list[Any], member_coverage_percent: int, days_after_complaint: int
) -> VisitRules:
    if not actor.has_perm(Perm.MANAGE_SETTINGS):
        raise PermissionRefused(_("Your role may not change the visit rules."))
    windows = quiet.parse_windows(quiet_hours)
    quiet.next_allowed(dt.datetime(2026, 1, 5, 12, tzinfo=_zone()), windows)  # not all day
    if not 0 <= member_coverage_percent <= 100:
        raise DomainError(_("The coverage target is a percentage from 0 to 100."))
    if not 1 <= days_after_complaint <= 30:
        raise DomainError(_("Give from 1 to 30 working days."))
    found, _created = VisitRules.objects.get_or_create(pk=1)
    found.quiet_hours = [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in windows]
    found.member_coverage_percent = member_coverage_percent
    found.days_after_complaint = days_after_complaint
    found.save()
    return found


def next_month(day: dt.date) -> tuple[dt.date, dt.date]:
    first = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return first, last


@transaction.atomic
def remind_next_month_plan(*, now: dt.datetime | None = None) -> VisitCampaign:
    """The 25th (seed 001): draft next month's plan (members and VIPs, the seeds' script) unless a
    plan for that month exists, and remind who plans visits. Idempotent within the month."""
    today = selectors.local_today(now)
    first, last = next_month(today)
    campaign = (
        VisitCampaign.objects.filter(period_start__gte=first, period_start__lte=last)
        .order_by("id")
        .first()
    )
    if campaign is None:
        campaign = create_campaign(
            actor=None,
            title=_("Visit plan %(month)s") % {"month": first.strftime("%Y-%m")},
            purpose=_("Members' satisfaction visit"),
            service_item=_("membership"),
            period_start=first,
            period_end=last,
            rules={"levels": [Level.MEMBER, Level.VIP]},
        )
    emit(PlanReminderDue(campaign_id=campaign.pk, month=first.strftime("%Y-%m")))
    return campaign


# --- 三个必保: a visit within three working days after a complaint closes ------------------------------


def pick_visitor(*preferred: User | None) -> int | None:
    """Who visits: the first of `preferred` who is active and serves customers, else the agent
    with the fewest open visits (None when there is no active agent)."""
    for user in preferred:
        if user is not None and user.is_active and user.has_perm(Perm.SERVE_CUSTOMERS):
            return user.pk
    agent_ids = list(selectors.agents_for(None).values_list("pk", flat=True))
    if not agent_ids:
        return None
    loads = open_loads(agent_ids)
    return min(agent_ids, key=lambda pk: (loads[pk], pk))


def phone_follow_up(
    *,
    customer_id: int,
    assignee_id: int,
    source: str,
    now: dt.datetime,
    due: dt.datetime,
    **links: Any,
) -> ReturnVisit:
    """A phone visit task that starts outside the customer's quiet hours (一个避免) and is due at
    `due`, or when it may start if that is later. `links`: the ticket, work order … it follows."""
    scheduled = quiet.next_allowed(now, quiet.parse_windows(selectors.rules().quiet_hours))
    return ReturnVisit.objects.create(
        customer_id=customer_id,
        assignee_id=assignee_id,
        source=source,
        channel=VisitChannel.PHONE,
        scheduled_at=scheduled,
        due_at=max(due, scheduled),
        **links,
    )


def _complaint_visitor(ticket: Ticket) -> int | None:
    """Who visits after a complaint: its assignee if they serve customers, else the customer's
    owner, else the agent with the fewest open visits."""
    return pick_visitor(ticket.assignee, ticket.customer.owner if ticket.customer else None)


@transaction.atomic
def create_complaint_visit(*, ticket_id: int, now: dt.datetime | None = None) -> ReturnVisit | None:
    """The closed complaint's 追踪回访, due within the rules' working days (business calendar:
    weekends, holidays and 调休 counted as the calendar says), starting outside quiet hours.
    Once per ticket; nothing for a ticket that is not a closed complaint with a customer."""
    from kefu.core.business_calendar import BusinessCalendar
    from kefu.tickets.models import Ticket

    ticket = (
        Ticket.objects.select_related("customer__owner", "assignee").filter(pk=ticket_id).first()
    )
    if (
        ticket is None
        or ticket.type != TicketType.COMPLAINT
        or ticket.customer_id is None
        or ticket.closed_at is None
        or ReturnVisit.objects.filter(ticket=ticket).exists()
    ):
        return None
    assignee_id = _complaint_visitor(ticket)
    if assignee_id is None:
        return None
    now = now or ticket.closed_at
    settings_row = selectors.rules()
    calendar = BusinessCalendar()
    working_day = calendar.hours
    per_day = dt.datetime.combine(dt.date.min, working_day.end) - dt.datetime.combine(
        dt.date.min, working_day.start
    )
    due = calendar.add_working_time(ticket.closed_at, per_day * settings_row.days_after_complaint)
    return phone_follow_up(
        customer_id=ticket.customer_id,
        assignee_id=assignee_id,
        source=VisitSource.COMPLAINT,
        now=now,
        due=due,
        ticket=ticket,
    )


# --- 派工回访: a visit within three working days after a work order is done -------------------------


@transaction.atomic
def create_dispatch_visit(
    *, work_order_id: int, now: dt.datetime | None = None
) -> ReturnVisit | None:
    """The finished work order's return visit 派工回访 (dispatch's `dispatch.progressed` to done),
    due three working days after completion on the business calendar, to the customer's owner or
    the agent with the fewest open visits. Once per order."""
    from kefu.dispatch.models import WorkOrder, WorkOrderState
    from kefu.tickets.services.sla import return_visit_due

    order = WorkOrder.objects.select_related("customer__owner").filter(pk=work_order_id).first()
    if (
        order is None
        or order.state != WorkOrderState.DONE
        or order.customer_id is None
        or ReturnVisit.objects.filter(work_order=order).exists()
    ):
        return None
    assignee_id = pick_visitor(order.customer.owner)
    if assignee_id is None:
        return None
    done_at = order.completed_at or now or timezone.now()
    return phone_follow_up(
        customer_id=order.customer_id,
        assignee_id=assignee_id,
        source=VisitSource.DISPATCH,
        now=now or done_at,
        due=order.visit_due_at or return_visit_due(done_at),
        work_order=order,
    )


# --- one visit task, added by a supervisor or a rule ---------------------------------------------


@transaction.atomic
def create_visit(
    *,
    actor: User,
    customer_id: int,
    assignee_id: int | None = None,
    now: dt.datetime | None = None,
) -> tuple[ReturnVisit, bool]:
    """One return visit task 回访任务 for a customer (调配: supervisors and the rules they write), to
    `assignee_id` or, when None, to the customer's owner or the agent with the fewest open visits;
    from now (outside quiet hours) to three working days later (business calendar). A customer
    who already has an open visit gets no second one: (that visit, False); else (the new one, True)."""
    from kefu.customers.models import Customer
    from kefu.tickets.services.sla import return_visit_due

    if not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("Only a supervisor may add a return visit task."))
    customer = (
        Customer.objects.select_for_update(of=("self",))
        .select_related("owner")
        .filter(pk=customer_id, merged_into__isnull=True)
        .first()
    )
    if customer is None:
        raise DomainError(_("This customer does not exist."))
    already = (
        ReturnVisit.objects.filter(customer=customer, state=VisitState.OPEN).order_by("id").first()
    )
    if already is not None:
        return already, False
    if assignee_id is None:
        assignee_id = pick_visitor(customer.owner)
        if assignee_id is None:
            raise DomainError(_("There is no active agent to give the return visit to."))
    elif not selectors.agents_for(None).filter(pk=assignee_id).exists():
        raise DomainError(_("Choose an active agent."))
    now = now or timezone.now()
    visit = phone_follow_up(
        customer_id=customer.pk,
        assignee_id=assignee_id,
        source=VisitSource.MANUAL,
        now=now,
        due=return_visit_due(now),
    )
    timeline.record(
        subject=visit,
        customer_id=customer.pk,
        kind="visits.created",
        actor=actor,
        occurred_at=now,
        summary=_("Return visit task for %(agent)s, due %(due)s")
        % {
            "agent": visit.assignee,
            "due": timezone.localtime(visit.due_at).strftime("%Y-%m-%d %H:%M"),
        },
        is_internal=True,
        data={"visit_id": visit.pk, "assignee_id": assignee_id},
    )
    return visit, True


# --- deadline alerts ------------------------------------------------------------------------------

DUE_SOON = dt.timedelta(hours=24)


def sweep_visit_deadlines(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Open visits due within DUE_SOON and those past their deadline: each told once (the agent and
    the supervisors, through notifications). Re-runnable: the warned_at columns remember."""
    from kefu.visits.events import VisitDeadline

    now = now or timezone.now()
    told = {"due_soon": 0, "overdue": 0}
    open_visits = ReturnVisit.objects.filter(state=VisitState.OPEN)
    batches = (
        ("overdue", open_visits.filter(due_at__lte=now, overdue_warned_at__isnull=True)),
        (
            "due_soon",
            open_visits.filter(
                due_at__gt=now, due_at__lte=now + DUE_SOON, due_soon_warned_at__isnull=True
            ),
        ),
    )
    for kind, query in batches:
        field = "overdue_warned_at" if kind == "overdue" else "due_soon_warned_at"
        while True:
            with transaction.atomic():
                rows = list(
                    query.select_for_update(skip_locked=True)
                    .order_by("id")
                    .values_list("pk", "assignee_id", "due_at")[:500]
                )
                if not rows:
                    break
                ReturnVisit.objects.filter(pk__in=[r[0] for r in rows]).update(**{field: now})
                for pk, agent_id, due_at in rows:
                    emit(
                        VisitDeadline(
                            visit_id=pk, kind=kind, agent_id=agent_id, due_at=due_at.isoformat()
                        )
                    )
                told[kind] += len(rows)
    return told
