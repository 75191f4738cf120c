"""Writes of the KPIs and the monthly performance sheet 绩效考核表: a manager's targets and weights,
the sheets computed for a month (refreshed from the facts until signed), the supervisor's signature
(考核权, Perm.EVALUATE), a manager's adjustment with its reason, the agent's acknowledgement, and a
superior's approval (Perm.APPROVE_SHEETS), which locks the sheet: after it nothing on the sheet
changes. Signing, adjusting, acknowledging and approving are audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm, Role
from kefu.core.errors import Conflict, DomainError, PermissionRefused
from kefu.quality import kpi
from kefu.quality.models import KpiTarget, PerformanceSheet, PerformanceState

MAX_TARGET = 1_000_000
MAX_ADJUSTMENT = 100  # points, either way (the score is out of 100)


@dataclass(frozen=True)
class TargetChange:
    indicator: str
    target: float
    weight: int


@transaction.atomic
def save_targets(
    *, actor: User, changes: list[TargetChange], request: HttpRequest | None = None
) -> list[KpiTarget]:
    """Set every indicator's target and weight at once; the weights must add up to 100."""
    if not actor.has_perm(Perm.MANAGE_SETTINGS):
        raise PermissionRefused(_("You do not have permission to do this."))
    current = kpi.targets()
    if {c.indicator for c in changes} != set(current) or len(changes) != len(current):
        raise DomainError(_("Give a target and a weight for every indicator."))
    for change in changes:
        if not 0 <= change.target <= MAX_TARGET or not 0 <= change.weight <= 100:
            raise DomainError(_("Targets must be 0 or more and weights between 0 and 100."))
    total = sum(c.weight for c in changes)
    if total != 100:
        raise DomainError(
            _("The weights add up to %(total)d; they must add up to 100.") % {"total": total}
        )
    before = {k: (t.target, t.weight) for k, t in current.items()}
    for change in changes:
        goal = current[change.indicator]
        goal.target, goal.weight = change.target, change.weight
        goal.save(update_fields=["target", "weight", "updated_at"])
    audit(
        AuditAction.SETTINGS_CHANGED,
        actor=actor,
        object_type="quality.kpitarget",
        object_repr=_("KPI targets"),
        request=request,
        details={
            "targets": {
                c.indicator: {"target": c.target, "weight": c.weight}
                for c in changes
                if before[c.indicator] != (c.target, c.weight)
            }
        },
    )
    return list(current.values())


DETAILED = {  # the lines shown with the facts behind them
    "handled": ("chats", "tickets", "calls"),
    "attendance": ("shifts", "late", "absent", "left_early", "unrecorded"),
}


def _agents() -> list[int]:
    return list(
        User.objects.filter(role=Role.AGENT, is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )


@transaction.atomic
def generate_sheets(*, actor: User | None, month: dt.date) -> int:
    """Compute the month's sheet of every active agent: new sheets are made and drafts refreshed
    from the facts; signed sheets stay as signed. Returns how many sheets were written. `actor`
    None: the scheduler (tasks.prepare_last_months_sheets), which makes them ready by the 5th."""
    if actor is not None and not actor.has_perm(Perm.EVALUATE):
        raise PermissionRefused(_("You do not have permission to do this."))
    month = month.replace(day=1)
    if month > timezone.localdate().replace(day=1):
        raise DomainError(_("Sheets are made for this month or a month past."))
    agent_ids = _agents()
    existing = {
        s.agent_id: s
        for s in PerformanceSheet.objects.select_for_update().filter(
            month=month, agent_id__in=agent_ids
        )
    }
    now = timezone.now()
    new, changed = [], []
    for agent_id, (detail, lines, score) in kpi.month_scores(month, agent_ids).items():
        figures = [
            {**line, "detail": {k: detail[k] for k in DETAILED.get(line["indicator"], ())}}
            for line in lines
        ]
        sheet = existing.get(agent_id)
        if sheet is None:
            new.append(
                PerformanceSheet(
                    agent_id=agent_id,
                    month=month,
                    figures=figures,
                    measures=detail["sums"],
                    score=score,
                    computed_at=now,
                )
            )
        elif sheet.state == PerformanceState.DRAFT:
            sheet.figures, sheet.score, sheet.computed_at = figures, score, now
            sheet.measures = detail["sums"]
            sheet.version += 1
            changed.append(sheet)
    PerformanceSheet.objects.bulk_create(new)
    PerformanceSheet.objects.bulk_update(
        changed, ["figures", "measures", "score", "computed_at", "version"]
    )
    return len(new) + len(changed)


def _locked(sheet_id: int) -> PerformanceSheet:
    sheet = PerformanceSheet.objects.select_for_update().filter(pk=sheet_id).first()
    if sheet is None:
        raise DomainError(_("This sheet does not exist (any more)."))
    return sheet


def _check_version(sheet: PerformanceSheet, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != sheet.version:
        raise Conflict(_("Someone changed this sheet meanwhile; look at it again."))


def _refuse_if_approved(sheet: PerformanceSheet) -> None:
    if sheet.is_approved:
        raise DomainError(
            _("This sheet was approved on %(day)s and is locked; nothing on it can be changed.")
            % {"day": timezone.localtime(sheet.approved_at).strftime("%Y-%m-%d")}
        )


@transaction.atomic
def sign_sheet(
    *,
    actor: User,
    sheet_id: int,
    comment: str = "",
    expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> PerformanceSheet:
    """The supervisor signs the computed sheet: it is locked and shown to the agent."""
    sheet = _locked(sheet_id)
    if not actor.has_perm(Perm.EVALUATE) or actor.pk == sheet.agent_id:
        raise PermissionRefused(_("Only a supervisor signs an agent's sheet, never their own."))
    _refuse_if_approved(sheet)
    if sheet.state != PerformanceState.DRAFT:
        raise DomainError(_("This sheet is signed already."))
    _check_version(sheet, expected_version)
    sheet.state = PerformanceState.SIGNED
    sheet.signed_by, sheet.signed_at = actor, timezone.now()
    sheet.comment = " ".join(comment.split())[:300]
    sheet.version += 1
    sheet.save(update_fields=["state", "signed_by", "signed_at", "comment", "version"])
    audit(
        AuditAction.QUALITY_REVIEW,
        actor=actor,
        obj=sheet,
        request=request,
        details={"step": "performance_signed", "score": sheet.score, "agent": sheet.agent_id},
    )
    return sheet


@transaction.atomic
def acknowledge_sheet(
    *,
    actor: User,
    sheet_id: int,
    expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> PerformanceSheet:
    """The agent confirms they have read their signed sheet 签字确认."""
    sheet = _locked(sheet_id)
    if actor.pk != sheet.agent_id:
        raise PermissionRefused(_("Only the agent whose sheet it is acknowledges it."))
    if sheet.state != PerformanceState.SIGNED:
        raise DomainError(_("Only a signed sheet, not yet acknowledged, can be acknowledged."))
    _check_version(sheet, expected_version)
    sheet.state = PerformanceState.ACKNOWLEDGED
    sheet.acknowledged_at = timezone.now()
    sheet.version += 1
    sheet.save(update_fields=["state", "acknowledged_at", "version"])
    audit(
        AuditAction.QUALITY_REVIEW,
        actor=actor,
        obj=sheet,
        request=request,
        details={"step": "performance_acknowledged", "score": sheet.score},
    )
    return sheet


@transaction.atomic
def adjust_sheet(
    *,
    actor: User,
    sheet_id: int,
    points: float,
    reason: str,
    expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> PerformanceSheet:
    """A manager (or the supervisor, 考核权) adjusts the computed score by `points` (0 takes the
    adjustment back) with a reason, until the sheet is approved. An adjustment after the agent
    acknowledged asks them to acknowledge again (the sheet goes back to signed). Audited with the
    score before and after."""
    sheet = _locked(sheet_id)
    if not actor.has_perm(Perm.EVALUATE) or actor.pk == sheet.agent_id:
        raise PermissionRefused(
            _("Only a supervisor or a manager adjusts a sheet, never their own.")
        )
    _refuse_if_approved(sheet)
    if sheet.score is None:
        raise DomainError(_("This sheet has no score to adjust: the month has no facts yet."))
    if not -MAX_ADJUSTMENT <= points <= MAX_ADJUSTMENT or points != points:  # NaN
        raise DomainError(
            _("Adjust by between -%(max)d and %(max)d points.") % {"max": MAX_ADJUSTMENT}
        )
    points = round(points, 1)
    reason = " ".join(reason.split())
    if points and not reason:
        raise DomainError(_("Say why the score is adjusted."))
    if len(reason) > 300:
        raise DomainError(_("Give the reason in at most 300 characters."))
    _check_version(sheet, expected_version)
    before = {"adjustment": sheet.adjustment, "final_score": sheet.final_score}
    sheet.adjustment, sheet.adjustment_reason = points, reason if points else ""
    sheet.adjusted_by = actor if points else None
    fields = ["adjustment", "adjustment_reason", "adjusted_by", "version"]
    if sheet.state == PerformanceState.ACKNOWLEDGED:
        sheet.state, sheet.acknowledged_at = PerformanceState.SIGNED, None
        fields += ["state", "acknowledged_at"]
    sheet.version += 1
    sheet.save(update_fields=fields)
    audit(
        AuditAction.QUALITY_REVIEW,
        actor=actor,
        obj=sheet,
        request=request,
        details={
            "step": "performance_adjusted",
            "agent": sheet.agent_id,
            "score": sheet.score,
            "before": before,
            "after": {"adjustment": sheet.adjustment, "final_score": sheet.final_score},
            "reason": sheet.adjustment_reason,
        },
    )
    return sheet


@transaction.atomic
def approve_sheet(
    *,
    actor: User,
    sheet_id: int,
    expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> PerformanceSheet:
    """A superior (Perm.APPROVE_SHEETS) approves the signed sheet — not one they signed themselves,
    nor their own — and it is locked: no adjustment, signature or refresh changes it after."""
    sheet = _locked(sheet_id)
    if not actor.has_perm(Perm.APPROVE_SHEETS) or actor.pk == sheet.agent_id:
        raise PermissionRefused(_("Only a superior approves an agent's sheet, never their own."))
    _refuse_if_approved(sheet)
    if sheet.state == PerformanceState.DRAFT:
        raise DomainError(_("The supervisor signs the sheet before it is approved."))
    if actor.pk == sheet.signed_by_id:
        raise PermissionRefused(
            _("The sheet must be approved by someone other than who signed it.")
        )
    _check_version(sheet, expected_version)
    sheet.approved_by, sheet.approved_at = actor, timezone.now()
    sheet.version += 1
    sheet.save(update_fields=["approved_by", "approved_at", "version"])
    audit(
        AuditAction.QUALITY_REVIEW,
        actor=actor,
        obj=sheet,
        request=request,
        details={
            "step": "performance_approved",
            "agent": sheet.agent_id,
            "score": sheet.score,
            "final_score": sheet.final_score,
        },
    )
    return sheet
