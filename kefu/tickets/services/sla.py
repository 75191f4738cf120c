"""Time limits 客诉处理时限标准: deadlines in working time, and the sweep that warns and escalates.

Deadlines come from the most specific active SlaPolicy (see models.SlaPolicy) or DEFAULT_LIMITS,
counted on the business calendar (holidays and 调休 respected), so a positive limit always ends
inside working hours. The sweep records each warning and each breach once (SlaAlert is unique per
ticket, clock, level and deadline), writes it on the timeline and emits its event.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import ROLE_PERMISSIONS, Perm, Role
from kefu.core import timeline
from kefu.core.business_calendar import BusinessCalendar
from kefu.core.events import emit
from kefu.core.process_cache import ProcessCache
from kefu.tickets.events import TicketSlaBreached, TicketSlaWarning
from kefu.tickets.models import SlaAlert, SlaClock, SlaLevel, SlaPolicy, Ticket, TicketCategory
from kefu.tickets.states import TicketState

logger = logging.getLogger(__name__)

# Warn when this much working time (or less) is left before a deadline.
WARNING_BEFORE = dt.timedelta(minutes=60)
# 必须保证在三天之内回访 (seed 003): the return visit of a complaint whose plan was carried out.
RETURN_VISIT_WORKING_DAYS = 3
# Tickets handled per clock and level in one sweep; the next sweep takes the rest.
SWEEP_BATCH = 500


@dataclass(frozen=True)
class Limits:
    first_response: dt.timedelta
    stage: dt.timedelta
    resolution: dt.timedelta


# When no policy applies: answer within an hour, each stage within a working day, done in three.
DEFAULT_LIMITS = Limits(
    first_response=dt.timedelta(minutes=60),
    stage=dt.timedelta(minutes=8 * 60),
    resolution=dt.timedelta(minutes=3 * 8 * 60),
)


def _active_policies() -> dict[tuple[int | None, str], Limits]:
    return {
        (category_id, policy_priority): Limits(
            first_response=dt.timedelta(minutes=first),
            stage=dt.timedelta(minutes=stage),
            resolution=dt.timedelta(minutes=resolution),
        )
        for category_id, policy_priority, first, stage, resolution in SlaPolicy.objects.filter(
            is_active=True
        )
        .order_by()
        .values_list(
            "category_id",
            "priority",
            "first_response_minutes",
            "stage_minutes",
            "resolution_minutes",
        )
    }


# The active policies, kept per process until one is saved or deleted (TicketsConfig.ready connects
# POLICIES.changed to SlaPolicy's post_save and post_delete): read once, not on every new ticket.
POLICIES = ProcessCache("tickets.sla-policies", load=_active_policies)


def limits_for(*, category: TicketCategory | None, priority: str) -> Limits:
    """The most specific active policy: category+priority, category, each ancestor likewise,
    then priority alone, then the default policy (no category, no priority), then DEFAULT_LIMITS."""
    policies = POLICIES.get()
    if not policies:
        return DEFAULT_LIMITS
    keys: list[tuple[int | None, str]] = []
    for node in category.lineage() if category is not None else []:
        keys += [(node.pk, priority), (node.pk, "")]
    keys += [(None, priority), (None, "")]
    for key in keys:
        if key in policies:
            return policies[key]
    return DEFAULT_LIMITS


def set_deadlines_on_create(
    ticket: Ticket, *, now: dt.datetime, calendar: BusinessCalendar | None = None
) -> None:
    calendar = calendar or BusinessCalendar()
    limits = limits_for(category=ticket.category, priority=ticket.priority)
    ticket.first_response_due_at = calendar.add_working_time(now, limits.first_response)
    ticket.stage_started_at = now
    ticket.stage_due_at = calendar.add_working_time(now, limits.stage)
    ticket.resolve_due_at = calendar.add_working_time(now, limits.resolution)


def restart_stage(
    ticket: Ticket, *, now: dt.datetime, calendar: BusinessCalendar | None = None
) -> None:
    """A new stage of the loop starts now; a closed ticket has no stage deadline."""
    if not ticket.is_open:
        ticket.stage_started_at = None
        ticket.stage_due_at = None
        return
    limits = limits_for(category=ticket.category, priority=ticket.priority)
    ticket.stage_started_at = now
    ticket.stage_due_at = (calendar or BusinessCalendar()).add_working_time(now, limits.stage)


def restart_resolution(
    ticket: Ticket, *, now: dt.datetime, calendar: BusinessCalendar | None = None
) -> None:
    """After a reopen the resolution clock starts again from now."""
    limits = limits_for(category=ticket.category, priority=ticket.priority)
    ticket.resolve_due_at = (calendar or BusinessCalendar()).add_working_time(
        now, limits.resolution
    )


def _resolution_started_at(ticket: Ticket) -> dt.datetime:
    """When the resolution clock started: at creation, or at the last reopen (restart_resolution)."""
    if ticket.reopen_count:
        reopened = (
            timeline.entries_for(ticket)
            .filter(kind="tickets.reopen")
            .values_list("occurred_at", flat=True)
            .first()
        )
        if reopened is not None:
            return reopened
    return ticket.created_at


def recompute_running(
    ticket: Ticket, *, now: dt.datetime, calendar: BusinessCalendar | None = None
) -> dict[str, dt.datetime]:
    """The deadlines of `ticket`'s running clocks, counted again from each clock's start with the
    policy that applies to its priority and category now; {field: new deadline} of those that moved.

    Working time already spent counts against the new limit: a ticket four working hours into a
    day's stage that becomes urgent (two hours a stage) is two hours late at once, and the sweep
    records the breach. A clock already met (the first response given) or already breached (its
    deadline passed) keeps its deadline: the breach stays counted as it happened.
    Call while holding the row lock, before save_changed() with the returned fields."""
    calendar = calendar or BusinessCalendar()
    limits = limits_for(category=ticket.category, priority=ticket.priority)
    clocks: list[tuple[str, dt.datetime | None, dt.timedelta, bool]] = [
        (
            "first_response_due_at",
            ticket.created_at,
            limits.first_response,
            ticket.first_responded_at is None,
        ),
        ("stage_due_at", ticket.stage_started_at, limits.stage, ticket.is_open),
        ("resolve_due_at", _resolution_started_at(ticket), limits.resolution, ticket.is_open),
    ]
    moved: dict[str, dt.datetime] = {}
    for field, started_at, limit, running in clocks:
        due_at = getattr(ticket, field)
        if not running or started_at is None or due_at is None or due_at <= now:
            continue
        new_due = calendar.add_working_time(started_at, limit)
        if new_due != due_at:
            setattr(ticket, field, new_due)
            moved[field] = new_due
    return moved


def return_visit_limit(calendar: BusinessCalendar) -> dt.timedelta:
    """Three working days of the calendar's hours, as working time."""
    day = dt.datetime.combine(dt.date.min, calendar.hours.end) - dt.datetime.combine(
        dt.date.min, calendar.hours.start
    )
    return RETURN_VISIT_WORKING_DAYS * day


def return_visit_due(now: dt.datetime, *, calendar: BusinessCalendar | None = None) -> dt.datetime:
    """Three working days after `now` on the business calendar (holidays and 调休 respected): the
    plan carried out on Friday 10:00 is visited by Wednesday 10:00; at night, counting starts at the
    next working morning."""
    calendar = calendar or BusinessCalendar()
    return calendar.add_working_time(now, return_visit_limit(calendar))


# --- the sweep ---------------------------------------------------------------------------------

CLOCK_FIELDS: dict[str, str] = {
    SlaClock.FIRST_RESPONSE: "first_response_due_at",
    SlaClock.STAGE: "stage_due_at",
    SlaClock.RESOLUTION: "resolve_due_at",
    SlaClock.RETURN_VISIT: "return_visit_due_at",
}


@dataclass(frozen=True)
class SweepResult:
    warnings: int
    breaches: int


def supervisors_to_escalate_to() -> list[int]:
    """Active users whose role holds the assignment right (supervisors, managers): they take escalations.
    Administrators hold every right but do not work the queues."""
    roles = [
        r
        for r, perms in ROLE_PERMISSIONS.items()
        if Perm.ASSIGN_WORK in perms and r != Role.ADMINISTRATOR
    ]
    return list(
        User.objects.filter(is_active=True, role__in=roles)
        .order_by("id")
        .values_list("id", flat=True)
    )


def due_tickets(*, clock: str, level: str, now: dt.datetime, horizon: dt.datetime):
    """Open tickets whose `clock` deadline needs an alert of `level` not yet recorded for it."""
    field = CLOCK_FIELDS[clock]
    # "Not closed" is OPEN_STATES, in the form the partial indexes of open deadlines carry.
    qs = Ticket.objects.filter(~Q(state=TicketState.CLOSED), **{f"{field}__isnull": False})
    if clock == SlaClock.FIRST_RESPONSE:
        qs = qs.filter(first_responded_at__isnull=True)
    if clock == SlaClock.RETURN_VISIT:
        qs = qs.filter(return_visited_at__isnull=True)
    if level == SlaLevel.BREACH:
        qs = qs.filter(**{f"{field}__lte": now})
    else:
        qs = qs.filter(**{f"{field}__gt": now, f"{field}__lte": horizon})
    recorded = SlaAlert.objects.filter(
        ticket=OuterRef("pk"), clock=clock, level=level, due_at=OuterRef(field)
    )
    return qs.filter(~Exists(recorded))


def sweep_sla(now: dt.datetime | None = None) -> SweepResult:
    """Record a warning for each deadline less than WARNING_BEFORE of working time away and a breach
    for each one passed, each once; breaches are escalated to the supervisors.

    Warnings are given only in working time: on a Saturday the deadlines of Monday morning are an
    hour of working time away, but nobody is there to act; Monday's first sweep warns them."""
    now = now or timezone.now()
    calendar = BusinessCalendar()
    horizon = calendar.add_working_time(now, WARNING_BEFORE)
    escalate_to: tuple[int, ...] | None = None
    counts = {SlaLevel.WARNING: 0, SlaLevel.BREACH: 0}
    levels = [SlaLevel.BREACH]
    if calendar.is_working_time(now):
        levels.append(SlaLevel.WARNING)
    for level in levels:
        for clock, field in CLOCK_FIELDS.items():
            ids = list(
                due_tickets(clock=clock, level=level, now=now, horizon=horizon)
                .order_by(field)
                .values_list("pk", flat=True)[:SWEEP_BATCH]
            )
            for ticket_id in ids:
                if level == SlaLevel.BREACH and escalate_to is None:
                    escalate_to = tuple(supervisors_to_escalate_to())
                if _record_alert(
                    ticket_id=ticket_id,
                    clock=clock,
                    level=level,
                    now=now,
                    escalate_to=escalate_to or (),
                ):
                    counts[level] += 1
    return SweepResult(warnings=counts[SlaLevel.WARNING], breaches=counts[SlaLevel.BREACH])


def _record_alert(
    *, ticket_id: int, clock: str, level: str, now: dt.datetime, escalate_to: tuple[int, ...]
) -> bool:
    """Record one alert with its timeline entry and event; False when it was recorded already."""
    field = CLOCK_FIELDS[clock]
    try:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
            due_at = getattr(ticket, field)
            if due_at is None or not ticket.is_open:
                return False
            alert, created = SlaAlert.objects.get_or_create(
                ticket=ticket,
                clock=clock,
                level=level,
                due_at=due_at,
                defaults={
                    "department_id": ticket.department_id,
                    "assignee_id": ticket.assignee_id,
                    "recorded_at": now,
                },
            )
            if not created:
                return False
            if level == SlaLevel.BREACH:  # what the statistics count as 超时 (statistics.py)
                marks = {"first_breach_at": ticket.first_breach_at or now}
                if clock == SlaClock.RETURN_VISIT:
                    marks["return_visit_breach_at"] = ticket.return_visit_breach_at or now
                # not a change the people working the ticket make: no new version, no conflict
                Ticket.objects.filter(pk=ticket.pk).update(**marks)
            clock_label = SlaClock(clock).label
            due_text = timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")
            if level == SlaLevel.BREACH:
                summary = _(
                    "%(number)s: %(clock)s time limit passed (due %(due)s); escalated to the supervisors"
                ) % {"number": ticket.number, "clock": clock_label, "due": due_text}
            else:
                summary = _("%(number)s: %(clock)s time limit is near (due %(due)s)") % {
                    "number": ticket.number,
                    "clock": clock_label,
                    "due": due_text,
                }
            timeline.record(
                subject=ticket,
                customer_id=ticket.customer_id,
                kind=f"tickets.sla_{level}",
                summary=summary,
                is_internal=True,
                occurred_at=now,
                data={"clock": clock, "due_at": due_at.isoformat(), "alert_id": alert.pk},
            )
            common = {
                "ticket_id": ticket.pk,
                "clock": clock,
                "due_at": due_at.astimezone(dt.UTC).isoformat(),
                "assignee_id": ticket.assignee_id,
                "department_id": ticket.department_id,
            }
            if level == SlaLevel.BREACH:
                emit(TicketSlaBreached(**common, escalated_to_ids=escalate_to))
            else:
                emit(TicketSlaWarning(**common))
            return True
    except IntegrityError:  # another sweep recorded it at the same moment
        logger.info("SLA alert for ticket %s (%s, %s) already recorded", ticket_id, clock, level)
        return False
