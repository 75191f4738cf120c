"""服务分析报告 through the API (issue 13.4, 13.8): the departments a caller may read with their
complaints in the period, and one department's analysis, against hand-counted fixtures; another
department's or an unknown id is 404, a role without the right is refused, a bad period is 422. And
the Asia/Shanghai month edge of the monthly figures to the microsecond."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kefu.accounts.roles import Role
from kefu.reports import registry, selectors, services
from kefu.reports.models import IssuedReport, PackKind
from kefu.tickets.models import Ticket, TicketCategory
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
DECEMBER = "since=2026-12-01&until=2026-12-31"
LAST_INSTANT = dt.datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=SH)
FIRST_INSTANT = dt.datetime(2026, 12, 1, 0, 0, 0, tzinfo=SH)


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def routed(make_user):
    """Complaints routed to 技术部: 11-20 (the period before December), 12-01 00:30 and 12-10
    (物流 / 破损: repeated), 12-31 23:59:59.999999 (质量 / 屏幕), 2027-01-01 00:00 (January);
    one to 仓库 on 12-05; a suggestion to 技术部 on 12-08. The 12-01 one has its cause, a plan
    approved 10 h after it came in and was closed 48 h after; the 12-10 one a plan after 20 h."""
    agent = make_user(Role.AGENT)
    tech = DepartmentFactory(code="tech", name="技术部")
    store = DepartmentFactory(code="store", name="仓库")
    logistics = TicketCategory.objects.create(name="物流")
    broken = TicketCategory.objects.create(name="破损", parent=logistics)
    quality = TicketCategory.objects.create(name="质量")
    screen = TicketCategory.objects.create(name="屏幕", parent=quality)

    def ticket(when, department, category=None, kind=TicketType.COMPLAINT, subject="") -> Ticket:
        made = create_ticket(
            actor=agent, type=kind, subject=subject or f"投诉 {when:%m%d%H%M}", now=when
        )
        Ticket.objects.filter(pk=made.pk).update(department=department, category=category)
        return made

    first = ticket(at(12, 1, 0, 30), tech, broken)
    second = ticket(at(12, 10, 9), tech, broken)
    ticket(at(11, 20, 15), tech, screen)
    ticket(dt.datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=SH), tech, screen)
    ticket(at(1, 1, year=2027), tech, screen)
    ticket(at(12, 5, 14), store, broken)
    suggestion = ticket(
        at(12, 8, 11), tech, kind=TicketType.SUGGESTION, subject="<b>建议</b>夜间也有人接电话"
    )
    Ticket.objects.filter(pk=first.pk).update(
        cause="=批次问题<script>",
        plan_decided_at=at(12, 1, 10, 30),
        closed_at=at(12, 3, 0, 30),
    )
    Ticket.objects.filter(pk=second.pk).update(plan_decided_at=at(12, 11, 5))
    return {"tech": tech, "store": store, "first": first, "suggestion": suggestion}


def test_a_reader_gets_every_department_with_its_complaints_in_the_period(client_for, routed):
    client, _user = client_for(Role.SUPERVISOR)
    response = client.get(f"/api/v1/reports/departments?{DECEMBER}")
    assert response.status_code == 200
    data = response.json()
    assert (data["since"], data["until"], data["note"]) == ("2026-12-01", "2026-12-31", "")
    rows = {d["name"]: d for d in data["departments"]}
    assert set(rows) == {"技术部", "仓库"}  # not the customer service department
    tech, store = rows["技术部"], rows["仓库"]
    # December: 12-01 00:30, 12-10, 12-31 23:59:59.999999; before (10-31…11-30): 11-20
    assert (tech["id"], tech["complaints"], tech["previous"], tech["delta"], tech["percent"]) == (
        routed["tech"].pk,
        3,
        1,
        3 - 1,
        200.0,
    )
    assert (store["complaints"], store["previous"], store["delta"], store["percent"]) == (
        1,
        0,
        1,
        None,
    )


def test_one_departments_analysis_as_the_page_computes_it(client_for, routed):
    client, _user = client_for(Role.MANAGER)
    response = client.get(f"/api/v1/reports/departments/{routed['tech'].pk}?{DECEMBER}")
    assert response.status_code == 200
    data = response.json()
    assert (data["name"], data["complaints"], data["previous"], data["percent"]) == (
        "技术部",
        3,
        1,
        200.0,
    )
    assert data["hours_to_plan"] == 15.0  # (10 + 20) / 2
    assert data["hours_to_close"] == 48.0  # the one closed
    assert data["categories"] == [
        {"label": "物流 / 破损", "complaints": 2, "repeated": True},
        {"label": "质量 / 屏幕", "complaints": 1, "repeated": False},
    ]
    assert data["causes"] == [
        {
            "ticket_id": routed["first"].pk,
            "number": routed["first"].number,
            "cause": "=批次问题<script>",
        }
    ]
    assert data["suggestions"] == [
        {
            "ticket_id": routed["suggestion"].pk,
            "number": routed["suggestion"].number,
            "subject": "<b>建议</b>夜间也有人接电话",
        }
    ]
    assert response["Content-Type"].startswith("application/json")  # text, never markup
    # the page shows the same figures
    page = client.get(f"/reports/departments/{routed['tech'].pk}/?{DECEMBER}").content.decode()
    assert 'data-testid="dept-complaints">3<' in page and 'data-testid="dept-to-plan">15.0<' in page


def test_a_departments_staff_reads_their_own_only(client_for, routed):
    staff, _user = client_for(Role.DEPARTMENT_STAFF, department=routed["tech"])
    listed = staff.get(f"/api/v1/reports/departments?{DECEMBER}").json()["departments"]
    assert [(d["name"], d["complaints"]) for d in listed] == [("技术部", 3)]
    assert staff.get(f"/api/v1/reports/departments/{routed['tech'].pk}").status_code == 200
    other = staff.get(f"/api/v1/reports/departments/{routed['store'].pk}")
    missing = staff.get("/api/v1/reports/departments/999999")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()  # another department's answers as a missing one


def test_those_without_the_right_are_refused(client_for, routed, department):
    agent, _user = client_for(Role.AGENT)
    assert agent.get("/api/v1/reports/departments").status_code == 403
    assert agent.get(f"/api/v1/reports/departments/{routed['tech'].pk}").status_code == 404
    # staff of the customer service department route nothing to themselves: no analysis
    staff, _user = client_for(Role.DEPARTMENT_STAFF, department=department)
    assert staff.get("/api/v1/reports/departments").status_code == 403
    supervisor, _user = client_for(Role.SUPERVISOR)
    assert supervisor.get("/api/v1/reports/departments/999999").status_code == 404
    # the customer service department has no analysis of its own
    assert supervisor.get(f"/api/v1/reports/departments/{department.pk}").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=2026-13-01&until=2026-12-31", "since"),
        ("since=2026-12-01&until=yesterday", "until"),
        ("since=1999-12-31", "since"),
        ("until=2026-02-30", "until"),
        ("period=decade", "period"),
    ],
)
def test_a_bad_period_is_refused_with_a_clear_message(client_for, routed, query, field):
    client, _user = client_for(Role.SUPERVISOR)
    for url in ("/api/v1/reports/departments", f"/api/v1/reports/departments/{routed['tech'].pk}"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 422, (url, query, response.content)
        body = response.json()
        assert field in body["detail"]
        assert [e["loc"] for e in body["errors"]] == [["query", field]]
        assert ("YYYY-MM-DD" if field != "period" else "last_month") in body["errors"][0]["msg"]


def test_a_long_or_empty_period_is_answered(client_for, routed):
    client, _user = client_for(Role.SUPERVISOR)
    data = client.get("/api/v1/reports/departments?since=2000-01-01&until=2026-12-31").json()
    assert data["note"] and data["since"] > "2016-12-01"  # cut to the last ten years
    assert {d["name"]: d["complaints"] for d in data["departments"]}["技术部"] == 4
    tech = routed["tech"].pk
    quiet = client.get(f"/api/v1/reports/departments/{tech}?since=2020-01-01&until=2020-01-31")
    assert quiet.status_code == 200
    assert (quiet.json()["complaints"], quiet.json()["hours_to_plan"]) == (0, None)
    assert client.get(f"/api/v1/reports/departments/{tech}?period=last_month").status_code == 200


def test_the_service_analysis_is_in_the_openapi_schema(client_for):
    client, _user = client_for(Role.SUPERVISOR)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/reports/departments"]
    assert "get" in paths["/api/v1/reports/departments/{department_id}"]


def test_the_last_microsecond_of_a_month_and_the_first_of_the_next(make_user):
    """23:59:59.999999 Asia/Shanghai on 11-30 (15:59:59.999999 UTC) is November; 00:00:00 on 12-01
    (16:00 UTC on 11-30) is December: in the monthly pack and in the figures by month."""
    agent = make_user(Role.AGENT)
    for when in (LAST_INSTANT, FIRST_INSTANT):
        create_ticket(actor=agent, type=TicketType.CONSULTATION, subject="咨询", now=when)
    for since, until in (
        (dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
        (dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
    ):
        services.issue_pack(kind=PackKind.MONTHLY, since=since, until=until, announce=False)
    totals = {
        r.period_start.month: {f["key"]: f["total"] for f in r.content}["consultations"]
        for r in IssuedReport.objects.filter(kind=PackKind.MONTHLY)
    }
    assert totals == {11: 1, 12: 1}
    figure = registry.get_figure("consultations")
    year = selectors.ReportFilters(since=dt.date(2026, 1, 1), until=dt.date(2026, 12, 31))
    assert selectors.monthly(year)
    by_month = dict(selectors.series(figure, year))
    assert (by_month[dt.date(2026, 11, 1)], by_month[dt.date(2026, 12, 1)]) == (1, 1)
    assert sum(by_month.values()) == 2


def test_the_boards_closed_today_reads_an_index_not_every_ticket():
    """bench/reports: without an index on closed_at, "closed today" scanned every ticket (357 ms of
    the board's 804 at 1,000,000 tickets on SQLite)."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    query = Ticket.objects.filter(closed_at__range=(now - dt.timedelta(hours=5), now)).only("pk")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test tables: make it choose
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(r[-1]) for r in cursor.fetchall())
    assert "ticket_closed_at" in plan, plan


# --- the service analysis as Excel (issue 13.6) ---------------------------------------------------


def test_the_service_analysis_sheet_holds_the_pages_figures(client_for, routed):
    from kefu.accounts.models import AuditAction, AuditEntry
    from tests.spreadsheets import formula_cells, xlsx_rows

    client, user = client_for(Role.SUPERVISOR)
    tech = routed["tech"].pk
    page = client.get(f"/reports/departments/{tech}/?{DECEMBER}").content.decode()
    assert 'data-testid="dept-complaints">3<' in page and 'data-testid="dept-to-plan">15.0<' in page
    escaped = DECEMBER.replace("&", "&amp;")
    assert f'href="?{escaped}&amp;format=xlsx" data-testid="dept-export"' in page
    # the printable view says which period it covers (the filters are not printed)
    printable = client.get(f"/reports/departments/{tech}/?{DECEMBER}&print=1").content.decode()
    assert 'data-testid="dept-period">2026-12-01 至 2026-12-31<' in printable
    AuditEntry.objects.all().delete()  # signing in is audited too

    response = client.get(f"/reports/departments/{tech}/?{DECEMBER}&format=xlsx")

    assert response.status_code == 200
    assert formula_cells(response) == []
    header, *rows = [[c if c != "" else None for c in row] for row in xlsx_rows(response)]
    assert header == ["栏目", "项目", "本期", "上期", "变化", "变化（%）", "说明"]
    report, blank = "服务分析报告", [None] * 4
    assert rows == [
        [report, "部门", *blank, "技术部"],
        [report, "周期", *blank, "2026-12-01 – 2026-12-31"],
        [report, "投诉数", 3, 1, 2, 200, None],  # as the page: 3 against 1, +200 %
        [report, "平均制定方案用时（小时）", 15.0, *[None] * 4],
        [report, "平均结案用时（小时）", 48.0, *[None] * 4],
        ["投诉分类", "物流 / 破损", 2, None, None, None, "重复问题"],
        ["投诉分类", "质量 / 屏幕", 1, None, None, None, None],
        ["已记录的原因", routed["first"].number, *blank, "'=批次问题<script>"],  # inert
        ["客户建议", routed["suggestion"].number, *blank, "<b>建议</b>夜间也有人接电话"],
    ]
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_type, entry.details) == (
        AuditAction.EXPORT,
        user,
        "service_analysis",
        {
            "rows": 9,
            "filters": {"department": str(tech), "since": "2026-12-01", "until": "2026-12-31"},
            "format": "xlsx",
            "full_values": False,
        },
    )


def test_hostile_causes_and_suggestions_are_inert_in_the_sheet(client_for, routed):
    from tests.spreadsheets import HOSTILE_EXPORT_STRINGS, formula_cells, inert, xlsx_rows

    hostile = [*HOSTILE_EXPORT_STRINGS, "=cmd|' /C calc'!A0"]
    agent = routed["first"].created_by
    for i, text in enumerate(hostile):
        complaint = create_ticket(
            actor=agent, type=TicketType.COMPLAINT, subject="投诉", now=at(12, 20, 0, i)
        )
        suggestion = create_ticket(
            actor=agent, type=TicketType.SUGGESTION, subject="建议", now=at(12, 20, 1, i)
        )
        Ticket.objects.filter(pk=complaint.pk).update(department=routed["tech"], cause=text)
        Ticket.objects.filter(pk=suggestion.pk).update(department=routed["tech"], subject=text)
    client, _user = client_for(Role.MANAGER)

    response = client.get(f"/reports/departments/{routed['tech'].pk}/?{DECEMBER}&format=xlsx")

    assert response.status_code == 200
    assert formula_cells(response) == []
    rows = xlsx_rows(response)
    causes = [r[6] for r in rows if r[0] == "已记录的原因"]
    subjects = [r[6] for r in rows if r[0] == "客户建议"]
    expected = [inert(t) for t in hostile]
    assert sorted(causes) == sorted([*expected, "'=批次问题<script>"])
    assert sorted(subjects) == sorted([*expected, "<b>建议</b>夜间也有人接电话"])


def test_the_sheet_is_refused_as_the_page_is(client_for, routed, department):
    from kefu.accounts.models import AuditAction, AuditEntry

    tech, store = routed["tech"].pk, routed["store"].pk
    sheet = f"?{DECEMBER}&format=xlsx"
    # reads reports but may not export: the export service's 403, audited, no file
    inspector, inspector_user = client_for(Role.INSPECTOR)
    page = inspector.get(f"/reports/departments/{tech}/?{DECEMBER}").content.decode()
    assert "dept-export" not in page
    AuditEntry.objects.all().delete()
    refused = inspector.get(f"/reports/departments/{tech}/{sheet}")
    assert refused.status_code == 403 and not refused.streaming
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_type) == (
        AuditAction.ACCESS_DENIED,
        inspector_user,
        "service_analysis",
    )
    # the department's own staff read their page, but have no export right
    staff, _user = client_for(Role.DEPARTMENT_STAFF, department=routed["tech"])
    assert staff.get(f"/reports/departments/{tech}/{sheet}").status_code == 403
    # another department's, an unknown one, the customer service department's: 404 as the page
    assert staff.get(f"/reports/departments/{store}/{sheet}").status_code == 404
    agent, _user = client_for(Role.AGENT)
    assert agent.get(f"/reports/departments/{tech}/{sheet}").status_code == 404
    supervisor, _user = client_for(Role.SUPERVISOR)
    assert supervisor.get(f"/reports/departments/999999/{sheet}").status_code == 404
    assert supervisor.get(f"/reports/departments/{department.pk}/{sheet}").status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()
