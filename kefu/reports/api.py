"""Reports API: the figures as JSON with the same filters as the pages, and the issued reports of
the pack. Every route needs Perm.VIEW_REPORTS (403 otherwise); a figure's own rights too."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Query, Router, Schema
from ninja.errors import ValidationError

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.reports import departments as dept_reports
from kefu.reports import registry, selectors
from kefu.reports.models import IssuedReport, PackKind
from kefu.reports.schemas import (
    DepartmentAnalysisOut,
    DepartmentListOut,
    FigureOut,
    IssuedDetailOut,
    IssuedOut,
    ReportOut,
)

router = Router(tags=["reports"])


class ReportQuery(Schema):
    period: str = ""
    since: str = ""
    until: str = ""
    region: str = ""
    street: str = ""
    channel: str = ""
    team: str = ""
    agent: str = ""
    category: str = ""
    level: str = ""
    by: str = ""


class PeriodQuery(Schema):
    period: str = ""  # today, yesterday, week, last_week, month, last_month, 30d, year
    since: str = ""  # YYYY-MM-DD
    until: str = ""  # YYYY-MM-DD, inclusive


def _reader(request: AuthenticatedRequest) -> None:
    if not request.user.has_perm(Perm.VIEW_REPORTS):
        raise PermissionDenied


def _period(query: Schema) -> selectors.ReportFilters:
    """The period (and filters) asked for; an unreadable period is refused (422) rather than
    replaced by the default, so that a program does not take the last 30 days for the period it
    asked for."""
    given = {k: v for k, v in query.dict().items() if v}
    errors = selectors.period_errors(given)
    if errors:
        raise ValidationError(
            [
                {"loc": ["query", name], "msg": msg, "type": "value_error"}
                for name, msg in errors.items()
            ]
        )
    return selectors.parse_filters(given)


@router.get("/reports", response=list[FigureOut], summary="The report figures the caller may read")
def list_figures(request: AuthenticatedRequest) -> list[dict[str, object]]:
    _reader(request)
    return [
        {
            "key": f.key,
            "label": str(f.label),
            "unit": str(f.unit),
            "description": str(f.description),
            "dimensions": list(f.dimensions),
        }
        for f in registry.figures_for(request.user)
    ]


@router.get(
    "/reports/issued",
    response=list[IssuedOut],
    summary="Issued reports of the pack, newest first; kind: daily, weekly or monthly",
)
def list_issued(
    request: AuthenticatedRequest, kind: str = "", offset: int = 0, limit: int = 50
) -> list[IssuedReport]:
    _reader(request)
    reports = IssuedReport.objects.defer("content").order_by("-period_start", "kind")
    if kind in PackKind.values:
        reports = reports.filter(kind=kind)
    offset, limit = max(0, min(offset, 1_000_000)), max(1, min(limit, 200))
    return list(reports[offset : offset + limit])


@router.get("/reports/issued/{report_id}", response=IssuedDetailOut, summary="One issued report")
def issued_detail(request: AuthenticatedRequest, report_id: int) -> dict[str, object]:
    _reader(request)
    report = IssuedReport.objects.filter(pk=report_id).first()
    if report is None:
        raise Http404
    readable = {f.key for f in registry.figures_for(request.user)}
    return {
        "id": report.pk,
        "kind": report.kind,
        "period_start": report.period_start,
        "period_end": report.period_end,
        "issued_at": report.issued_at,
        "figures": [f for f in report.content if f["key"] in readable],
    }


@router.get(
    "/reports/departments",
    response=DepartmentListOut,
    summary="服务分析报告: the departments the caller may read, each with its complaints in the period",
)
def department_list(request: AuthenticatedRequest, query: Query[PeriodQuery]) -> dict[str, object]:
    """Readers of reports see every responsible department; a department's staff their own."""
    if not dept_reports.reads_service_analysis(request.user):
        raise PermissionDenied
    filters = _period(query)
    departments = list(dept_reports.departments_for(request.user))
    return {
        "since": filters.since,
        "until": filters.until,
        "note": filters.note,
        "departments": [
            {
                "id": s["department"].pk,
                "name": s["department"].name,
                "complaints": s["complaints"],
                "previous": s["previous"],
                "delta": s["delta"],
                "percent": s["percent"],
            }
            for s in dept_reports.summaries(departments, filters)
        ],
    }


@router.get(
    "/reports/departments/{department_id}",
    response=DepartmentAnalysisOut,
    summary="One department's service analysis: complaints, categories, causes, hours to plan and "
    "to close, suggestions",
)
def department_analysis(
    request: AuthenticatedRequest, department_id: int, query: Query[PeriodQuery]
) -> dict[str, object]:
    """Another department's analysis answers as a missing one (404), as the page does."""
    department = dept_reports.readable_department(request.user, department_id)
    if department is None:
        raise Http404
    filters = _period(query)
    report = dept_reports.analysis(department, filters)
    return {
        "id": department.pk,
        "name": department.name,
        "since": filters.since,
        "until": filters.until,
        "note": filters.note,
        "complaints": report["complaints"],
        "previous": report["previous"],
        "delta": report["delta"],
        "percent": report["percent"],
        "hours_to_plan": report["hours_to_plan"],
        "hours_to_close": report["hours_to_close"],
        "categories": [
            {"label": c["label"], "complaints": c["n"], "repeated": c["repeated"]}
            for c in report["categories"]
        ],
        "causes": [
            {"ticket_id": c["pk"], "number": c["number"], "cause": c["cause"]}
            for c in report["causes"]
        ],
        "suggestions": [
            {"ticket_id": t["pk"], "number": t["number"], "subject": t["subject"]}
            for t in report["suggestions"]
        ],
    }


@router.get(
    "/reports/{key}",
    response=ReportOut,
    summary="One figure: total, previous period, change, series by day or month, breakdown",
)
def figure_data(
    request: AuthenticatedRequest, key: str, filters: Query[ReportQuery]
) -> dict[str, object]:
    _reader(request)
    figure = registry.get_figure(key)
    if figure is None:
        raise Http404
    if not registry.may_read(request.user, figure):
        raise PermissionDenied
    parsed = _period(filters)
    result = selectors.figure_result(figure, parsed)
    return {
        "key": figure.key,
        "label": str(figure.label),
        "unit": str(figure.unit),
        "since": parsed.since,
        "until": parsed.until,
        "total": result.total,
        "previous": result.previous,
        "delta": result.change["delta"],
        "percent": result.change["percent"],
        "granularity": "month" if selectors.monthly(parsed) else "day",
        "series": [{"date": d, "value": v} for d, v in result.series],
        "by": result.by,
        "groups": result.rows,  # a Group has the keys of GroupOut
        "ignored_filters": result.ignored,
    }
