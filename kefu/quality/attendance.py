"""Attendance 考勤: an agent's presence against the roster. Each rostered shift that has ended (not
on a day of leave) and started after the first presence change the system holds for the agent is
kept, late (present only from more than GRACE after its start), absent (never
present during it) or left early (not present in its last GRACE and after). Present is any presence
but offline (busy and away are at work). The presence changes are kept as they happen
(`record_presence`, from accounts' PresenceChanged); the counts feed the KPIs (kpi.py). A shift
that started before the agent's first recorded change (before the presence log existed, or before
the agent first signed in to it) has no record: neither kept nor absent, counted apart."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Min
from django.utils import timezone

from kefu.accounts.models import AgentProfile, Presence
from kefu.quality.models import PresenceLog, RosterEntry

GRACE = dt.timedelta(minutes=5)
LOOK_BACK = dt.timedelta(days=7)  # the presence at a shift's start is the last change before it


def record_presence(agent_id: int, presence: str) -> None:
    """Keep an agent's change of presence, at the moment it was made (the profile's, when the
    presence still stands; else now)."""
    profile = AgentProfile.objects.filter(user_id=agent_id).first()
    at = timezone.now()
    if profile is not None and profile.presence == presence and profile.presence_changed_at:
        at = profile.presence_changed_at
    PresenceLog.objects.create(agent_id=agent_id, presence=presence, at=at)


@dataclass
class Attendance:
    shifts: int = 0  # the shifts judged (ended, not on leave, with a presence record)
    late: int = 0
    absent: int = 0
    left_early: int = 0
    unrecorded: int = 0  # ended shifts that started before the agent's first presence record

    @property
    def kept(self) -> int:
        return self.shifts - self.late - self.absent - self.left_early

    @property
    def kept_percent(self) -> float | None:
        return round(100 * self.kept / self.shifts, 1) if self.shifts else None


def _present_spans(
    changes: list[tuple[dt.datetime, str]], start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The parts of [start, end) in which the agent was present, from their changes (sorted)."""
    spans = []
    state, since = Presence.OFFLINE.value, start
    for at, presence in changes:
        if at >= end:
            break
        if at <= start:
            state = presence
            continue
        if state != Presence.OFFLINE:
            spans.append((since, at))
        state, since = presence, at
    if state != Presence.OFFLINE:
        spans.append((since, end))
    return [(max(a, start), b) for a, b in spans if b > max(a, start)]


def verdict(changes: list[tuple[dt.datetime, str]], start: dt.datetime, end: dt.datetime) -> str:
    """ "kept", "late", "absent" or "left_early" for a shift from `start` to `end`."""
    spans = _present_spans(changes, start, end)
    if not spans:
        return "absent"
    if spans[0][0] > start + GRACE:
        return "late"
    if spans[-1][1] < end - GRACE:
        return "left_early"
    return "kept"


def attendance(
    *, start: dt.date, end: dt.date, agent_ids: list[int], now: dt.datetime | None = None
) -> dict[int, Attendance]:
    """Per agent, their shifts from `start` to `end` (local days, both included) that have ended by
    `now`, and how many were late, absent or left early; the shifts that started before the agent's
    first presence record are `unrecorded`, not judged. Four queries."""
    from kefu.quality.selectors import leave_days
    from kefu.quality.services.roster import interval

    now = now or timezone.now()
    out = {pk: Attendance() for pk in agent_ids}
    entries = [
        (entry, *interval(entry.day, entry.shift))
        for entry in RosterEntry.objects.filter(
            agent_id__in=agent_ids, day__gte=start, day__lte=end
        ).select_related("shift")
    ]
    entries = [(e, s, f) for e, s, f in entries if f <= now]
    if not entries:
        return out
    away = leave_days(agent_ids, start, end)
    recorded_from = dict(
        PresenceLog.objects.filter(agent_id__in=agent_ids)
        .values("agent_id")
        .annotate(first=Min("at"))
        .values_list("agent_id", "first")
        .order_by()
    )
    first = min(s for _e, s, _f in entries)
    changes: dict[int, list[tuple[dt.datetime, str]]] = defaultdict(list)
    for agent_id, at, presence in PresenceLog.objects.filter(
        agent_id__in=agent_ids, at__gte=first - LOOK_BACK, at__lt=now
    ).values_list("agent_id", "at", "presence"):
        changes[agent_id].append((at, presence))
    for entry, shift_start, shift_end in entries:
        if (entry.agent_id, entry.day) in away:
            continue
        row = out[entry.agent_id]
        since = recorded_from.get(entry.agent_id)
        if since is None or shift_start < since:
            row.unrecorded += 1
            continue
        row.shifts += 1
        found = verdict(sorted(changes[entry.agent_id]), shift_start, shift_end)
        if found != "kept":
            setattr(row, found, getattr(row, found) + 1)
    return out
