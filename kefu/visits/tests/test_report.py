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


def test_the_month_summary_rule_compliance_and_the_nominations(month, make_user, client_for):
    """回访总结报告 for the month (reach, satisfaction, grouped suggestions, on time, member coverage
    against the target) and 优秀员工提名名单: the three best averages of at least five survey answers
    in the month (Asia/Shanghai), a tie broken by the share of 5s, with the figures behind each."""
    from kefu.customers.models import Level

    zhang = make_user(Role.AGENT, display_name="小张")
    zhao = make_user(Role.AGENT, display_name="小赵")
    liu = make_user(Role.AGENT, display_name="小刘")
    survey = surveys.create_survey(
        actor=make_user(Role.SUPERVISOR), title="月度满意度", questions="score: 满意吗"
    )
    question = str(survey.questions.get().pk)

    def answered(agent, scores, *, first=None):
        first = first or at(2026, 12, 2, 10)
        for n, score in enumerate(scores):
            when = first + dt.timedelta(hours=n)
            invitation = surveys.invite(
                survey_id=survey.pk,
                customer_id=month.customer.pk,
                source=SurveyTrigger.MANUAL,
                agent_id=agent.pk,
                now=when - dt.timedelta(minutes=5),
            )
            surveys.answer_survey(
                token=surveys.token_for(invitation), answers={question: str(score)}, now=when
            )

    answered(zhang, [5, 5, 5, 5, 4, 4])  # 4.67
    answered(zhao, [5, 5, 5, 5, 3])  # 4.60, four 5s
    answered(month.other, [5, 5, 5, 4, 4], first=at(2026, 12, 1, 0, 30))  # 4.60, three 5s
    answered(month.other, [1], first=at(2026, 11, 30, 23, 30))  # November: not counted
    answered(liu, [1, 2, 5, 5, 5])  # 3.60: fourth, not on the list
    member = Customer.objects.create(name="会员甲", level=Level.MEMBER)
    done = visit(zhang, member, due=at(2026, 12, 20, 18))
    services.record_visit(
        actor=zhang,
        visit_id=done.pk,
        reached=True,
        satisfaction="satisfied",
        suggestions="多开几个充值点",
        now=at(2026, 12, 15, 10),
    )

    client, _user = client_for(Role.MANAGER)
    page = client.get("/visits/report/?month=2026-12").content.decode()
    summary = page.split('data-testid="summary"')[1].split('data-testid="compliance"')[0]
    assert "联系上 2 个（67%）" in summary  # 3 visited in December, 2 reached
    assert "满意 <strong>2</strong>" in summary
    assert "多开几个充值点 × 1" in summary
    compliance = page.split('data-testid="compliance"')[1].split("</div></div>")[0]
    assert "2 / 3 (67%)" in compliance  # the late one was not by its deadline
    assert "1 / 1（100%，目标 80%）" in compliance and "已达标" in compliance
    nominees = page.split('data-testid="nominations"')[1].split("</table>")[0]
    assert nominees.index("小张") < nominees.index("小赵") < nominees.index("小李")
    assert "小刘" not in nominees and "小王" not in nominees  # fourth; one answer only
    assert "优秀员工提名名单" in page

    api = client.get("/api/v1/visits/report", {"month": "2026-12"}).json()
    assert api["nominations"] == [
        {
            "rank": 1,
            "agent_id": zhang.pk,
            "agent": "小张",
            "answers": 6,
            "average": 4.67,
            "top_scores": 4,
            "low": 0,
            "visits_done": 1,
            "on_time_percent": 100,
            "satisfied_percent": 100,
        },
        {
            "rank": 2,
            "agent_id": zhao.pk,
            "agent": "小赵",
            "answers": 5,
            "average": 4.6,
            "top_scores": 4,
            "low": 0,
            "visits_done": 0,
            "on_time_percent": None,
            "satisfied_percent": None,
        },
        {
            "rank": 3,
            "agent_id": month.other.pk,
            "agent": "小李",
            "answers": 5,
            "average": 4.6,
            "top_scores": 3,
            "low": 0,
            "visits_done": 0,
            "on_time_percent": None,
            "satisfied_percent": None,
        },
    ]
    # the month's Excel holds the same 回访总结报告 and the list, each block under its heading
    export = client.get("/visits/report/", {"month": "2026-12", "format": "xlsx"})
    rows = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    rows = [tuple(c for c in row if c is not None) for row in rows]
    assert ("合计", 7, 3, 2, 67, 1, 100) in rows  # 小刘's two follow-ups of low scores planned
    summary_at = rows.index(("回访总结报告",))
    assert rows[summary_at + 1] == ("栏目", "项目", "数量", "总数", "百分比")
    assert ("进度", "已联系上", 2, 3, 67) in rows
    assert ("满意度", "满意", 2, 3, 67) in rows
    assert ("建议", "多开几个充值点", 1) in rows
    assert ("规范执行", "按期回访", 2, 3, 67) in rows
    assert ("规范执行", "会员回访覆盖（目标 80%）", 1, 1, 100) in rows
    listed = rows[rows.index(("优秀员工提名名单",)) + 2 :]
    assert [r[:4] for r in listed] == [
        (1, "小张", 6, 4.67),
        (2, "小赵", 5, 4.6),
        (3, "小李", 5, 4.6),
    ]
    assert listed[0][4:] == (4, 0, 1, 100, 100)
    november = client.get("/api/v1/visits/report", {"month": "2026-11"}).json()
    assert november["nominations"] == []  # one answer in November
    empty = client.get("/visits/report/?month=2026-11").content.decode()
    assert "本月没有人获得 5 份及以上的调查答卷" in empty


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


def test_the_nominations_exported_audited_formula_safe_and_printable(month, make_user, client_for):
    """优秀员工提名名单 on its own: an Excel file through the one export service (audited, a name
    that looks like a formula written as text) and a printable page (the name escaped)."""
    from kefu.accounts.models import AuditAction, AuditEntry

    hostile = make_user(Role.AGENT, display_name='=HYPERLINK("http://x")<b>')
    survey = surveys.create_survey(
        actor=make_user(Role.SUPERVISOR), title="月度满意度", questions="score: 满意吗"
    )
    question = str(survey.questions.get().pk)
    for n in range(5):
        when = at(2026, 12, 3, 10) + dt.timedelta(hours=n)
        invitation = surveys.invite(
            survey_id=survey.pk,
            customer_id=month.customer.pk,
            source=SurveyTrigger.MANUAL,
            agent_id=hostile.pk,
            now=when - dt.timedelta(minutes=5),
        )
        surveys.answer_survey(
            token=surveys.token_for(invitation), answers={question: "5"}, now=when
        )

    client, manager = client_for(Role.MANAGER)
    AuditEntry.objects.all().delete()
    export = client.get("/visits/report/nominations/", {"month": "2026-12", "format": "xlsx"})
    assert export.status_code == 200
    assert export["Content-Disposition"].endswith('nominations-2026-12.xlsx"')
    rows = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    assert rows[0][:4] == ("名次", "坐席专员", "调查答卷", "调查平均分")
    assert rows[1] == (1, '\'=HYPERLINK("http://x")<b>', 5, 5, 5, 0, 0, None, None)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_type) == (
        AuditAction.EXPORT,
        manager,
        "visit_nominations",
    )
    assert entry.details["rows"] == 1 and entry.details["filters"] == {"month": "2026-12-01"}

    printable = client.get("/visits/report/nominations/?month=2026-12")
    html = printable.content.decode()
    assert printable.status_code == 200
    assert "&lt;b&gt;" in html and "<b>" not in html.split('data-testid="nominations"')[1]
    assert 'data-testid="print-title"' in html and 'data-testid="export-nominations"' not in html
    month_page = client.get("/visits/report/?month=2026-12").content.decode()
    assert "/visits/report/nominations/?month=2026-12&format=xlsx" in month_page

    agent_client, _agent = client_for(Role.AGENT)
    assert agent_client.get("/visits/report/nominations/").status_code == 403
    assert agent_client.get("/visits/report/nominations/?format=xlsx").status_code == 403
