"""Reports (issue 13.2, 13.3, 13.9): each figure against hand-counted fixtures, with the Asia/Shanghai
day and month edges; filters, the change against the previous period, the drill-down; the pack on a
frozen clock; who may open what; bad input never a 5xx."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.utils import translation

from kefu.accounts.roles import Role
from kefu.customers.models import Customer
from kefu.reports import registry, selectors, services
from kefu.reports.models import IssuedReport, PackKind
from kefu.tickets.models import Channel, Ticket
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
A, B = "民族街道", "<script>alert(1)</script>街"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SH)


@pytest.fixture(autouse=True)
def in_chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def counted(make_user):
    """Consultations: 11-30 23:30 (street B, November), 12-01 00:30 (street A: 16:30 UTC on 11-30, yet
    December), 12-02 10:00 (street A, by phone). Complaints: 12-01 00:30 (A), 12-15 09:00 (B)."""
    agent = make_user(Role.AGENT, username="wang", display_name="王芳")
    on_a = Customer.objects.create(name="李雷", region="广西", street=A)
    on_b = Customer.objects.create(name="韩梅梅", region="广西", street=B)

    def ticket(kind, when, customer, channel=Channel.OTHER) -> Ticket:
        return create_ticket(
            actor=agent,
            type=kind,
            subject=f"{kind} {when:%m%d%H%M}",
            customer_id=customer.pk,
            channel=channel,
            assignee_id=agent.pk,
            now=when,
        )

    return {
        "agent": agent,
        "tickets": [
            ticket(TicketType.CONSULTATION, at(2026, 11, 30, 23, 30), on_b),
            ticket(TicketType.CONSULTATION, at(2026, 12, 1, 0, 30), on_a),
            ticket(TicketType.CONSULTATION, at(2026, 12, 2, 10, 0), on_a, Channel.PHONE),
            ticket(TicketType.COMPLAINT, at(2026, 12, 1, 0, 30), on_a),
            ticket(TicketType.COMPLAINT, at(2026, 12, 15, 9, 0), on_b),
        ],
    }


def december(by: str = "", **values) -> selectors.ReportFilters:
    return selectors.ReportFilters(
        since=dt.date(2026, 12, 1), until=dt.date(2026, 12, 31), values=values, by=by
    )


def test_a_ticket_at_00_30_on_the_1st_belongs_to_that_day_and_month(counted):
    figure = registry.get_figure("consultations")
    result = selectors.figure_result(figure, december())
    assert result.total == 2
    assert result.previous == 1  # 10-31 … 11-30: the 23:30 one
    assert result.change == {"delta": 1, "percent": 100.0}
    series = dict(result.series)
    assert series[dt.date(2026, 12, 1)] == 1 and series[dt.date(2026, 12, 2)] == 1
    assert sum(series.values()) == 2 and len(series) == 31
    november = selectors.ReportFilters(since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 30))
    assert dict(selectors.series(figure, november))[dt.date(2026, 11, 30)] == 1


def test_filters_by_street_and_channel_and_breakdown(counted):
    consultations = registry.get_figure("consultations")
    complaints = registry.get_figure("complaints")
    assert selectors.total(consultations, december(street=A)) == 2
    assert selectors.total(consultations, december(street=B)) == 0
    assert selectors.total(consultations, december(channel=Channel.PHONE)) == 1
    assert selectors.total(complaints, december(street=B)) == 1
    assert selectors.total(consultations, december(street="无此街道")) == 0
    by, rows = selectors.breakdown(consultations, december(by="street"))
    assert by == "street"
    assert [(r["label"], r["value"], r["previous"]) for r in rows] == [(A, 2, 0)]
    by, rows = selectors.breakdown(complaints, december(by="agent"))
    assert [(r["label"], r["value"]) for r in rows] == [("王芳", 2)]
    # a filter the figure has no dimension for is left out and said so
    customers = registry.get_figure("customers")
    assert selectors.applicable(customers, december(agent="1", street=A)) == (
        {"street": A},
        ["agent"],
    )


def test_a_long_period_is_charted_by_month_and_ten_years_are_answered(counted):
    figure = registry.get_figure("complaints")
    filters = selectors.parse_filters({"since": "2016-01-01", "until": "2026-12-31"})
    assert filters.days <= selectors.MAX_DAYS and filters.note
    series = selectors.series(figure, filters)
    assert series[-1] == (dt.date(2026, 12, 1), 2)
    assert sum(v for _d, v in series) == 2


def test_parse_filters_never_fails():
    today = dt.date(2026, 12, 5)
    f = selectors.parse_filters({"since": "garbage", "until": "9999-99-99"}, today=today)
    assert (f.since, f.until) == (dt.date(2026, 11, 6), today)
    f = selectors.parse_filters({"since": "2026-12-03", "until": "2026-12-01"}, today=today)
    assert (f.since, f.until) == (dt.date(2026, 12, 1), dt.date(2026, 12, 3))
    f = selectors.parse_filters({"period": "last_month", "street": "a\x00b"}, today=today)
    assert (f.since, f.until, f.values) == (
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 30),
        {"street": "ab"},
    )


def test_share_and_average_figures(counted):
    tickets = counted["tickets"]
    Ticket.objects.filter(pk=tickets[1].pk).update(
        first_breach_at=at(2026, 12, 1, 9), satisfaction=2
    )
    Ticket.objects.filter(pk=tickets[2].pk).update(satisfaction=5)
    limits = registry.get_figure("time_limits")
    assert selectors.total(limits, december()) == 75.0  # 3 of the 4 December tickets
    assert selectors.total(registry.get_figure("satisfaction"), december()) == 3.5
    empty = selectors.ReportFilters(since=dt.date(2020, 1, 1), until=dt.date(2020, 1, 31))
    assert selectors.total(limits, empty) is None


def test_the_pack_on_a_frozen_clock(counted, make_user):
    supervisor = make_user(Role.SUPERVISOR)
    monday = at(2026, 12, 7, 0, 10)  # Monday after midnight, long before 10:00
    issued = services.issue_due_packs(now=monday)
    assert {(r.kind, r.period_start, r.period_end) for r in issued} == {
        (PackKind.DAILY, dt.date(2026, 12, 6), dt.date(2026, 12, 6)),
        (PackKind.WEEKLY, dt.date(2026, 11, 30), dt.date(2026, 12, 6)),
        (PackKind.MONTHLY, dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
    }
    assert services.issue_due_packs(now=monday + dt.timedelta(minutes=10)) == []
    weekly = IssuedReport.objects.get(kind=PackKind.WEEKLY)
    figures = {f["key"]: f for f in weekly.content}
    assert figures["consultations"]["total"] == 3  # 11-30 23:30, 12-01 00:30, 12-02
    assert figures["complaints"]["total"] == 1
    monthly = IssuedReport.objects.get(kind=PackKind.MONTHLY)
    assert {f["key"]: f["total"] for f in monthly.content}["consultations"] == 1
    # announced in the app to those who read the pack
    from kefu.notifications.models import Notification

    assert Notification.objects.filter(recipient=supervisor, kind="reports.issued").count() == 3
    # the server was down on Tuesday: Wednesday's first run makes up only what is due now
    made_up = services.issue_due_packs(now=at(2026, 12, 9, 9, 30))
    assert [(r.kind, r.period_start) for r in made_up] == [(PackKind.DAILY, dt.date(2026, 12, 8))]


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.MANAGER, Role.INSPECTOR])
def test_readers_open_every_page(client_for, counted, role):
    client, _user = client_for(role)
    services.issue_due_packs(now=at(2026, 12, 7, 0, 10))
    report = IssuedReport.objects.first()
    board = ("/reports/board/", "/reports/board/?wall=1", "/reports/board/live/")
    for url in board:  # the supervisors' board: those who assign work
        assert client.get(url).status_code == (403 if role == Role.INSPECTOR else 200), url
    for url in (
        "/reports/",
        "/reports/?period=month&street=" + A,
        "/reports/consultations/?since=2026-12-01&until=2026-12-31&street=" + A,
        "/reports/consultations/records/?since=2026-12-01&until=2026-12-31&by=street&key=" + A,
        "/reports/consultations/records/?since=2026-12-01&until=2026-12-31&day=2026-12-01",
        "/reports/issued/",
        f"/reports/issued/{report.pk}/",
        f"/reports/issued/{report.pk}/?print=1",
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", [Role.AGENT, Role.DEPARTMENT_STAFF])
def test_others_are_refused(client_for, role):
    client, _user = client_for(role)
    report = IssuedReport.objects.create(
        kind=PackKind.DAILY,
        period_start=dt.date(2026, 12, 1),
        period_end=dt.date(2026, 12, 1),
        issued_at=at(2026, 12, 2),
    )
    for url in (
        "/reports/",
        "/reports/consultations/",
        "/reports/consultations/records/",
        "/reports/consultations/?format=xlsx",
        "/reports/board/",
        "/reports/board/live/",
        "/reports/issued/",
        f"/reports/issued/{report.pk}/",
        f"/reports/issued/{report.pk}/?format=xlsx",
    ):
        assert client.get(url).status_code == 403, url


def test_the_page_shows_the_figure_escaped_and_drills_down(client_for, counted):
    client, _user = client_for(Role.SUPERVISOR)
    page = client.get(
        "/reports/consultations/?since=2026-12-01&until=2026-12-31&by=street"
    ).content.decode()
    assert "咨询" in page and 'data-testid="figure-total">2' in page
    page = client.get(
        "/reports/complaints/?since=2026-12-01&until=2026-12-31&by=street"
    ).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    records = client.get(
        "/reports/consultations/records/?since=2026-12-01&until=2026-12-31&by=street&key=" + A
    ).content.decode()
    assert records.count('data-testid="record-row"') == 2
    assert f"/tickets/{counted['tickets'][1].pk}/" in records


@pytest.mark.parametrize(
    "query",
    [
        "since=1900-01-01&until=2999-01-01",
        "since=2016-01-01&until=2026-12-31&by=street",
        "since=&until=",
        "street=%00%3Cscript%3E&agent=abc&team=-1&category=1%27--&by=nope&page=x",
        "period=year&level=vip&channel=phone",
    ],
)
def test_bad_input_is_answered(client_for, counted, query):
    client, _user = client_for(Role.SUPERVISOR)
    for key in ("consultations", "chats", "customers", "time_limits"):
        assert client.get(f"/reports/{key}/?{query}").status_code == 200
        assert client.get(f"/reports/{key}/records/?{query}&key=abc").status_code == 200
    assert client.get("/reports/no-such-figure/").status_code == 404
    assert client.get("/reports/issued/999999/").status_code == 404


def test_excel_export_of_a_figure_and_of_an_issued_report(client_for, counted):
    from kefu.accounts.models import AuditEntry

    client, user = client_for(Role.SUPERVISOR)
    response = client.get(
        "/reports/consultations/?since=2026-12-01&until=2026-12-31&by=street&format=xlsx"
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(row[:3] == [A, 2, 0] for row in values)
    assert AuditEntry.objects.filter(actor=user, action="export", object_type="report").exists()
    services.issue_due_packs(now=at(2026, 12, 7, 0, 10))
    report = IssuedReport.objects.get(kind=PackKind.WEEKLY)
    response = client.get(f"/reports/issued/{report.pk}/?format=xlsx")
    assert response.status_code == 200
    inspector, _u = client_for(Role.INSPECTOR)  # reads reports, may not export
    assert inspector.get(f"/reports/issued/{report.pk}/?format=xlsx").status_code == 403


def test_issuing_a_pack_emits_report_issued(counted, django_capture_on_commit_callbacks):
    from kefu.core.events import Delivery, subscribe, unsubscribe
    from kefu.reports.events import ReportIssued

    seen = []
    subscribe(ReportIssued, seen.append, mode=Delivery.INLINE)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            report, new = services.issue_pack(
                kind=PackKind.DAILY, since=dt.date(2026, 12, 1), until=dt.date(2026, 12, 1)
            )
        assert new
        assert seen == [
            ReportIssued(report_id=report.pk, kind=PackKind.DAILY, period_start="2026-12-01")
        ]
        with django_capture_on_commit_callbacks(execute=True):
            again, new = services.issue_pack(
                kind=PackKind.DAILY, since=dt.date(2026, 12, 1), until=dt.date(2026, 12, 1)
            )
        assert (again, new, len(seen)) == (report, False, 1)  # issued once, announced once
    finally:
        unsubscribe(ReportIssued, seen.append)


def test_the_board_counts_the_queue_and_is_refreshed_by_pushes(
    counted, monkeypatch, django_capture_on_commit_callbacks
):
    from kefu.realtime import audiences
    from kefu.reports import board

    pushed = []
    monkeypatch.setattr(audiences, "push", lambda group, payload: pushed.append((group, payload)))
    agent = counted["agent"]
    with django_capture_on_commit_callbacks(execute=True):
        create_ticket(
            actor=agent, type=TicketType.CONSULTATION, subject="今天", assignee_id=agent.pk
        )
    assert (audiences.SUPERVISORS_GROUP, {"event": "reports.board_changed"}) in pushed
    figures = board.board()
    assert figures["waiting"] == 0 and figures["today"]["tickets"] == 1
    assert "reports.board_changed" in board.REFRESH_ON


def test_the_api_gives_the_figures_and_the_issued_reports(client_for, counted):
    client, _user = client_for(Role.SUPERVISOR)
    figures = client.get("/api/v1/reports").json()
    assert {"consultations", "complaints", "chats", "customers"} <= {f["key"] for f in figures}
    data = client.get(
        "/api/v1/reports/consultations?since=2026-12-01&until=2026-12-31&street=" + A + "&by=street"
    ).json()
    assert (data["total"], data["previous"], data["delta"], data["granularity"]) == (2, 0, 2, "day")
    assert [(g["label"], g["value"]) for g in data["groups"]] == [(A, 2)]
    assert data["series"][0] == {"date": "2026-12-01", "value": 1}
    services.issue_due_packs(now=at(2026, 12, 7, 0, 10))
    issued = client.get("/api/v1/reports/issued?kind=weekly").json()
    assert [(r["kind"], r["period_start"]) for r in issued] == [("weekly", "2026-11-30")]
    detail = client.get(f"/api/v1/reports/issued/{issued[0]['id']}").json()
    assert {f["key"]: f["total"] for f in detail["figures"]}["consultations"] == 3
    assert client.get("/api/v1/reports/nothing").status_code == 404
    assert client.get("/api/v1/reports/issued/99999").status_code == 404
    assert client.get("/api/v1/reports/chats?agent=abc&team=%00").status_code == 200  # no match
    refused = client.get("/api/v1/reports/chats?since=x&until=2026-12-31")
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["query", "since"]
    agent, _a = client_for(Role.AGENT)
    for url in ("/api/v1/reports", "/api/v1/reports/consultations", "/api/v1/reports/issued"):
        assert agent.get(url).status_code == 403, url
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/reports/{key}" in schema["paths"]
    assert "/api/v1/reports/issued/{report_id}" in schema["paths"]


def test_the_region_view_puts_every_figure_by_street(client_for, counted):
    figures = registry.figures()
    table = selectors.region_table(list(figures), december(), level="street")
    keys = [f.key for f in table["figures"]]
    rows = {r["label"]: dict(zip(keys, r["values"], strict=True)) for r in table["rows"]}
    assert rows[A]["consultations"] == 2 and rows[A]["complaints"] == 1
    assert rows[B]["consultations"] == 0 and rows[B]["complaints"] == 1
    assert "agent" not in keys  # only figures that know the customer's place
    client, _user = client_for(Role.SUPERVISOR)
    page = client.get("/reports/regions/?since=2026-12-01&until=2026-12-31&place=street")
    html = page.content.decode()
    assert page.status_code == 200 and html.count('data-testid="region-row"') == 2
    assert client.get("/reports/regions/?place=%00&region=无").status_code == 200
    agent, _a = client_for(Role.AGENT)
    assert agent.get("/reports/regions/").status_code == 403


def test_the_demo_issues_past_reports_once_and_quietly(counted, make_user):
    from kefu.notifications.models import Notification
    from kefu.reports import demo

    make_user(Role.SUPERVISOR)
    demo.build(password="x")
    demo.build(password="x")
    counts = {k: IssuedReport.objects.filter(kind=k).count() for k in PackKind.values}
    assert counts == {"daily": demo.DAILY, "weekly": demo.WEEKLY, "monthly": demo.MONTHLY}
    assert not Notification.objects.filter(kind="reports.issued").exists()


def test_a_manager_chooses_who_receives_the_pack(client_for, counted, make_user):
    from kefu.accounts.models import AuditEntry
    from kefu.notifications.models import Notification

    other_supervisor = make_user(Role.SUPERVISOR)
    chosen = make_user(Role.SUPERVISOR, email="lead@example.com")
    manager, manager_user = client_for(Role.MANAGER)
    assert manager.get("/reports/recipients/").status_code == 200
    response = manager.post(
        "/reports/recipients/", {"user": [str(chosen.pk), str(counted["agent"].pk), "x"]}
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(
        actor=manager_user, object_type="reports.pack_recipients"
    ).exists()
    assert services.readers() == [chosen.pk]  # an agent cannot be chosen: no report rights
    services.issue_due_packs(now=at(2026, 12, 7, 0, 10))
    told = Notification.objects.filter(kind="reports.issued")
    assert set(told.values_list("recipient_id", flat=True)) == {chosen.pk}
    assert not told.filter(recipient=other_supervisor).exists()
    from django.core import mail

    assert {m.to[0] for m in mail.outbox} == {"lead@example.com"}
    for role in (Role.SUPERVISOR, Role.AGENT):
        client, _u = client_for(role)
        assert client.get("/reports/recipients/").status_code == 403
        assert client.post("/reports/recipients/", {"user": [str(_u.pk)]}).status_code == 403
    assert services.readers() == [chosen.pk]


def test_the_service_analysis_of_a_department(client_for, counted, make_user):
    from kefu.notifications.models import Notification
    from tests.factories import DepartmentFactory

    tech = DepartmentFactory(code="tech", name="技术部")
    store = DepartmentFactory(code="store", name="仓库")
    tickets = counted["tickets"]
    Ticket.objects.filter(pk__in=[tickets[3].pk, tickets[4].pk]).update(department=tech)
    Ticket.objects.filter(pk=tickets[3].pk).update(
        cause="<b>屏幕</b>批次问题",
        plan_decided_at=at(2026, 12, 1, 10, 30),
        closed_at=at(2026, 12, 3, 0, 30),
    )
    client, _user = client_for(Role.SUPERVISOR)
    page = client.get(f"/reports/departments/{tech.pk}/?since=2026-12-01&until=2026-12-31")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="dept-complaints">2<' in html
    assert (
        'data-testid="dept-to-plan">10.0<' in html and 'data-testid="dept-to-close">48.0<' in html
    )
    assert "&lt;b&gt;屏幕&lt;/b&gt;批次问题" in html
    staff, staff_user = client_for(Role.DEPARTMENT_STAFF, department=tech)
    assert staff.get(f"/reports/departments/{tech.pk}/").status_code == 200
    assert staff.get(f"/reports/departments/{store.pk}/").status_code == 404  # another department
    assert staff.get("/reports/departments/").status_code == 200
    assert staff.get("/reports/").status_code == 403
    agent, _a = client_for(Role.AGENT)
    assert agent.get(f"/reports/departments/{tech.pk}/").status_code == 404
    assert agent.get("/reports/departments/").status_code == 403
    # sent weekly to the department
    services.issue_due_packs(now=at(2026, 12, 7, 0, 10))
    told = Notification.objects.get(recipient=staff_user, kind="reports.department_analysis")
    assert told.link == f"/reports/departments/{tech.pk}/?since=2026-11-30&until=2026-12-06"


@pytest.mark.parametrize(
    "query",
    [
        "since=2016-12-01&until=2026-12-31",  # ten years
        "since=1900-01-01&until=2999-01-01",  # longer: cut to the last ten years
        "since=2020-01-01&until=2020-01-31",  # an empty period
        "since=2026-12-31&until=2026-12-01",  # backwards
        "since=x&until=&period=nope",
        "street=无此街道&region=无此省",  # a street with no data
        "street=%00%3Cscript%3E&agent=abc&category=1%27--&by=nope",
    ],
)
def test_the_service_analysis_and_the_region_view_answer_bad_input(client_for, counted, query):
    """Issue 13, Bad input and items 4–6: the service analysis's page, printable view and Excel
    file, and the region view, for any period and filters — never a 5xx; another department's
    link is a 404 for its staff, also printable or as a file."""
    from tests.factories import DepartmentFactory

    tech = DepartmentFactory(code="tech", name="技术部")
    store = DepartmentFactory(code="store", name="仓库")
    Ticket.objects.filter(pk=counted["tickets"][3].pk).update(department=tech)
    client, _user = client_for(Role.MANAGER)
    for suffix in ("", "&print=1", "&format=xlsx"):
        answer = client.get(f"/reports/departments/{tech.pk}/?{query}{suffix}")
        assert answer.status_code in (200, 302), suffix
    for place in ("region", "street"):
        assert client.get(f"/reports/regions/?{query}&place={place}").status_code == 200
    staff, _s = client_for(Role.DEPARTMENT_STAFF, department=tech)
    for suffix in ("", "&print=1", "&format=xlsx"):
        assert staff.get(f"/reports/departments/{store.pk}/?{query}{suffix}").status_code == 404
    assert client.get("/reports/departments/999999/").status_code == 404


def test_a_street_with_no_data_gives_zeros_not_an_error(counted):
    figure = registry.get_figure("complaints")
    assert figure is not None
    result = selectors.figure_result(figure, december(street="无此街道"))
    assert (result.total, result.previous, result.rows) == (0, 0, [])
    assert all(v == 0 for _d, v in result.series)
    empty = selectors.region_table([figure], december(street="无此街道"), level="street")
    assert empty["rows"] == []


def test_the_drill_down_links_only_the_records_the_reader_may_open(client_for):
    """An inspector reads the reports but may not open the archive: the records behind 新增客户 are
    listed without links (each answered 403); a supervisor's list links them."""
    shown = Customer.objects.create(name="李雷", region="广西", street=A)
    url = "/reports/customers/records/?period=month"
    inspector, _user = client_for(Role.INSPECTOR)
    page = inspector.get(url).content.decode()
    assert "李雷" in page and f'href="/customers/{shown.pk}/"' not in page
    assert inspector.get(f"/customers/{shown.pk}/").status_code in (403, 404)
    supervisor, _user = client_for(Role.SUPERVISOR)
    assert f'href="/customers/{shown.pk}/"' in supervisor.get(url).content.decode()


def test_every_figure_that_links_its_records_says_who_may_open_them():
    linked = [f.key for f in registry.figures() if f.record_url]
    assert linked and all(f.record_access for f in registry.figures() if f.record_url), linked
