"""The visit: the agent's list for today, the script with its blanks, the 回访记录表 complete or
refused, the call it links, the timeline, the complaint in one click, and the figures for reports.

Events asserted here: VisitRecorded."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from conftest import HOSTILE_STRINGS
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.core.errors import Conflict, DomainError
from kefu.core.events import EVENT_TYPES, Delivery, subscribe, unsubscribe
from kefu.core.models import TimelineEntry
from kefu.core.statemachine import RoleRefused
from kefu.customers.models import Customer, Level
from kefu.telephony import services as telephony
from kefu.tickets.models import Ticket
from kefu.tickets.states import TicketType
from kefu.visits import selectors, services
from kefu.visits.models import ReturnVisit, VisitRecord, VisitState
from tests.spreadsheets import formula_cells, inert, xlsx_rows

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args).replace(tzinfo=SH)  # type: ignore[arg-type]


@pytest.fixture
def issued(make_user):
    supervisor, manager = make_user(Role.SUPERVISOR), make_user(Role.MANAGER)
    agent = make_user(Role.AGENT, display_name="小王")
    for i in range(2):
        Customer.objects.create(name=f"张{i}", level=Level.MEMBER, mobile="+8613800138000")
    made = services.create_campaign(
        actor=supervisor,
        title="会员回访",
        purpose="满意度回访",
        service_item="停车卡充值",
        period_start=dt.date(2026, 12, 1),
        period_end=dt.date(2026, 12, 31),
        rules={"levels": ["member"]},
    )
    services.submit_campaign(actor=supervisor, campaign_id=made.pk)
    services.decide_campaign(actor=manager, campaign_id=made.pk, approve=True)
    services.start_issuing(actor=supervisor, campaign_id=made.pk)
    services.issue_campaign(campaign_id=made.pk, now=at(2026, 12, 7, 10))

    class S:
        pass

    s = S()
    s.supervisor, s.manager, s.agent, s.campaign = supervisor, manager, agent, made
    s.visits = list(ReturnVisit.objects.order_by("id"))
    s.other = make_user(Role.AGENT)
    return s


def test_the_script_has_its_blanks_filled(issued):
    text = services.fill_script(issued.visits[0], agent=issued.agent)
    assert text.startswith("开始：您好，我是小王，请问您是张先生/小姐吗？")
    assert "停车卡充值服务项目满意吗" in text
    assert "{" not in text


def test_a_satisfied_visit_is_recorded_on_the_timeline(issued, django_capture_on_commit_callbacks):
    visit = issued.visits[0]
    got = []
    subscribe(EVENT_TYPES["visits.recorded"], got.append, mode=Delivery.INLINE)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.record_visit(
                actor=issued.agent,
                visit_id=visit.pk,
                reached=True,
                satisfaction="satisfied",
                suggestions="<script>alert(1)</script>",
                now=at(2026, 12, 7, 10, 5),
            )
    finally:
        unsubscribe(EVENT_TYPES["visits.recorded"], got.append)
    visit.refresh_from_db()
    assert visit.state == VisitState.DONE
    entry = TimelineEntry.objects.get(kind="visits.recorded")
    assert entry.customer_id == visit.customer_id and entry.actor == issued.agent
    assert "满意" in entry.summary
    assert got[0].visit_id == visit.pk and got[0].satisfaction == "satisfied"
    customer = Customer.objects.get(pk=visit.customer_id)
    assert customer.last_contacted_at == at(2026, 12, 7, 10, 5)


@pytest.mark.parametrize(
    "fields",
    [
        {"reached": True},
        {"reached": True, "satisfaction": "dissatisfied"},
        {"reached": False},
        {"reached": False, "unreached_reason": "nonsense"},
    ],
)
def test_an_incomplete_record_is_refused(issued, fields):
    visit = issued.visits[0]
    with pytest.raises(DomainError):
        services.record_visit(actor=issued.agent, visit_id=visit.pk, **fields)
    assert not VisitRecord.objects.exists()
    assert ReturnVisit.objects.get(pk=visit.pk).state == VisitState.OPEN


def test_another_agent_may_not_record_the_visit(issued):
    with pytest.raises(RoleRefused):
        services.record_visit(
            actor=issued.other, visit_id=issued.visits[0].pk, reached=False, unreached_reason="busy"
        )


def test_a_visit_is_recorded_once(issued):
    visit = issued.visits[0]
    services.record_visit(
        actor=issued.agent, visit_id=visit.pk, reached=False, unreached_reason="busy"
    )
    with pytest.raises(DomainError):
        services.record_visit(
            actor=issued.agent, visit_id=visit.pk, reached=False, unreached_reason="busy"
        )
    assert VisitRecord.objects.count() == 1


def test_a_phone_visit_links_its_call(issued):
    visit = issued.visits[0]
    call = telephony.record_call(
        actor=issued.agent,
        direction="out",
        number="13800138000",
        outcome="answered",
        customer_id=None,
    )
    record = services.record_visit(
        actor=issued.agent,
        visit_id=visit.pk,
        reached=True,
        satisfaction="satisfied",
        call_id=call.pk,
    )
    assert record.call_id == call.pk


def test_a_call_of_another_customer_is_refused(issued):
    visit = issued.visits[0]
    other = Customer.objects.create(name="别人", owner=issued.agent)
    call = telephony.record_call(
        actor=issued.agent,
        direction="out",
        number="13900139000",
        outcome="answered",
        customer_id=other.pk,
    )
    with pytest.raises(DomainError):
        services.record_visit(
            actor=issued.agent,
            visit_id=visit.pk,
            reached=True,
            satisfaction="satisfied",
            call_id=call.pk,
        )
    assert not VisitRecord.objects.exists()


def test_a_dissatisfied_answer_opens_a_complaint_once(issued):
    visit = issued.visits[0]
    services.record_visit(
        actor=issued.agent,
        visit_id=visit.pk,
        reached=True,
        satisfaction="dissatisfied",
        service_opinion="排队太久",
    )
    ticket = services.open_complaint(actor=issued.agent, visit_id=visit.pk)
    assert ticket.type == TicketType.COMPLAINT
    assert ticket.customer_id == visit.customer_id
    assert "排队太久" in ticket.content
    assert VisitRecord.objects.get().complaint_id == ticket.pk
    with pytest.raises(Conflict):
        services.open_complaint(actor=issued.agent, visit_id=visit.pk)
    assert Ticket.objects.count() == 1


def test_a_satisfied_answer_opens_no_complaint(issued):
    visit = issued.visits[0]
    services.record_visit(
        actor=issued.agent, visit_id=visit.pk, reached=True, satisfaction="satisfied"
    )
    with pytest.raises(DomainError):
        services.open_complaint(actor=issued.agent, visit_id=visit.pk)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("text", HOSTILE_STRINGS)
def test_hostile_opinions_are_stored_as_text(issued, text):
    record = services.record_visit(
        actor=issued.agent,
        visit_id=issued.visits[0].pk,
        reached=True,
        satisfaction="average",
        product_opinion=text + "\x00",
    )
    assert "\x00" not in record.product_opinion


def test_the_figures_for_reports(issued):
    a, b = issued.visits
    services.record_visit(
        actor=issued.agent,
        visit_id=a.pk,
        reached=True,
        satisfaction="satisfied",
        now=at(2026, 12, 7, 10),
    )
    services.record_visit(
        actor=issued.agent,
        visit_id=b.pk,
        reached=False,
        unreached_reason="no_answer",
        now=at(2026, 12, 8, 23, 59),
    )
    figures = selectors.visit_figures(start=dt.date(2026, 12, 7), end=dt.date(2026, 12, 8))
    assert figures == {
        "visits_done": 2,
        "reached": 1,
        "reached_rate": 0.5,
        "satisfaction": {"satisfied": 1, "average": 0, "dissatisfied": 0},
        "satisfied_rate": 1.0,
    }
    assert (
        selectors.visit_figures(start=dt.date(2026, 12, 9), end=dt.date(2026, 12, 9))["visits_done"]
        == 0
    )
    coverage = selectors.member_coverage(start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 31))
    assert (coverage["members"], coverage["visited"], coverage["percent"]) == (2, 1, 50)
    assert coverage["met"] is False


def test_the_today_list_holds_only_my_open_visits(issued):
    now = at(2026, 12, 7, 10)
    mine = [v.pk for v in issued.visits if v.assignee_id == issued.agent.pk]
    assert [v.pk for v in selectors.today_list(issued.agent, now=now)] == mine
    services.record_visit(
        actor=issued.agent, visit_id=mine[0], reached=False, unreached_reason="busy"
    )
    assert mine[0] not in [v.pk for v in selectors.today_list(issued.agent, now=now)]
    assert selectors.overdue_count(issued.agent, now=at(2027, 1, 2)) == len(mine) - 1


def test_the_plans_summary_groups_answers(issued):
    a, b = issued.visits
    services.record_visit(
        actor=issued.agent,
        visit_id=a.pk,
        reached=True,
        satisfaction="average",
        service_opinion="排队太久",
    )
    services.record_visit(
        actor=issued.agent,
        visit_id=b.pk,
        reached=True,
        satisfaction="dissatisfied",
        service_opinion="排队太久",
    )
    summary = selectors.campaign_summary(issued.campaign)
    assert (summary["done"], summary["reached"], summary["reach_percent"]) == (2, 2, 100)
    assert summary["opinions"] == [("排队太久", 2)]
    assert dict(summary["satisfaction"])["不满意"] == 1 or summary["dissatisfied"] == 1


def test_the_plans_summary_as_excel_and_printable_from_its_page(issued, client_for):
    """The summary's Excel file goes through the one export service (audited, formula-safe);
    the printable view is the summary without the forms; those who may not see plans get nothing."""
    a = issued.visits[0]
    hostile = '=HYPERLINK("http://evil","x")'
    services.record_visit(
        actor=issued.agent,
        visit_id=a.pk,
        reached=True,
        satisfaction="satisfied",
        service_opinion=hostile,
        suggestions="多开几个充值点",
    )
    client, supervisor = client_for(Role.SUPERVISOR)
    page = client.get(f"/visits/plans/{issued.campaign.pk}/").content.decode()
    assert 'data-testid="export"' in page and 'data-testid="print"' in page
    AuditEntry.objects.all().delete()

    export = client.get(f"/visits/plans/{issued.campaign.pk}/?format=xlsx")

    assert export.status_code == 200
    assert formula_cells(export) == []
    rows = xlsx_rows(export)
    assert rows[0] == ["栏目", "项目", "数量", "总数", "百分比"]
    assert ["进度", "已回访", 1, 2, 50] in rows
    assert ["满意度", "满意", 1, 1, 100] in rows
    assert ["坐席专员", "小王", 1, 2, 50] in rows
    assert ["意见", inert(hostile), 1, None, None] in rows
    assert ["建议", "多开几个充值点", 1, None, None] in rows
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_type) == (
        AuditAction.EXPORT,
        supervisor,
        "visit_plan_summary",
    )
    assert entry.details["filters"] == {"campaign": str(issued.campaign.pk)}
    assert export["Content-Disposition"].endswith(f'{issued.campaign.number}.xlsx"')

    printable = client.get(f"/visits/plans/{issued.campaign.pk}/?print=1").content.decode()
    assert 'data-testid="summary"' in printable and "多开几个充值点" in printable
    assert 'data-testid="move-form"' not in printable and 'data-testid="issue"' not in printable

    agent_client, _agent = client_for(Role.AGENT)
    refused = agent_client.get(f"/visits/plans/{issued.campaign.pk}/?format=xlsx")
    assert refused.status_code == 403
    assert client.get("/visits/plans/999999/?format=xlsx").status_code == 404
