"""Writes of quality and performance: the reward/penalty sheet 奖罚评分表, drafted by a supervisor
(考核权, Perm.EVALUATE) and approved or returned by a superior (Perm.APPROVE_SHEETS)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Perm, Role
from kefu.core.errors import Conflict, DomainError, PermissionRefused
from kefu.core.events import emit
from kefu.quality.events import SheetDecided, SheetSubmitted
from kefu.quality.models import RewardPenaltySheet, SheetItem, SheetState
from kefu.quality.states import SHEET_FLOW

MAX_POINTS = 100
MAX_ITEMS = 50


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


@transaction.atomic
def draft_sheet(*, actor: User, agent_id: int, month: dt.date) -> RewardPenaltySheet:
    """Start the month's sheet for an agent; the one that exists already is refused by name."""
    if not actor.has_perm(Perm.EVALUATE):
        raise PermissionRefused(_("You do not have permission to do this."))
    month = first_of_month(month)
    if month > first_of_month(timezone.localdate()):
        raise DomainError(_("A sheet can be drafted for this month or a month past."))
    agent = User.objects.filter(pk=agent_id, role=Role.AGENT, is_active=True).first()
    if agent is None:
        raise DomainError(_("Choose an active agent."))
    try:
        with transaction.atomic():
            sheet = RewardPenaltySheet.objects.create(
                agent=agent, month=month, drafted_by=actor, generated_version=1
            )
    except IntegrityError as error:
        raise Conflict(
            _("%(agent)s already has a sheet for %(month)s.")
            % {"agent": agent, "month": month.strftime("%Y-%m")}
        ) from error
    from kefu.quality.services.sheet_rules import rule_lines

    SheetItem.objects.bulk_create(  # the rules' lines, for the supervisor to adjust
        SheetItem(
            sheet=sheet, points=ln.points, reason=ln.reason, rule=ln.rule, rule_points=ln.points
        )
        for ln in rule_lines(month, [agent.pk]).get(agent.pk, [])
    )
    return sheet


def _locked(sheet_id: int) -> RewardPenaltySheet:
    sheet = RewardPenaltySheet.objects.select_for_update().filter(pk=sheet_id).first()
    if sheet is None:
        raise DomainError(_("This sheet does not exist (any more)."))
    return sheet


def _bump(sheet: RewardPenaltySheet, *, expected_version: int | None, actor: User) -> None:
    """Check the version and count a change; the first person to change or submit a sheet drafted
    from the rules becomes its drafter (who then may not approve it)."""
    if expected_version is not None and expected_version != sheet.version:
        raise Conflict(_("Someone changed this sheet meanwhile; look at it again."))
    sheet.version += 1
    if sheet.drafted_by_id is None:
        sheet.drafted_by = actor


def _clean_line(points: int, reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason or len(reason) > 200:
        raise DomainError(_("Give the reason in at most 200 characters."))
    if not points or abs(points) > MAX_POINTS:
        raise DomainError(
            _("Points must be between -%(max)d and %(max)d, and not 0.") % {"max": MAX_POINTS}
        )
    return reason


@transaction.atomic
def add_item(
    *, actor: User, sheet_id: int, points: int, reason: str, expected_version: int | None = None
) -> SheetItem:
    sheet = _locked(sheet_id)
    SHEET_FLOW.check(sheet.state, "edit", actor=actor, obj=sheet)
    reason = _clean_line(points, reason)
    if sheet.items.count() >= MAX_ITEMS:
        raise DomainError(_("A sheet has at most %(n)d lines.") % {"n": MAX_ITEMS})
    _bump(sheet, expected_version=expected_version, actor=actor)
    sheet.state = SheetState.DRAFT
    sheet.save(update_fields=["state", "version", "drafted_by"])
    return SheetItem.objects.create(sheet=sheet, points=points, reason=reason)


@transaction.atomic
def change_item(
    *,
    actor: User,
    sheet_id: int,
    item_id: int,
    points: int,
    reason: str,
    expected_version: int | None = None,
) -> SheetItem:
    """The supervisor adjusts a line (one drafted from a rule keeps the rule's points beside)."""
    sheet = _locked(sheet_id)
    SHEET_FLOW.check(sheet.state, "edit", actor=actor, obj=sheet)
    reason = _clean_line(points, reason)
    item = SheetItem.objects.filter(pk=item_id, sheet=sheet).first()
    if item is None:
        raise DomainError(_("This line is not on the sheet."))
    _bump(sheet, expected_version=expected_version, actor=actor)
    sheet.state = SheetState.DRAFT
    sheet.save(update_fields=["state", "version", "drafted_by"])
    item.points, item.reason = points, reason
    item.save(update_fields=["points", "reason"])
    return item


@transaction.atomic
def remove_item(*, actor: User, sheet_id: int, item_id: int) -> None:
    sheet = _locked(sheet_id)
    SHEET_FLOW.check(sheet.state, "edit", actor=actor, obj=sheet)
    deleted, _rows = SheetItem.objects.filter(pk=item_id, sheet=sheet).delete()
    if not deleted:
        raise DomainError(_("This line is not on the sheet."))
    _bump(sheet, expected_version=None, actor=actor)
    sheet.save(update_fields=["version", "drafted_by"])


@transaction.atomic
def submit_sheet(
    *, actor: User, sheet_id: int, expected_version: int | None = None
) -> RewardPenaltySheet:
    sheet = _locked(sheet_id)
    SHEET_FLOW.check(sheet.state, "submit", actor=actor, obj=sheet)
    _bump(sheet, expected_version=expected_version, actor=actor)
    sheet.state = SheetState.SUBMITTED
    sheet.submitted_at = timezone.now()
    sheet.decision_note = ""
    sheet.save(update_fields=["state", "submitted_at", "decision_note", "version", "drafted_by"])
    emit(SheetSubmitted(sheet_id=sheet.pk, submitted_by_id=actor.pk))
    return sheet


@transaction.atomic
def decide_sheet(
    *,
    actor: User,
    sheet_id: int,
    approve: bool,
    note: str = "",
    expected_version: int | None = None,
) -> RewardPenaltySheet:
    """Approve (the sheet is locked, its amount per point fixed) or return it with a reason (the
    drafter edits it again)."""
    sheet = _locked(sheet_id)
    SHEET_FLOW.check(sheet.state, "approve" if approve else "send_back", actor=actor, obj=sheet)
    note = " ".join(note.split())[:300]
    if not approve and not note:
        raise DomainError(_("Say why the sheet goes back."))
    _bump(sheet, expected_version=expected_version, actor=actor)
    sheet.state = SheetState.APPROVED if approve else SheetState.RETURNED
    sheet.decided_by, sheet.decided_at, sheet.decision_note = actor, timezone.now(), note
    if approve:  # the amounts are fixed as approved (奖罚 → payroll)
        from kefu.quality.services.rubric import quality_settings

        sheet.fen_per_point = quality_settings().fen_per_point
    sheet.save(
        update_fields=[
            "state",
            "decided_by",
            "decided_at",
            "decision_note",
            "fen_per_point",
            "version",
        ]
    )
    emit(
        SheetDecided(
            sheet_id=sheet.pk,
            state=sheet.state,
            decided_by_id=actor.pk,
            drafted_by_id=sheet.drafted_by_id or actor.pk,
        )
    )
    return sheet


def sheet_rate(sheet: RewardPenaltySheet) -> int:
    """The amount of one point on `sheet` (fen): as approved, else as the settings say now."""
    if sheet.fen_per_point is not None:
        return sheet.fen_per_point
    from kefu.quality.services.rubric import quality_settings

    return quality_settings().fen_per_point
