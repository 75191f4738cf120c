"""The month's performance sheets 绩效考核表 and reward/penalty sheets 奖罚评分表 as Excel, through the
one export service: one row per agent, in the layout a payroll clerk reads — for the performance sheet
each indicator's value, the score, who signed, when the agent acknowledged; for the reward/penalty
sheet the points rewarded and deducted, the amount per point and the amount (yuan, from integer fen),
who approved, and the lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.exports.registry import ExportColumn, ExportKind, Prepared, register
from kefu.quality import selectors
from kefu.quality.kpi import MEASURES, default_month, parse_month
from kefu.quality.models import Indicator


def parse_filters(query: QueryDict) -> dict[str, Any]:
    month = parse_month(query.get("month")) or default_month()
    return {"month": month.strftime("%Y-%m")}


def _at(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def prepare(*, actor: User, filters: dict[str, Any]) -> Prepared:
    month = parse_month(filters.get("month")) or default_month()
    qs = selectors.visible_performance(actor).filter(month=month).order_by("agent__username")

    def rows() -> Iterator[list[Any]]:
        for sheet in qs.iterator():
            values = {
                line["indicator"]: line["shown"] for line in selectors.performance_lines(sheet)
            }
            measured = {
                m["key"]: m["shown"] for m in selectors.performance_measures(sheet.measures)
            }
            yield [
                sheet.month.strftime("%Y-%m"),
                sheet.agent.username,
                str(sheet.agent),
                *[values.get(key, "") for key in Indicator.values],
                *[measured.get(key, "") for key in MEASURES],
                sheet.score,
                sheet.get_state_display(),
                str(sheet.signed_by) if sheet.signed_by else "",
                _at(sheet.signed_at),
                _at(sheet.acknowledged_at),
                sheet.comment,
            ]

    return Prepared(count=qs.count(), rows=rows())


def prepare_reward_sheets(*, actor: User, filters: dict[str, Any]) -> Prepared:
    from kefu.orders.services.money import yuan
    from kefu.quality.services.rubric import quality_settings

    month = parse_month(filters.get("month")) or default_month()
    qs = (
        selectors.visible_sheets(actor)
        .filter(month=month)
        .prefetch_related("items")
        .order_by("agent__username", "id")
    )
    current = quality_settings().fen_per_point

    def rows() -> Iterator[list[Any]]:
        for sheet in qs:
            items = list(sheet.items.all())
            rewarded = sum(i.points for i in items if i.points > 0)
            deducted = sum(i.points for i in items if i.points < 0)
            rate = sheet.fen_per_point if sheet.fen_per_point is not None else current
            yield [
                sheet.month.strftime("%Y-%m"),
                sheet.agent.username,
                str(sheet.agent),
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
                ExportColumn(gettext_lazy("User name")),
                ExportColumn(gettext_lazy("Agent")),
                *(ExportColumn(label) for _key, label in Indicator.choices),
                *(ExportColumn(label) for label, _unit, _digits in MEASURES.values()),
                ExportColumn(gettext_lazy("Score")),
                ExportColumn(gettext_lazy("State")),
                ExportColumn(gettext_lazy("Signed by")),
                ExportColumn(gettext_lazy("Signed at")),
                ExportColumn(gettext_lazy("Acknowledged at")),
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
                ExportColumn(gettext_lazy("User name")),
                ExportColumn(gettext_lazy("Agent")),
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
