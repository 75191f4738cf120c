"""The monthly visit report 回访月报 (per agent: planned, done, on time, not reached, satisfaction;
page, Excel, API, by role) and the deadline alerts (due soon / overdue, told once each).

Events asserted here: VisitDeadline."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from kefu.accounts.roles import Role
from kefu.core.events import EVENT_TYPES, Delivery, subscribe, unsubscribe
from kefu.customers.models import Customer
from kefu.notifications.models import Notification
from kefu.visits import services
from kefu.visits.models import ReturnVisit, SurveyTrigger, VisitSource
from kefu.visits.services import surveys

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args).replace(tzinfo=SH)  # type: ignore[arg-type]


def visit(agent, customer, *, due: dt.datetime) -> ReturnVisit:
    return ReturnVisit.objects.create(
        customer=customer,
        assignee=agent,
        source=VisitSource.MANUAL,
        scheduled_at=due - dt.timedelta(days=2),
        due_at=due,
    )


@pytest.fixture
def month(make_user):
    class M:
        pass

    m = M()
    m.agent = make_user(Role.AGENT, display_name="小王")
    m.other = make_user(Role.AGENT, display_name="小李")
    m.customer = Customer.objects.create(name="张三", mobile="+8613800138000")
    on_time = visit(m.agent, m.customer, due=at(2026, 12, 10, 18))
    late = visit(m.agent, m.customer, due=at(2026, 12, 3, 18))
    visit(m.agent, m.customer, due=at(2026, 12, 28, 18))  # open, planned
    visit(m.other, m.customer, due=at(2027, 1, 5, 18))  # next month: not in December
    services.record_visit(
        actor=m.agent,
        visit_id=on_time.pk,
        reached=True,
        satisfaction="satisfied",
        now=at(2026, 12, 9, 10),
    )
    services.record_visit(
        actor=m.agent,
        visit_id=late.pk,
        reached=False,
        unreached_reason="no_answer",
        now=at(2026, 12, 4, 10),
    )
    survey = surveys.create_survey(
        actor=make_user(Role.SUPERVISOR), title="满意度", questions="score: 满意吗"
    )
    invitation = surveys.invite(
        survey_id=survey.pk,
        customer_id=m.customer.pk,
        source=SurveyTrigger.MANUAL,
        agent_id=m.agent.pk,
        now=at(2026, 12, 9, 11),
    )
    surveys.answer_survey(
        token=surveys.token_for(invitation),
        answers={str(survey.questions.get().pk): "4"},
        now=at(2026, 12, 9, 12),
    )
    return m


def test_the_month_per_agent_on_the_page_in_excel_and_the_api(month, client_for):
    client, _user = client_for(Role.SUPERVISOR)
    page = client.get("/visits/report/?month=2026-12")
    assert page.status_code == 200
    row = page.content.decode().split(f'data-testid="agent-{month.agent.pk}"')[1].split("</tr>")[0]
    cells = [c.split(">", 1)[1].split("<")[0].strip() for c in row.split("<td")[1:]]
    assert cells[:5] == ["小王", "3", "2", "1", "1"]
    assert "(50%)" in row and "100" in row and "4.0" in row
    assert f"agent-{month.other.pk}" not in page.content.decode()
    export = client.get("/visits/report/", {"month": "2026-12", "format": "xlsx"})
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("小王", 3, 2, 1, 50, 1, 100, 1, 4)
    api = client.get("/api/v1/visits/report", {"month": "2026-12"}).json()
    assert api["month"] == "2026-12-01"
    assert api["rows"] == [
        {
            "agent_id": month.agent.pk,
            "agent": "小王",
            "planned": 3,
            "done": 2,
            "on_time": 1,
            "unreachable": 1,
            "satisfied_percent": 100,
            "survey_answers": 1,
            "survey_average": 4.0,
        }
    ]
    january = client.get("/visits/report/?month=2027-01").content.decode()
    assert f"agent-{month.other.pk}" in january and f"agent-{month.agent.pk}" not in january
    assert client.get("/visits/report/?month=nonsense").status_code == 200


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.AGENT, 403), (Role.SUPERVISOR, 200), (Role.MANAGER, 200), (Role.INSPECTOR, 403)],
)
def test_who_opens_the_month_report(client_for, role, status):
    client, _user = client_for(role)
    assert client.get("/visits/report/").status_code == status
    assert client.get("/visits/report/?format=xlsx").status_code == status
    assert client.get("/api/v1/visits/report").status_code == status


def test_deadline_alerts_are_told_once_to_the_agent_and_supervisors(
    make_user, django_capture_on_commit_callbacks
):
    agent = make_user(Role.AGENT)
    supervisor = make_user(Role.SUPERVISOR)
    customer = Customer.objects.create(name="张三")
    soon = visit(agent, customer, due=at(2026, 12, 8, 18))
    overdue = visit(agent, customer, due=at(2026, 12, 7, 9))
    visit(agent, customer, due=at(2026, 12, 20, 18))  # far off: nothing
    got: list = []
    subscribe(EVENT_TYPES["visits.deadline"], got.append, mode=Delivery.INLINE)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            told = services.sweep_visit_deadlines(now=at(2026, 12, 7, 20))
        with django_capture_on_commit_callbacks(execute=True):
            again = services.sweep_visit_deadlines(now=at(2026, 12, 7, 20, 10))
    finally:
        unsubscribe(EVENT_TYPES["visits.deadline"], got.append)
    assert told == {"due_soon": 1, "overdue": 1}
    assert again == {"due_soon": 0, "overdue": 0}
    assert sorted((e.visit_id, e.kind, e.agent_id) for e in got) == sorted(
        [(soon.pk, "due_soon", agent.pk), (overdue.pk, "overdue", agent.pk)]
    )
    notices = Notification.objects.filter(kind="visits.deadline")
    assert sorted((n.recipient_id, n.link) for n in notices) == sorted(
        [
            (agent.pk, f"/visits/{soon.pk}/"),
            (agent.pk, f"/visits/{overdue.pk}/"),
            (supervisor.pk, f"/visits/{overdue.pk}/"),
        ]
    )
    assert "已超期" in notices.get(recipient=supervisor).title
    # The due-soon visit becomes overdue later: told once more, as overdue.
    with django_capture_on_commit_callbacks(execute=True):
        later = services.sweep_visit_deadlines(now=at(2026, 12, 8, 18, 5))
    assert later == {"due_soon": 0, "overdue": 1}


def test_the_report_figures_visits_on_time_and_the_score_distribution(month, client_for):
    client, _user = client_for(Role.MANAGER)
    keys = {f["key"] for f in client.get("/api/v1/reports").json()}
    assert {"visits_done", "visits_on_time", "survey_scores", "survey_average"} <= keys
    period = "since=2026-12-01&until=2026-12-31"
    done = client.get(f"/api/v1/reports/visits_done?{period}").json()
    assert done["total"] == 2
    assert [(g["label"], g["value"]) for g in done["groups"]] == [("小王", 2)]
    on_time = client.get(f"/api/v1/reports/visits_on_time?{period}").json()
    assert on_time["total"] == 50.0
    scores = client.get(f"/api/v1/reports/survey_scores?{period}&by=score").json()
    assert scores["total"] == 1
    assert [(g["label"], g["value"]) for g in scores["groups"]] == [("4", 1)]
    average = client.get(f"/api/v1/reports/survey_average?{period}").json()
    assert average["total"] == 4.0
    page = client.get(f"/reports/visits_on_time/?{period}")
    assert page.status_code == 200 and "按时" in page.content.decode()
