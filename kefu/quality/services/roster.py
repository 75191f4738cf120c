"""Writes of the rosters 排班/值班: the kinds of shift, a week's roster edited as a grid by a
supervisor (调配, Perm.ASSIGN_WORK), last week copied, and the swaps 换班 an agent asks for and a
supervisor approves, and the leaves 请假 a supervisor records. An agent's shifts never overlap (a night shift runs into the next morning);
a refusal names the agent and the day and saves nothing. Every change is audited."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm, Role
from kefu.core.errors import DomainError, InvalidState, PermissionRefused
from kefu.quality.models import Leave, RosterEntry, Shift, ShiftSwap, SwapState

DEFAULT_SHIFTS = [
    ("早班", dt.time(8, 0), dt.time(16, 0)),
    ("中班", dt.time(12, 0), dt.time(20, 0)),
    ("晚班", dt.time(16, 0), dt.time(0, 0)),
]
MAX_SHIFTS = 20
MAX_LEAVE_DAYS = 92


def ensure_shifts() -> list[Shift]:
    """The shifts; 早班, 中班 and 晚班 are made on the first read."""
    if not Shift.objects.exists():
        Shift.objects.bulk_create(
            [
                Shift(name=name, start=start, end=end, position=n)
                for n, (name, start, end) in enumerate(DEFAULT_SHIFTS)
            ],
            ignore_conflicts=True,
        )
    return list(Shift.objects.all())


def _require(actor: User, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionRefused(_("You do not have permission to do this."))


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def interval(day: dt.date, shift: Shift) -> tuple[dt.datetime, dt.datetime]:
    """The shift's start and end on `day`, local time; past midnight for a night shift."""
    start = timezone.make_aware(dt.datetime.combine(day, shift.start))
    end_day = day + dt.timedelta(days=1) if shift.overnight else day
    return start, timezone.make_aware(dt.datetime.combine(end_day, shift.end))


@transaction.atomic
def save_shift(
    *,
    actor: User,
    name: str,
    start: dt.time,
    end: dt.time,
    shift_id: int | None = None,
    is_active: bool = True,
    request: HttpRequest | None = None,
) -> Shift:
    """Add a custom shift or change one."""
    _require(actor, Perm.ASSIGN_WORK)
    name = " ".join(name.split())
    if not name or len(name) > 30:
        raise DomainError(_("Give the shift a name of at most 30 characters."))
    if start == end:
        raise DomainError(_("A shift ends at another time than it starts."))
    same_name = Shift.objects.filter(name=name)
    if shift_id is not None:
        same_name = same_name.exclude(pk=shift_id)
    if same_name.exists():
        raise DomainError(_("There is a shift named %(name)s already.") % {"name": name})
    if shift_id is None:
        if Shift.objects.count() >= MAX_SHIFTS:
            raise DomainError(_("At most %(n)d shifts.") % {"n": MAX_SHIFTS})
        shift = Shift.objects.create(
            name=name, start=start, end=end, is_active=is_active, position=Shift.objects.count()
        )
    else:
        found = Shift.objects.select_for_update().filter(pk=shift_id).first()
        if found is None:
            raise DomainError(_("This shift does not exist (any more)."))
        shift = found
        if (shift.start, shift.end) != (start, end) and shift.entries.filter(
            day__gte=timezone.localdate()
        ).exists():
            raise DomainError(
                _("Agents are rostered on this shift: add a new shift instead of moving its hours.")
            )
        shift.name, shift.start, shift.end, shift.is_active = name, start, end, is_active
        shift.save()
    audit(AuditAction.SETTINGS_CHANGED, actor=actor, obj=shift, request=request)
    return shift


def _check_overlaps(agent_ids: set[int], first: dt.date, last: dt.date) -> None:
    """Refuse if any of the agents has two overlapping shifts from the day before `first` to the
    day after `last` (the entries as they stand in this transaction)."""
    entries = (
        RosterEntry.objects.filter(
            agent_id__in=agent_ids,
            day__gte=first - dt.timedelta(days=1),
            day__lte=last + dt.timedelta(days=1),
        )
        .select_related("shift", "agent")
        .order_by("agent_id", "day")
    )
    by_agent: dict[int, list[tuple[dt.datetime, dt.datetime, RosterEntry]]] = defaultdict(list)
    for entry in entries:
        by_agent[entry.agent_id].append((*interval(entry.day, entry.shift), entry))
    for spans in by_agent.values():
        spans.sort(key=lambda s: s[0])
        for (_s1, end1, one), (start2, _e2, two) in itertools.pairwise(spans):
            if start2 < end1:
                raise DomainError(
                    _(
                        "%(agent)s would work overlapping shifts: %(one)s on %(day1)s and "
                        "%(two)s on %(day2)s. Nothing was saved."
                    )
                    % {
                        "agent": one.agent,
                        "one": one.shift.name,
                        "day1": one.day.isoformat(),
                        "two": two.shift.name,
                        "day2": two.day.isoformat(),
                    }
                )


def _agents(agent_ids: Iterable[int]) -> dict[int, User]:
    return {
        u.pk: u
        for u in User.objects.filter(
            pk__in=agent_ids, role__in=[Role.AGENT, Role.SUPERVISOR], is_active=True
        )
    }


@transaction.atomic
def save_week(
    *,
    actor: User,
    first_day: dt.date,
    cells: dict[tuple[int, dt.date], list[int]],
    request: HttpRequest | None = None,
) -> int:
    """Set the shifts of the (agent, day) cells given, in the week starting `first_day`."""
    first_day = week_start(first_day)
    return save_days(
        actor=actor,
        first_day=first_day,
        last_day=first_day + dt.timedelta(days=6),
        cells=cells,
        request=request,
    )


@transaction.atomic
def save_days(
    *,
    actor: User,
    first_day: dt.date,
    last_day: dt.date,
    cells: dict[tuple[int, dt.date], list[int]],
    request: HttpRequest | None = None,
) -> int:
    """Set the shifts of the (agent, day) cells given, from `first_day` to `last_day` (a week or a
    month's grid): each cell's entries become exactly the shifts listed (none: a day off). Returns
    how many cells changed; overlapping shifts refuse the whole grid."""
    _require(actor, Perm.ASSIGN_WORK)
    if not dt.timedelta(0) <= last_day - first_day <= dt.timedelta(days=30):
        raise DomainError(_("The roster names an agent or a day it cannot have."))
    shifts = {s.pk: s for s in Shift.objects.all()}
    agents = _agents({agent_id for agent_id, _day in cells})
    current: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    for entry in RosterEntry.objects.select_for_update().filter(
        agent_id__in=agents, day__gte=first_day, day__lte=last_day
    ):
        current[(entry.agent_id, entry.day)].add(entry.shift_id)
    changed = 0
    for (agent_id, day), wanted_list in cells.items():
        if agent_id not in agents or not first_day <= day <= last_day:
            raise DomainError(_("The roster names an agent or a day it cannot have."))
        wanted = set(wanted_list)
        if not wanted <= set(shifts):
            raise DomainError(_("Choose one of the shifts."))
        have = current.get((agent_id, day), set())
        if wanted == have:
            continue
        changed += 1
        RosterEntry.objects.filter(agent_id=agent_id, day=day).exclude(shift_id__in=wanted).delete()
        RosterEntry.objects.bulk_create(
            [RosterEntry(agent_id=agent_id, day=day, shift_id=s) for s in wanted - have]
        )
    if changed:
        _check_overlaps(set(agents), first_day, last_day)
        audit(
            AuditAction.SETTINGS_CHANGED,
            actor=actor,
            object_type="quality.rosterentry",
            object_repr=_("Roster of the week of %(day)s") % {"day": first_day.isoformat()},
            request=request,
            details={
                "week": first_day.isoformat(),
                "last_day": last_day.isoformat(),
                "cells_changed": changed,
            },
        )
    return changed


@transaction.atomic
def copy_previous_week(
    *, actor: User, first_day: dt.date, request: HttpRequest | None = None
) -> int:
    """Copy last week's roster into the week starting `first_day`, for the days of agents who have
    nothing rostered yet. Returns how many entries were made."""
    _require(actor, Perm.ASSIGN_WORK)
    first_day = week_start(first_day)
    last_day = first_day + dt.timedelta(days=6)
    taken = set(
        RosterEntry.objects.filter(day__gte=first_day, day__lte=last_day).values_list(
            "agent_id", "day"
        )
    )
    made = [
        RosterEntry(agent_id=e.agent_id, day=e.day + dt.timedelta(days=7), shift_id=e.shift_id)
        for e in RosterEntry.objects.filter(
            day__gte=first_day - dt.timedelta(days=7),
            day__lt=first_day,
            agent__is_active=True,
        )
        if (e.agent_id, e.day + dt.timedelta(days=7)) not in taken
    ]
    RosterEntry.objects.bulk_create(made, ignore_conflicts=True)
    if made:
        _check_overlaps({e.agent_id for e in made}, first_day, last_day)
        audit(
            AuditAction.SETTINGS_CHANGED,
            actor=actor,
            object_type="quality.rosterentry",
            object_repr=_("Roster of the week of %(day)s") % {"day": first_day.isoformat()},
            request=request,
            details={"week": first_day.isoformat(), "copied": len(made)},
        )
    return len(made)


@transaction.atomic
def request_swap(
    *,
    actor: User,
    entry_id: int,
    colleague_id: int,
    reason: str = "",
    request: HttpRequest | None = None,
) -> ShiftSwap:
    """The agent asks to give their shift of a day to a colleague (taking the colleague's shift of
    that day, if any)."""
    entry = RosterEntry.objects.select_for_update().filter(pk=entry_id, agent=actor).first()
    if entry is None:
        raise DomainError(_("This is not one of your shifts."))
    if entry.day < timezone.localdate():
        raise DomainError(_("A shift in the past cannot be swapped."))
    colleague = (
        User.objects.filter(pk=colleague_id, role=Role.AGENT, is_active=True)
        .exclude(pk=actor.pk)
        .first()
    )
    if colleague is None:
        raise DomainError(_("Choose a colleague to swap with."))
    if entry.swaps.filter(state=SwapState.PENDING).exists():
        raise DomainError(_("A swap of this shift is waiting for the supervisor already."))
    swap = ShiftSwap.objects.create(
        entry=entry, requested_by=actor, colleague=colleague, reason=" ".join(reason.split())[:200]
    )
    audit(
        AuditAction.SETTINGS_CHANGED,
        actor=actor,
        obj=swap,
        request=request,
        details={"step": "swap_requested", "day": entry.day.isoformat()},
    )
    return swap


@transaction.atomic
def decide_swap(
    *, actor: User, swap_id: int, approve: bool, request: HttpRequest | None = None
) -> ShiftSwap:
    """A supervisor approves (the shifts of the day change hands) or refuses a swap."""
    _require(actor, Perm.ASSIGN_WORK)
    swap = (
        ShiftSwap.objects.select_for_update()
        .select_related("entry", "colleague", "requested_by")
        .filter(pk=swap_id)
        .first()
    )
    if swap is None:
        raise DomainError(_("This swap does not exist (any more)."))
    if swap.state != SwapState.PENDING:
        raise InvalidState(_("This swap was decided already."))
    if approve:
        entry = swap.entry
        day = entry.day
        theirs = list(RosterEntry.objects.filter(agent=swap.colleague, day=day))
        RosterEntry.objects.filter(pk__in=[e.pk for e in theirs]).delete()
        entry.agent = swap.colleague
        entry.save(update_fields=["agent"])
        RosterEntry.objects.bulk_create(
            [RosterEntry(agent=swap.requested_by, day=day, shift_id=e.shift_id) for e in theirs],
            ignore_conflicts=True,
        )
        _check_overlaps({swap.colleague_id, swap.requested_by_id}, day, day)
    swap.state = SwapState.APPROVED if approve else SwapState.REFUSED
    swap.decided_by, swap.decided_at = actor, timezone.now()
    swap.save(update_fields=["state", "decided_by", "decided_at"])
    audit(
        AuditAction.SETTINGS_CHANGED,
        actor=actor,
        obj=swap,
        request=request,
        details={"step": "swap_" + swap.state},
    )
    return swap


@transaction.atomic
def record_leave(
    *,
    actor: User,
    agent_id: int,
    first_day: dt.date,
    last_day: dt.date,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Leave:
    """A supervisor records an agent's leave 请假 from `first_day` to `last_day`: on those days the
    agent's rostered shifts do not count. Refused (nothing saved) for days in the wrong order, more
    than MAX_LEAVE_DAYS, or days already on leave."""
    _require(actor, Perm.ASSIGN_WORK)
    agent = _agents({agent_id}).get(agent_id)
    if agent is None:
        raise DomainError(_("Choose an agent."))
    if last_day < first_day:
        raise DomainError(_("The leave ends before it starts. Nothing was saved."))
    if (last_day - first_day).days + 1 > MAX_LEAVE_DAYS:
        raise DomainError(_("A leave lasts at most %(n)d days.") % {"n": MAX_LEAVE_DAYS})
    User.objects.select_for_update().filter(pk=agent.pk).first()  # one leave write at a time
    clash = Leave.objects.filter(
        agent=agent, first_day__lte=last_day, last_day__gte=first_day
    ).first()
    if clash is not None:
        raise DomainError(
            _("%(agent)s is on leave from %(first)s to %(last)s already. Nothing was saved.")
            % {
                "agent": agent,
                "first": clash.first_day.isoformat(),
                "last": clash.last_day.isoformat(),
            }
        )
    leave = Leave.objects.create(
        agent=agent,
        first_day=first_day,
        last_day=last_day,
        reason=" ".join(reason.split())[:200],
        recorded_by=actor,
    )
    audit(
        AuditAction.SETTINGS_CHANGED,
        actor=actor,
        obj=leave,
        request=request,
        details={
            "step": "leave_recorded",
            "first_day": first_day.isoformat(),
            "last_day": last_day.isoformat(),
        },
    )
    return leave


@transaction.atomic
def cancel_leave(*, actor: User, leave_id: int, request: HttpRequest | None = None) -> None:
    """A supervisor takes back a leave recorded by mistake (audited)."""
    _require(actor, Perm.ASSIGN_WORK)
    leave = Leave.objects.select_for_update().select_related("agent").filter(pk=leave_id).first()
    if leave is None:
        raise DomainError(_("This leave does not exist (any more)."))
    audit(
        AuditAction.SETTINGS_CHANGED,
        actor=actor,
        obj=leave,
        request=request,
        details={
            "step": "leave_cancelled",
            "first_day": leave.first_day.isoformat(),
            "last_day": leave.last_day.isoformat(),
        },
    )
    leave.delete()
