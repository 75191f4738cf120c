"""The reports as Excel files, kinds of the one export service (kefu/exports: permission, audit,
formula-safe cells): a figure with its filters (the table under the chart, then the series), and an
issued report of the pack (every figure, then each one's largest groups)."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core.errors import NotFound, PermissionRefused
from kefu.core.reporting import Figure
from kefu.exports.registry import ExportColumn, ExportKind, Prepared, register
from kefu.reports import departments as dept_reports
from kefu.reports import registry, selectors
from kefu.reports.models import IssuedReport

HEADER = (
    gettext_lazy("Group"),
    gettext_lazy("This period"),
    gettext_lazy("Previous period"),
    gettext_lazy("Change"),
    gettext_lazy("Change (%)"),
)


def parse_report_filters(query: QueryDict) -> dict[str, Any]:
    filters = selectors.parse_filters(query)
    return {"figure": str(query.get("figure") or "")[:40], **filters.query()}


def _figure_for(actor: User, key: str) -> Figure:
    figure = registry.get_figure(key)
    if figure is None:
        raise NotFound(_("There is no such report."))
    if not registry.may_read(actor, figure):
        raise PermissionRefused(_("You may not read this report."))
    return figure


def prepare_report(*, actor: User, filters: dict[str, Any]) -> Prepared:
    figure = _figure_for(actor, filters.get("figure", ""))
    result = selectors.figure_result(figure, selectors.parse_filters(filters))
    rows: list[list[Any]] = [
        [
            str(figure.label),
            result.total,
            result.previous,
            result.change["delta"],
            result.change["percent"],
        ],
        [f"{figure.label} · {selectors.FILTER_LABELS.get(result.by, result.by)}"],
    ]
    rows += [[r["label"], r["value"], r["previous"], r["delta"], r["percent"]] for r in result.rows]
    rows += [[f"{figure.label} · {_('Date')}"]]
    rows += [[str(d), v] for d, v in result.series]
    return Prepared(count=len(rows), rows=rows)


def _report_stem(filters: dict[str, Any]) -> str:
    return f"{_('report')}-{filters.get('figure', '')}-{filters.get('since', '')}-{filters.get('until', '')}"


REPORT = register(
    ExportKind(
        name="report",
        label=gettext_lazy("Report"),
        title=gettext_lazy("Report"),
        file_stem=_report_stem,
        columns=tuple(ExportColumn(label) for label in HEADER),
        prepare=prepare_report,
        parse_filters=parse_report_filters,
        view_perms=(Perm.VIEW_REPORTS,),
        page="reports:index",
    )
)


def parse_issued_filters(query: QueryDict) -> dict[str, Any]:
    value = str(query.get("id") or "")
    return {"id": int(value) if value.isdigit() and len(value) < 10 else 0}


def prepare_issued(*, actor: User, filters: dict[str, Any]) -> Prepared:
    report = IssuedReport.objects.filter(pk=filters.get("id") or 0).first()
    if report is None:
        raise NotFound(_("There is no such report."))
    readable = {f.key for f in registry.figures_for(actor)}
    rows: list[list[Any]] = [[str(report)]]
    figures = [f for f in report.content if f["key"] in readable]
    rows += [[f["label"], f["total"], f["previous"], f["delta"], f["percent"]] for f in figures]
    for f in figures:
        rows += [[f"{f['label']} · {f['by_label']}"]]
        rows += [
            [r["label"], r["value"], r["previous"], r["delta"], r["percent"]] for r in f["rows"]
        ]
    return Prepared(count=len(rows), rows=rows)


def _issued_stem(filters: dict[str, Any]) -> str:
    report = IssuedReport.objects.filter(pk=filters.get("id") or 0).first()
    if report is None:
        return _("report")
    return f"{report.kind}-{report.period_start:%Y%m%d}-{report.period_end:%Y%m%d}"


ISSUED = register(
    ExportKind(
        name="issued_report",
        label=gettext_lazy("Issued report"),
        title=gettext_lazy("Issued report"),
        file_stem=_issued_stem,
        columns=tuple(ExportColumn(label) for label in HEADER),
        prepare=prepare_issued,
        parse_filters=parse_issued_filters,
        view_perms=(Perm.VIEW_REPORTS,),
        page="reports:issued_list",
    )
)


# 服务分析报告 of one responsible department: the page's figures, then its tables, one row each, the
# texts a customer or an agent typed (causes, suggestions) in the last column, formula-safe.
SERVICE_ANALYSIS_HEADER = (
    gettext_lazy("Section"),
    gettext_lazy("Entry"),
    gettext_lazy("This period"),
    gettext_lazy("Previous period"),
    gettext_lazy("Change"),
    gettext_lazy("Change (%)"),
    gettext_lazy("Detail"),
)


def parse_service_analysis_filters(query: QueryDict) -> dict[str, Any]:
    value = str(query.get("department") or "")
    period = selectors.parse_filters(query)
    return {
        "department": int(value) if value.isdigit() and len(value) < 10 else 0,
        "since": period.since.isoformat(),
        "until": period.until.isoformat(),
    }


def prepare_service_analysis(*, actor: User, filters: dict[str, Any]) -> Prepared:
    """The rows of the department's page (kefu/reports/departments.py, analysis) for a user who may
    read it; another department's is not found, as on the page."""
    department = dept_reports.readable_department(actor, filters.get("department") or 0)
    if department is None:
        raise NotFound(_("There is no such report."))
    period = selectors.parse_filters(filters)
    report = dept_reports.analysis(department, period)
    summary = str(_("Service analysis"))
    rows: list[list[Any]] = [
        [summary, _("Department"), None, None, None, None, department.name],
        [summary, _("Period"), None, None, None, None, f"{period.since} – {period.until}"],
        [
            summary,
            _("Complaints"),
            report["complaints"],
            report["previous"],
            report["delta"],
            report["percent"],
        ],
        [summary, _("Average hours to an approved plan"), report["hours_to_plan"]],
        [summary, _("Average hours to closing"), report["hours_to_close"]],
    ]
    section = str(_("Complaints by category"))
    repeated = str(_("Repeated problem"))
    rows += [
        [section, c["label"], c["n"], None, None, None, repeated if c["repeated"] else None]
        for c in report["categories"]
    ]
    section = str(_("Causes recorded"))
    rows += [[section, t["number"], None, None, None, None, t["cause"]] for t in report["causes"]]
    section = str(_("Customers' suggestions"))
    rows += [
        [section, t["number"], None, None, None, None, t["subject"]] for t in report["suggestions"]
    ]
    return Prepared(count=len(rows), rows=rows)


def _service_analysis_stem(filters: dict[str, Any]) -> str:
    return (
        f"{_('service-analysis')}-{filters.get('department', '')}-"
        f"{filters.get('since', '')}-{filters.get('until', '')}"
    )


SERVICE_ANALYSIS = register(
    ExportKind(
        name="service_analysis",
        label=gettext_lazy("Service analysis"),
        title=gettext_lazy("Service analysis"),
        file_stem=_service_analysis_stem,
        columns=tuple(ExportColumn(label) for label in SERVICE_ANALYSIS_HEADER),
        prepare=prepare_service_analysis,
        parse_filters=parse_service_analysis_filters,
        # The page's rule (a reader of reports, or the department's own staff) is not a set of
        # rights: it is checked when the rows are prepared, besides the export right.
        view_perms=(),
        page="reports:departments",
    )
)
