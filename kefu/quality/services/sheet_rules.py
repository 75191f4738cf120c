"""Reward/penalty sheets 奖罚评分表 drafted from a manager's rules (seed 002: the supervisor hands the
month's sheet to a superior the day before payday; 根据买家表扬发奖励). Each rule turns a fact of the
agent's month — a complaint upheld against them, a forbidden word, a ticket closed after a time
limit was breached, the quality score against a threshold, a chat rated 5, a customer's praise on
record, a late or missed shift — into points. The facts are the KPIs' (`kpi.facts`), one source. The drafts are made for the agents the rules give points to; their lines are
marked as from a rule and stay editable by the supervisor until the sheet is submitted. Drafting
again refreshes only the drafts nobody has touched since."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.core.errors import DomainError, PermissionRefused
from kefu.quality import kpi
from kefu.quality.models import (
    RewardPenaltySheet,
    RewardRule,
    RuleKind,
    SheetItem,
    SheetState,
)
from kefu.quality.services import MAX_ITEMS, MAX_POINTS
from kefu.quality.services.rubric import quality_settings

THRESHOLD_KINDS = frozenset({RuleKind.QUALITY_BELOW, RuleKind.QUALITY_AT_LEAST})
# A day every month has, after the 1st (the sheets are drafted the day before payday).
PAYDAYS = range(2, 29)
# kind → (points, threshold): seed 002's reward/penalty sheet, a manager changes them
DEFAULT_RULES: dict[str, tuple[int, float | None]] = {
    RuleKind.COMPLAINT: (-5, None),
    RuleKind.SEVERE: (-10, None),
    RuleKind.TIME_LIMIT: (-2, None),
    RuleKind.QUALITY_BELOW: (-10, 80),
    RuleKind.QUALITY_AT_LEAST: (10, 95),
    RuleKind.GOOD_RATING: (1, None),
    RuleKind.PRAISE: (5, None),  # 表扬信 +5
    RuleKind.LATE: (-2, None),
    RuleKind.ABSENT: (-10, None),
}


def rules() -> list[RewardRule]:
    """The rules, one per kind (seed 002's defaults stored on the first read)."""
    existing = {r.kind: r for r in RewardRule.objects.all()}
    missing = [
        RewardRule(kind=kind, points=points, threshold=threshold)
        for kind, (points, threshold) in DEFAULT_RULES.items()
        if kind not in existing
    ]
    if not missing:
        return list(existing.values())
    RewardRule.objects.bulk_create(missing, ignore_conflicts=True)
    return list(RewardRule.objects.all())


@dataclass(frozen=True)
class RuleChange:
    kind: str
    points: int
    threshold: float | None
    is_active: bool


@transaction.atomic
def save_rules(
    *,
    actor: User,
    changes: list[RuleChange],
    payday: int,
    request: HttpRequest | None = None,
) -> list[RewardRule]:
    """A manager sets every rule and the payday at once; a bad value refuses all, nothing saved."""
    if not actor.has_perm(Perm.MANAGE_SETTINGS):
        raise PermissionRefused(_("You do not have permission to do this."))
    current = {r.kind: r for r in rules()}
    if sorted(c.kind for c in changes) != sorted(current):
        raise DomainError(_("Give the points of every rule."))
    if payday not in PAYDAYS:
        raise DomainError(_("Payday is a day from the 2nd to the 28th."))
    for change in changes:
        if not -MAX_POINTS <= change.points <= MAX_POINTS:
            raise DomainError(
                _("Points must be between -%(max)d and %(max)d.") % {"max": MAX_POINTS}
            )
        if change.kind in THRESHOLD_KINDS and (
            change.threshold is None or not 0 <= change.threshold <= 100
        ):
            raise DomainError(_("A quality threshold is a score from 0 to 100."))
    for change in changes:
        rule = current[change.kind]
        rule.points, rule.is_active = change.points, change.is_active
        rule.threshold = change.threshold if change.kind in THRESHOLD_KINDS else None
        rule.save(update_fields=["points", "threshold", "is_active", "updated_at"])
    settings = quality_settings()
    settings.payday = payday
    settings.save(update_fields=["payday"])
    audit(
        AuditAction.SETTINGS_CHANGED,
        actor=actor,
        object_type="quality.rewardrule",
        object_repr=_("Reward/penalty rules"),
        request=request,
        details={
            "payday": payday,
            "rules": {
                c.kind: {"points": c.points, "threshold": c.threshold, "active": c.is_active}
                for c in changes
            },
        },
    )
    return list(current.values())


@dataclass(frozen=True)
class Line:
    rule: str
    points: int
    reason: str


def _clamped(points: int) -> int:
    return max(-MAX_POINTS, min(MAX_POINTS, points))


def rule_lines(month: dt.date, agent_ids: list[int]) -> dict[int, list[Line]]:
    """Per agent, the lines the active rules give for `month` (agents given none are left out).
    A counted rule gives its points times the count (within ±MAX_POINTS); a threshold rule once."""
    active = [r for r in rules() if r.is_active and r.points]
    if not active or not agent_ids:
        return {}
    start, end = kpi.month_bounds(month)
    facts = kpi.facts(start=start, end=end, agent_ids=agent_ids)
    labels = dict(RuleKind.choices)
    out: dict[int, list[Line]] = {}
    for agent_id in agent_ids:
        row = facts[agent_id]
        counts: dict[str, int] = {
            RuleKind.COMPLAINT: row.complaints_upheld,
            RuleKind.SEVERE: row.severe,
            RuleKind.TIME_LIMIT: row.tickets - row.tickets_in_time,
            RuleKind.GOOD_RATING: row.good_ratings,
            RuleKind.PRAISE: row.praised,
            RuleKind.LATE: row.attendance.late,
            RuleKind.ABSENT: row.attendance.absent,
        }
        lines = []
        for rule in active:
            label = str(labels[rule.kind])
            if rule.kind in THRESHOLD_KINDS:
                score, limit = row.quality, rule.threshold
                if score is None or limit is None:
                    continue
                below = rule.kind == RuleKind.QUALITY_BELOW
                if (score < limit) != below:
                    continue
                reason = _("%(rule)s: %(score)s against %(limit)s") % {
                    "rule": label,
                    "score": f"{score:g}",
                    "limit": f"{limit:g}",
                }
                lines.append(Line(rule.kind, rule.points, reason))
                continue
            count = counts[rule.kind]
            if count:
                reason = _("%(rule)s: %(count)d × %(points)+d") % {
                    "rule": label,
                    "count": count,
                    "points": rule.points,
                }
                lines.append(Line(rule.kind, _clamped(count * rule.points), reason[:200]))
        if lines:
            out[agent_id] = lines[:MAX_ITEMS]
    return out


@dataclass(frozen=True)
class Drafted:
    made: int  # new drafts
    refreshed: int  # drafts nobody had touched, written again from the rules
    kept: int  # sheets a person has changed, submitted or approved: left as they are


@transaction.atomic
def draft_from_rules(*, actor: User | None, month: dt.date) -> Drafted:
    """Draft the month's reward/penalty sheets from the rules for every active agent they give
    points to. `actor` None: the scheduler (tasks.prepare_reward_sheets, the day before payday)."""
    from kefu.quality.selectors import roster_agents

    if actor is not None and not actor.has_perm(Perm.EVALUATE):
        raise PermissionRefused(_("You do not have permission to do this."))
    month = month.replace(day=1)
    if month > timezone.localdate().replace(day=1):
        raise DomainError(_("A sheet can be drafted for this month or a month past."))
    agent_ids = list(roster_agents().values_list("pk", flat=True))
    existing = {
        s.agent_id: s
        for s in RewardPenaltySheet.objects.select_for_update().filter(
            month=month, agent_id__in=agent_ids
        )
    }
    made = refreshed = kept = 0
    items: list[SheetItem] = []
    for agent_id, lines in rule_lines(month, agent_ids).items():
        sheet = existing.get(agent_id)
        if sheet is None:
            sheet = RewardPenaltySheet.objects.create(
                agent_id=agent_id, month=month, drafted_by=None, generated_version=1
            )
            made += 1
        elif (
            sheet.state == SheetState.DRAFT
            and sheet.generated_version is not None
            and sheet.version == sheet.generated_version
        ):
            sheet.items.all().delete()
            sheet.version += 1
            sheet.generated_version = sheet.version
            sheet.save(update_fields=["version", "generated_version"])
            refreshed += 1
        else:
            kept += 1
            continue
        items += [
            SheetItem(
                sheet=sheet, points=ln.points, reason=ln.reason, rule=ln.rule, rule_points=ln.points
            )
            for ln in lines
        ]
    SheetItem.objects.bulk_create(items)
    return Drafted(made=made, refreshed=refreshed, kept=kept)


def payday_eve(today: dt.date, payday: int) -> bool:
    """Whether `today` is the day before this month's payday."""
    return today == today.replace(day=payday) - dt.timedelta(days=1)
