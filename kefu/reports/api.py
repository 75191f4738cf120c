"""Reports API: the figures as JSON with the same filters as the pages, and the issued reports of
the pack. Every route needs Perm.VIEW_REPORTS (403 otherwise); a figure's own rights too."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Query, Router, Schema

from kefu.accounts.roles import Perm
from kefu.reports import registry, selectors
from kefu.reports.models import IssuedReport, PackKind
from kefu.reports.schemas import FigureOut, IssuedDetailOut, IssuedOut, ReportOut

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


def _reader(request) -> None:
    if not request.user.has_perm(Perm.VIEW_REPORTS):
        raise PermissionDenied


@router.get("/reports", response=list[FigureOut], summary="The report figures the caller may read")
def list_figures(request):
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
def list_issued(request, kind: str = "", offset: int = 0, limit: int = 50):
    _reader(request)
    reports = IssuedReport.objects.defer("content").order_by("-period_start", "kind")
    if kind in PackKind.values:
        reports = reports.filter(kind=kind)
    offset, limit = max(0, min(offset, 1_000_000)), max(1, min(limit, 200))
    return list(reports[offset : offset + limit])


@router.get("/reports/issued/{report_id}", response=IssuedDetailOut, summary="One issued report")
def issued_detail(request, report_id: int):
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
    "/reports/{key}",
    response=ReportOut,
    summary="One figure: total, previous period, change, series by day or month, breakdown",
)
def figure_data(request, key: str, filters: Query[ReportQuery]):
    _reader(request)
    figure = registry.get_figure(key)
    if figure is None:
        raise Http404
    if not registry.may_read(request.user, figure):
        raise PermissionDenied
    parsed = selectors.parse_filters({k: v for k, v in filters.dict().items() if v})
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
        "groups": [
            {k: r[k] for k in ("key", "label", "value", "previous", "delta", "percent")}
            for r in result.rows
        ],
        "ignored_filters": result.ignored,
    }
