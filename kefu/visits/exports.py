"""The monthly visit report 回访月报 and a plan's 回访总结 as .xlsx, through the one export service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.exports.registry import ExportColumn, ExportKind, Prepared, register
from kefu.visits import selectors
from kefu.visits.models import VisitCampaign


def parse_filters(query: QueryDict) -> dict[str, Any]:
    return {
        "month": selectors.parse_month(
            query.get("month", ""), today=selectors.local_today()
        ).isoformat()
    }


def _month(filters: dict[str, Any]) -> dt.date:
    return dt.date.fromisoformat(filters["month"])


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def _findings(summary: dict[str, Any]) -> list[list[Any]]:
    """What the records found, as (section, item, number, out of, percent): the reach, the
    satisfaction split, the grouped opinions and suggestions. A plan's and a month's summary."""
    done = summary["done"]
    progress_label, satisfaction_label = _("Progress"), _("Satisfaction")
    rows: list[list[Any]] = [
        [progress_label, _("Reached"), summary["reached"], done, summary["reach_percent"]],
    ]
    rows += [
        [satisfaction_label, str(label), n, done, _percent(n, done)]
        for label, n in summary["satisfaction"]
    ]
    rows += [[_("Opinion"), text, n, None, None] for text, n in summary["opinions"]]
    rows += [[_("Suggestion"), text, n, None, None] for text, n in summary["suggestions"]]
    return rows


def _summary_header() -> list[Any]:
    return [
        _("Section"),
        pgettext("visit summary", "Item"),
        pgettext("visit summary", "Number"),
        _("Out of"),
        _("Percent"),
    ]


NOMINATION_COLUMNS = (
    gettext_lazy("Rank"),
    gettext_lazy("Agent"),
    gettext_lazy("Survey answers"),
    gettext_lazy("Average survey score"),
    gettext_lazy("5 points"),
    gettext_lazy("Low scores"),
    gettext_lazy("Visits done"),
    gettext_lazy("On time %"),
    gettext_lazy("Satisfied %"),
)


def _nomination_rows(nominations: list[dict[str, Any]]) -> list[list[Any]]:
    """优秀员工提名名单 with the figures behind each name."""
    return [
        [
            n["rank"],
            n["agent"],
            n["answers"],
            n["average"],
            n["top_scores"],
            n["low"],
            n["visits_done"],
            n["on_time_percent"],
            n["satisfied_percent"],
        ]
        for n in nominations
    ]


def prepare(*, actor: User, filters: dict[str, Any]) -> Prepared:
    """The month's sheet: per agent (planned, done, on time, not reached, satisfied, surveys) and
    the total; then the 回访总结报告 (reach, satisfaction split, grouped opinions and suggestions,
    rule compliance: visited by the deadline, overdue, members covered against the target), then
    the nominations for excellent staff with their figures. Each block under its heading row."""
    report = selectors.month_report(_month(filters))
    total = report["total"]
    rows: list[list[Any]] = [
        [
            row["agent"],
            row["planned"],
            row["done"],
            row["on_time"],
            row["on_time_percent"],
            row["unreachable"],
            row["satisfied_percent"],
            row["survey_answers"],
            row["survey_average"],
        ]
        for row in report["rows"]
    ]
    if rows:
        rows.append(
            [
                _("Total"),
                total["planned"],
                total["done"],
                total["on_time"],
                total["on_time_percent"],
                total["unreachable"],
                total["satisfied_percent"],
                None,
                None,
            ]
        )
    summary, coverage = report["summary"], report["coverage"]
    compliance = _("Rule compliance")
    rows += [[_("Visit summary report")], _summary_header()]
    rows += _findings(summary)
    rows += [
        [
            compliance,
            _("Visited by the deadline"),
            total["on_time"],
            total["done"],
            total["on_time_percent"],
        ],
        [compliance, _("Overdue"), summary["overdue"], None, None],
        [
            compliance,
            _("Members visited (target %(target)d%%)") % {"target": coverage["target"]},
            coverage["visited"],
            coverage["members"],
            coverage["percent"],
        ],
    ]
    rows += [[_("Nominations for excellent staff")], [str(c) for c in NOMINATION_COLUMNS]]
    rows += _nomination_rows(report["nominations"])
    return Prepared(count=len(rows), rows=rows)


def prepare_nominations(*, actor: User, filters: dict[str, Any]) -> Prepared:
    rows = _nomination_rows(selectors.nominations(_month(filters)))
    return Prepared(count=len(rows), rows=rows)


def parse_plan_filters(query: QueryDict) -> dict[str, Any]:
    """The plan's id, as text (as the audit entry keeps filters)."""
    raw = query.get("campaign", "")
    return {"campaign": str(int(raw)) if raw.isdigit() else "0"}


def prepare_plan_summary(*, actor: User, filters: dict[str, Any]) -> Prepared:
    """A plan's 回访总结 as rows of (section, item, number, out of, percent): the progress and
    reach, the satisfaction split, completion per agent, the grouped opinions and suggestions.
    The plan is read as its page reads it (404 for a user who may not see plans)."""
    campaign = selectors.access_campaign(actor=actor, campaign_id=int(filters["campaign"]))
    summary = selectors.campaign_summary(campaign)
    progress = selectors.campaign_progress(campaign)
    progress_label = _("Progress")
    rows: list[list[Any]] = [
        [progress_label, _("Visits"), progress["total"], None, None],
        [progress_label, _("Visited"), progress["done"], progress["total"], progress["percent"]],
        [progress_label, _("Overdue"), summary["overdue"], progress["open"], None],
    ]
    rows += [
        [
            _("Agent"),
            row["assignee__display_name"] or row["assignee__username"] or _("Nobody"),
            row["done"],
            row["total"],
            _percent(row["done"], row["total"]),
        ]
        for row in progress["per_agent"]
    ]
    rows += _findings(summary)
    return Prepared(count=len(rows), rows=rows)


def _plan_stem(filters: dict[str, Any]) -> str:
    number = (
        VisitCampaign.objects.filter(pk=filters.get("campaign") or 0)
        .values_list("number", flat=True)
        .first()
    )
    return f"visit-plan-{number or filters.get('campaign')}"


def register_exports() -> None:
    register(
        ExportKind(
            name="visit_plan_summary",
            label=gettext_lazy("Visit plan summary"),
            title=gettext_lazy("Visit plan summary"),
            file_stem=_plan_stem,
            columns=tuple(
                ExportColumn(label)
                for label in (
                    gettext_lazy("Section"),
                    pgettext_lazy("visit summary", "Item"),
                    pgettext_lazy("visit summary", "Number"),
                    gettext_lazy("Out of"),
                    gettext_lazy("Percent"),
                )
            ),
            prepare=prepare_plan_summary,
            parse_filters=parse_plan_filters,
            view_perms=(Perm.ASSIGN_WORK,),
            page="visits:plans",
        )
    )
    register(
        ExportKind(
            name="visit_month_report",
            label=gettext_lazy("Monthly visit report"),
            title=gettext_lazy("Monthly visit report"),
            file_stem=lambda filters: f"visits-{filters['month'][:7]}",
            columns=tuple(
                ExportColumn(label)
                for label in (
                    gettext_lazy("Agent"),
                    gettext_lazy("Planned"),
                    gettext_lazy("Done"),
                    gettext_lazy("On time"),
                    gettext_lazy("On time %"),
                    gettext_lazy("Not reached"),
                    gettext_lazy("Satisfied %"),
                    gettext_lazy("Survey answers"),
                    gettext_lazy("Average survey score"),
                )
            ),
            prepare=prepare,
            parse_filters=parse_filters,
            view_perms=(Perm.ASSIGN_WORK,),
            page="visits:report",
        )
    )
    register(
        ExportKind(
            name="visit_nominations",
            label=gettext_lazy("Nominations for excellent staff"),
            title=gettext_lazy("Nominations for excellent staff"),
            file_stem=lambda filters: f"nominations-{filters['month'][:7]}",
            columns=tuple(ExportColumn(label) for label in NOMINATION_COLUMNS),
            prepare=prepare_nominations,
            parse_filters=parse_filters,
            view_perms=(Perm.ASSIGN_WORK,),
            page="visits:report",
        )
    )
