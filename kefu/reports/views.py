"""报表 pages: the index of figures, one figure with its charts and tables, the records behind a
point or a row, the live board (and its wallboard mode), and the issued reports of the pack. Every
page needs the right to read reports; a figure may ask for more (kefu/core/reporting.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.errors import StrOrPromise
from kefu.core.pages import perform
from kefu.core.reporting import Figure
from kefu.exports.http import export_response
from kefu.reports import board as live
from kefu.reports import departments as dept_reports
from kefu.reports import registry, selectors, services
from kefu.reports.exports import ISSUED, REPORT, SERVICE_ANALYSIS
from kefu.reports.models import IssuedReport, PackKind, PackRecipient


class FilterField(TypedDict):
    name: str
    label: StrOrPromise
    value: str
    options: list[tuple[str, str]]  # (value, label); empty: a free-text field
    applies: bool  # False: the figure ignores this filter


class Card(selectors.Summary):
    """A figure on the index, with the names of the filters it ignores."""

    figure: Figure
    ignored: list[str]


def _figure_or_404(request: AuthenticatedRequest, key: str) -> Figure:
    figure = registry.get_figure(key)
    if figure is None:
        raise Http404
    if not registry.may_read(request.user, figure):
        raise PermissionDenied
    return figure


def _filter_form(
    filters: selectors.ReportFilters,
    figure: Figure | None = None,
    *,
    among: Iterable[Figure] = (),
) -> list[FilterField]:
    """The filter fields: a list where the figure's dimension has choices, free text otherwise;
    marked when the figure ignores the filter. A page of several figures (`among`) offers the list
    of the first of them that has the dimension (an agent is picked by name, not typed as an id)."""
    fields: list[FilterField] = []
    for name in selectors.FILTERS:
        if figure is not None:
            dim = figure.dimensions.get(name)
        else:
            listed = (f.dimensions[name] for f in among if name in f.dimensions)
            dim = next((d for d in listed if d.choices or d.options), None)
        fields.append(
            {
                "name": name,
                "label": selectors.FILTER_LABELS[name],
                "value": filters.values.get(name, ""),
                "options": selectors.options(dim),
                "applies": figure is None or dim is not None,
            }
        )
    return fields


@require_perm(Perm.VIEW_REPORTS)
def index(request: AuthenticatedRequest) -> HttpResponse:
    filters = selectors.parse_filters(request.GET)
    shown = registry.figures_for(request.user)
    cards: list[Card] = [
        {
            "figure": f,
            **selectors.summary(f, filters),
            "ignored": selectors.applicable(f, filters)[1],
        }
        for f in shown
    ]
    return render(
        request,
        "reports/index.html",
        {
            "filters": filters,
            "fields": _filter_form(filters, among=shown),
            "presets": selectors.PRESETS,
            "cards": cards,
            "qs": urlencode(filters.query()),
        },
    )


@require_perm(Perm.VIEW_REPORTS)
def regions(request: AuthenticatedRequest) -> HttpResponse:
    """区域分析: the figures by province, or by street (of one province when it is filtered)."""
    filters = selectors.parse_filters(request.GET)
    level = request.GET.get("place", "region")  # not "level": the customer level filter
    shown = registry.figures_for(request.user)
    table = selectors.region_table(shown, filters, level=level)
    counted = [i for i, f in enumerate(table["figures"]) if f.measure.kind == "count"]
    chart = {
        "places": [r["label"] for r in table["rows"][:20]],
        "series": [
            {
                "name": str(table["figures"][i].label),
                "data": [r["values"][i] for r in table["rows"][:20]],
            }
            for i in counted
        ],
    }
    return render(
        request,
        "reports/regions.html",
        {
            "filters": filters,
            "fields": _filter_form(filters, among=shown),
            "presets": selectors.PRESETS,
            "table": table,
            "chart": chart,
            "level": table["level"],
            "level_label": selectors.FILTER_LABELS[table["level"]],
            "qs": urlencode(filters.query()),
        },
    )


@login_required
def figure_page(request: AuthenticatedRequest, key: str) -> HttpResponse | FileResponse:
    if request.GET.get("format") == "xlsx":
        return _export(request, key)
    return _figure_page(request, key)


def _export(request: AuthenticatedRequest, key: str) -> FileResponse | HttpResponseRedirect:
    """The export service checks the rights (Perm.EXPORT_DATA and Perm.VIEW_REPORTS) and answers a
    refusal as every export does; a figure's own extra rights are checked when it is prepared."""
    if registry.get_figure(key) is None:
        raise Http404
    filters = {**REPORT.parse_filters(request.GET), "figure": key}
    return export_response(request, kind=REPORT.name, filters=filters)


@require_perm(Perm.VIEW_REPORTS)
def _figure_page(request: AuthenticatedRequest, key: str) -> HttpResponse:
    figure = _figure_or_404(request, key)
    filters = selectors.parse_filters(request.GET)
    result = selectors.figure_result(figure, filters)
    return render(
        request,
        "reports/figure.html",
        {
            "figure": figure,
            "filters": filters,
            "fields": _filter_form(filters, figure),
            "presets": selectors.PRESETS,
            "result": result,
            "chart": result.chart(),
            "by_label": selectors.FILTER_LABELS.get(result.by, result.by),
            "dimensions": [(n, selectors.FILTER_LABELS.get(n, n)) for n in figure.dimensions],
            "ignored": [selectors.FILTER_LABELS[n] for n in result.ignored],
            "monthly": selectors.monthly(filters),
            "qs": urlencode(filters.query()),
            "print": request.GET.get("print") == "1",
        },
    )


@require_perm(Perm.VIEW_REPORTS)
def records(request: AuthenticatedRequest, key: str) -> HttpResponse:
    """The records behind the figure, a point of its chart (?day=, ?month=) or a row (?key=)."""
    figure = _figure_or_404(request, key)
    filters = selectors.drill_filters(request.GET, selectors.parse_filters(request.GET))
    group = str(request.GET.get("key") or "")[:60]
    asked = request.GET.get("page", "1")
    page = min(int(asked), 10_000) if asked.isdigit() and asked != "0" else 1
    rows, has_next = selectors.drill_records(figure, filters, key=group, page=page)
    openable = selectors.openable_records(figure, request.user, [r["pk"] for r in rows])
    by = selectors.breakdown_dimension(figure, filters)
    return render(
        request,
        "reports/records.html",
        {
            "figure": figure,
            "filters": filters,
            "rows": rows,
            "openable": openable,
            "has_next": has_next,
            "page": page,
            "group": group,
            "by_label": selectors.FILTER_LABELS.get(by, by) if group else "",
            "back_qs": urlencode(selectors.parse_filters(request.GET).query()),
        },
    )


# The board is the supervisors' (those who assign work): the pushes that refresh it go to their
# sockets (kefu/realtime/audiences.py, groups_for).
@require_perm(Perm.ASSIGN_WORK)
def board_page(request: AuthenticatedRequest) -> HttpResponse:
    wall = request.GET.get("wall") == "1"
    return render(
        request,
        "reports/wallboard.html" if wall else "reports/board.html",
        {"board": live.board(), "refresh_on": list(live.REFRESH_ON), "wall": wall},
    )


@require_perm(Perm.ASSIGN_WORK)
def board_fragment(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "reports/_board.html",
        {"board": live.board(), "wall": request.GET.get("wall") == "1"},
    )


@require_perm(Perm.VIEW_REPORTS)
def issued_list(request: AuthenticatedRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    reports = IssuedReport.objects.defer("content")
    if kind in PackKind.values:
        reports = reports.filter(kind=kind)
    asked = request.GET.get("page", "1")
    page = min(int(asked), 10_000) if asked.isdigit() and asked != "0" else 1
    rows = list(reports.order_by("-period_start", "kind")[(page - 1) * 50 : page * 50 + 1])
    return render(
        request,
        "reports/issued_list.html",
        {
            "reports": rows[:50],
            "has_next": len(rows) > 50,
            "page": page,
            "kind": kind,
            "kinds": PackKind.choices,
        },
    )


@login_required
def issued(request: AuthenticatedRequest, report_id: int) -> HttpResponse | FileResponse:
    if request.GET.get("format") == "xlsx":
        return _issued_export(request, report_id)
    return _issued_page(request, report_id)


def _issued_export(
    request: AuthenticatedRequest, report_id: int
) -> FileResponse | HttpResponseRedirect:
    get_object_or_404(IssuedReport.objects.only("pk"), pk=report_id)
    return export_response(request, kind=ISSUED.name, filters={"id": report_id})


@require_perm(Perm.VIEW_REPORTS)
def _issued_page(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(IssuedReport, pk=report_id)
    readable = {f.key for f in registry.figures_for(request.user)}
    return render(
        request,
        "reports/issued.html",
        {
            "report": report,
            "figures": [f for f in report.content if f["key"] in readable],
            "print": request.GET.get("print") == "1",
            "now": timezone.now(),
        },
    )


@login_required
def department_list(request: AuthenticatedRequest) -> HttpResponse:
    """服务分析报告: the departments the user may read (their own for a department's staff)."""
    if not dept_reports.reads_service_analysis(request.user):
        raise PermissionDenied
    departments = list(dept_reports.departments_for(request.user))
    filters = selectors.parse_filters(request.GET)
    return render(
        request,
        "reports/departments.html",
        {"departments": departments, "qs": urlencode(filters.query()), "filters": filters},
    )


@login_required
def department_report(
    request: AuthenticatedRequest, department_id: int
) -> HttpResponse | FileResponse:
    """One department's service analysis; another department's is 404 for its staff."""
    department = dept_reports.readable_department(request.user, department_id)
    if department is None:
        raise Http404
    if request.GET.get("format") == "xlsx":  # the one export service: the export right too
        wanted = {**SERVICE_ANALYSIS.parse_filters(request.GET), "department": department.pk}
        return export_response(request, kind=SERVICE_ANALYSIS.name, filters=wanted)
    filters = selectors.parse_filters(request.GET)
    return render(
        request,
        "reports/department.html",
        {
            "report": dept_reports.analysis(department, filters),
            "filters": filters,
            "presets": selectors.PRESETS,
            "fields": [],
            "qs": urlencode(filters.query()),
        },
    )


@require_perm(Perm.MANAGE_SETTINGS)
def recipients(request: AuthenticatedRequest) -> HttpResponse:
    """设置 › 报表接收人: who receives the pack in the app and by e-mail."""
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("user") if v.isdigit() and len(v) < 10]
        return perform(
            request,
            lambda: services.set_pack_recipients(actor=request.user, user_ids=ids, request=request),
            success=_("The recipients of the reports were saved."),
            then="reports:recipients",
        )
    chosen = set(PackRecipient.objects.values_list("user_id", flat=True))
    return render(
        request,
        "reports/recipients.html",
        {"people": services.eligible_recipients(), "chosen": chosen},
    )


app_name = "reports"
urlpatterns = [
    path("", index, name="index"),
    path("board/", board_page, name="board"),
    path("board/live/", board_fragment, name="board_live"),
    path("regions/", regions, name="regions"),
    path("issued/", issued_list, name="issued_list"),
    path("recipients/", recipients, name="recipients"),
    path("departments/", department_list, name="departments"),
    path("departments/<int:department_id>/", department_report, name="department"),
    path("issued/<int:report_id>/", issued, name="issued"),
    path("<slug:key>/", figure_page, name="figure"),
    path("<slug:key>/records/", records, name="records"),
]
