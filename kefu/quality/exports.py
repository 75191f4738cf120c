"""The month's performance sheets 绩效考核表 and reward/penalty sheets 奖罚评分表 as Excel, through the
one export service (formula-safe cells, the audit entry): one row per agent, in the layout a payroll
clerk reads — 工号 (the user name), 姓名, 部门 and 班组 first; for the performance sheet each
indicator's value, the score, the manager's adjustment and its reason, the final score, who signed,
when the agent acknowledged, who approved; for the reward/penalty sheet the points rewarded and
deducted, the amount per point and the amount (yuan, from integer fen), who approved, and the lines.
Under the rows, the line a payroll clerk signs: who prepared the file, who approved, the date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.exports.registry import ExportColumn, ExportKind, Prepared, register
from kefu.quality import selectors
from kefu.quality.kpi import MEASURES, default_month, parse_month
from kefu.quality.models import Indicator, SheetState


def parse_filters(query: QueryDict) -> dict[str, Any]:
    month = parse_month(query.get("month")) or default_month()
    return {"month": month.strftime("%Y-%m")}


def _at(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _teams(agent_ids: Iterable[int]) -> dict[int, str]:
    """Each agent's teams 班组, by name, in one query."""
    from kefu.accounts.models import AgentProfile

    names: dict[int, list[str]] = {}
    for user_id, name in (
        AgentProfile.teams.through.objects.filter(agentprofile__user_id__in=list(agent_ids))
        .order_by("team__name")
        .values_list("agentprofile__user_id", "team__name")
    ):
        names.setdefault(user_id, []).append(name)
    return {pk: "、".join(team) for pk, team in names.items()}


def _who(agent: User, teams: dict[int, str]) -> list[Any]:
    """工号, 姓名, 部门, 班组."""
    department = agent.department.name if agent.department_id else ""  # type: ignore[union-attr]
    return [agent.username, str(agent), department, teams.get(agent.pk, "")]


WHO_COLUMNS = (
    ExportColumn(gettext_lazy("Employee no. (user name)")),
    ExportColumn(gettext_lazy("Full name")),
    ExportColumn(gettext_lazy("Department")),
    ExportColumn(gettext_lazy("Team (work group)")),
)


def _signature_rows(actor: User, approvers: set[str]) -> list[list[Any]]:
    """An empty row, then the line signed on paper: prepared by, approved by, the date."""
    return [
        [],
        [
            _("Prepared by"),
            str(actor),
            _("Approved by"),
            "、".join(sorted(approvers)),
            _("Date"),
            timezone.localdate().strftime("%Y-%m-%d"),
        ],
    ]


def prepare(*, actor: User, filters: dict[str, Any]) -> Prepared:
    month = parse_month(filters.get("month")) or default_month()
    qs = (
        selectors.visible_performance(actor)
        .filter(month=month)
        .select_related("agent__department")
        .order_by("agent__username")
    )

    def rows() -> Iterator[list[Any]]:
        teams = _teams(qs.values_list("agent_id", flat=True))
        approvers: set[str] = set()
        for sheet in qs.iterator(chunk_size=500):
            if sheet.approved_by is not None:
                approvers.add(str(sheet.approved_by))
            values = {
                line["indicator"]: line["shown"] for line in selectors.performance_lines(sheet)
            }
            measured = {
                m["key"]: m["shown"] for m in selectors.performance_measures(sheet.measures)
            }
            yield [
                sheet.month.strftime("%Y-%m"),
                *_who(sheet.agent, teams),
                *[values.get(key, "") for key in Indicator.values],
                *[measured.get(key, "") for key in MEASURES],
                sheet.score,
                sheet.adjustment or "",
                sheet.adjustment_reason,
                sheet.final_score,
                sheet.get_state_display(),
                str(sheet.signed_by) if sheet.signed_by else "",
                _at(sheet.signed_at),
                _at(sheet.acknowledged_at),
                str(sheet.approved_by) if sheet.approved_by else "",
                _at(sheet.approved_at),
                sheet.comment,
            ]
        yield from _signature_rows(actor, approvers)

    return Prepared(count=qs.count(), rows=rows())


def prepare_reward_sheets(*, actor: User, filters: dict[str, Any]) -> Prepared:
    from kefu.orders.services.money import yuan
    from kefu.quality.services.rubric import quality_settings

    month = parse_month(filters.get("month")) or default_month()
    qs = (
        selectors.visible_sheets(actor)
        .filter(month=month)
        .select_related("agent__department")
        .prefetch_related("items")
        .order_by("agent__username", "id")
    )
    current = quality_settings().fen_per_point

    def rows() -> Iterator[list[Any]]:
        teams = _teams(qs.values_list("agent_id", flat=True))
        approvers: set[str] = set()
        for sheet in qs:
            if sheet.decided_by is not None and sheet.state == SheetState.APPROVED:
                approvers.add(str(sheet.decided_by))
            items = list(sheet.items.all())
            rewarded = sum(i.points for i in items if i.points > 0)
            deducted = sum(i.points for i in items if i.points < 0)
            rate = sheet.fen_per_point if sheet.fen_per_point is not None else current
            yield [
                sheet.month.strftime("%Y-%m"),
                *_who(sheet.agent, teams),
                rewarded,
                deducted,
                rewarded + deducted,
                yuan(rate),
                yuan((rewarded + deducted) * rate),
                sheet.get_state_display(),
                str(sheet.decided_by) if sheet.decided_by else "",
                _at(sheet.decided_at),
                "；".join(f"{i.reason}（{i.points:+d}）" for i in items),
            ]
        yield from _signature_rows(actor, approvers)

    return Prepared(count=qs.count(), rows=rows())


def register_exports() -> None:
    register(
        ExportKind(
            name="performance_sheets",
            label=gettext_lazy("Performance sheets"),
            title=gettext_lazy("Performance sheets"),
            file_stem=lambda filters: f"performance-{filters.get('month', '')}",
            columns=(
                ExportColumn(gettext_lazy("Month")),
                *WHO_COLUMNS,
                *(ExportColumn(label) for _key, label in Indicator.choices),
                *(ExportColumn(label) for label, _unit, _digits in MEASURES.values()),
                ExportColumn(gettext_lazy("Score")),
                ExportColumn(gettext_lazy("Adjustment")),
                ExportColumn(gettext_lazy("Reason for the adjustment")),
                ExportColumn(gettext_lazy("Final score")),
                ExportColumn(gettext_lazy("State")),
                ExportColumn(gettext_lazy("Signed by")),
                ExportColumn(gettext_lazy("Signed at")),
                ExportColumn(gettext_lazy("Acknowledged at")),
                ExportColumn(gettext_lazy("Approved by")),
                ExportColumn(gettext_lazy("Approved at")),
                ExportColumn(gettext_lazy("Supervisor's comment")),
            ),
            prepare=prepare,
            parse_filters=parse_filters,
            view_perms=(Perm.EVALUATE,),
            page="quality:performance",
        )
    )
    register(
        ExportKind(
            name="reward_penalty_sheets",
            label=gettext_lazy("Reward/penalty sheets"),
            title=gettext_lazy("Reward/penalty sheets"),
            file_stem=lambda filters: f"reward-penalty-{filters.get('month', '')}",
            columns=(
                ExportColumn(gettext_lazy("Month")),
                *WHO_COLUMNS,
                ExportColumn(gettext_lazy("Points rewarded")),
                ExportColumn(gettext_lazy("Points deducted")),
                ExportColumn(gettext_lazy("Total points")),
                ExportColumn(gettext_lazy("Amount per point (yuan)")),
                ExportColumn(gettext_lazy("Amount (yuan)")),
                ExportColumn(gettext_lazy("State")),
                ExportColumn(gettext_lazy("Approved by")),
                ExportColumn(gettext_lazy("Approved at")),
                ExportColumn(gettext_lazy("Lines")),
            ),
            prepare=prepare_reward_sheets,
            parse_filters=parse_filters,
            view_perms=(Perm.EVALUATE,),
            page="quality:sheets",
        )
    )
