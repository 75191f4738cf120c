"""Issue 9.20: the complaint statistics agree with themselves. Hand-counted fixtures: six complaints
and one consultation over two months; the table, its monthly subtotals, the total and both
breakdowns (by department, by assignee) use one definition of 超时, on the page and in the export."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client
from django.utils import translation

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.tickets.models import SlaAlert, SlaClock, SlaLevel, Ticket
from kefu.tickets.services import loop, sla
from kefu.tickets.services.tickets import assign_ticket, create_ticket
from kefu.tickets.states import TicketState, TicketType

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_chinese():
    with translation.override("zh-hans"):
        yield


def breach(ticket: Ticket, clock: str, when: dt.datetime) -> None:
    """What the sweep records when a limit passed an hour before `when` (services/sla.py)."""
    Ticket.objects.filter(pk=ticket.pk).update(
        **{sla.CLOCK_FIELDS[clock]: when - dt.timedelta(hours=1)}
    )
    assert sla._record_alert(
        ticket_id=ticket.pk, clock=clock, level=SlaLevel.BREACH, now=when, escalate_to=()
    )


def warn(ticket: Ticket, when: dt.datetime) -> None:
    SlaAlert.objects.create(
        ticket=ticket, clock=SlaClock.STAGE, level=SlaLevel.WARNING, due_at=when, recorded_at=when
    )


@pytest.fixture
def counted(cast, category, customer, warehouse, complaint_in):
    """November: A (技术部, agent) breached twice — stage and resolution — counts once; B judged
    not valid, on time; C closed on time, cost ¥120.00; D (仓库, agent2) closed, return visit late,
    cost ¥30.50. December: E not judged yet, first response breached, nobody assigned; F warned
    only (a warning is not 超时). Beside them a consultation with a breach (not a complaint) and an
    October complaint breached in November (received before the period)."""

    def complaint(day: dt.datetime, assignee=None) -> Ticket:
        ticket = create_ticket(
            actor=cast.agent,
            type=TicketType.COMPLAINT,
            subject="投诉",
            content="内容",
            customer_id=customer.pk,
            category_id=category.pk,
            now=day,
        )
        if assignee is not None:
            ticket = assign_ticket(
                actor=cast.supervisor,
                ticket_id=ticket.pk,
                expected_version=ticket.version,
                assignee_id=assignee.pk,
            )
        return ticket

    def judged(ticket: Ticket, *, department=None) -> Ticket:
        ticket = loop.confirm_restatement(
            actor=cast.agent,
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            restatement="已复述",
        )
        return loop.judge_complaint_valid(
            actor=cast.agent,
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            department_id=department.pk if department else None,
        )

    a = judged(complaint(at(2026, 11, 3, 10), cast.agent))
    breach(a, SlaClock.STAGE, at(2026, 11, 4, 10))
    breach(a, SlaClock.RESOLUTION, at(2026, 11, 6, 10))
    b = complaint(at(2026, 11, 10, 10), cast.agent)
    b = loop.confirm_restatement(
        actor=cast.agent, ticket_id=b.pk, expected_version=b.version, restatement="已复述"
    )
    loop.judge_complaint_invalid(
        actor=cast.agent, ticket_id=b.pk, expected_version=b.version, reason="非本店", reply="抱歉"
    )
    c = complaint_in(TicketState.CLOSED, now=at(2026, 11, 12, 10))  # closed with cost 120.00
    d = judged(complaint(at(2026, 11, 20, 10), cast.agent2), department=warehouse)
    Ticket.objects.filter(pk=d.pk).update(resolution_cost=Decimal("30.50"))
    breach(d, SlaClock.RETURN_VISIT, at(2026, 11, 30, 10))
    e = complaint(at(2026, 12, 1, 10))
    breach(e, SlaClock.FIRST_RESPONSE, at(2026, 12, 1, 12))
    f = complaint(at(2026, 12, 2, 10), cast.agent)
    warn(f, at(2026, 12, 2, 17))
    question = create_ticket(
        actor=cast.agent, type=TicketType.CONSULTATION, subject="问题", now=at(2026, 11, 5, 10)
    )
    breach(question, SlaClock.FIRST_RESPONSE, at(2026, 11, 5, 12))
    october = judged(complaint(at(2026, 10, 28, 10), cast.agent))
    breach(october, SlaClock.RESOLUTION, at(2026, 11, 2, 10))
    return {"a": a, "c": c, "d": d, "e": e}


def test_the_table_the_subtotals_the_total_and_both_breakdowns_agree(counted, cast, make_user):
    client = sign_in(Client(), make_user(Role.MANAGER))
    page = client.get("/tickets/statistics/?since=2026-11&until=2026-12").content.decode()
    assert page.count('data-testid="stats-month"') == 2
    subtotals = page.split('data-testid="stats-subtotal"')[1:]
    december, november = (s.split("</tr>")[0] for s in subtotals)  # newest month first
    assert "2026-12 小计" in december and "2026-11 小计" in november
    assert 'data-testid="total-complaints">6<' in page
    assert 'data-testid="total-over">3<' in page  # A, D, E: each once
    assert 'data-testid="total-visit-late">1<' in page  # D
    assert 'data-testid="total-cost">150.50<' in page  # C 120.00 + D 30.50
    departments = page.split('data-testid="breaches-by-department"')[1].split("</table>")[0]
    assert ("技术部", "1") in _pairs(departments) and ("仓库", "1") in _pairs(departments)
    assert ("—", "1") in _pairs(departments)  # E: not routed yet
    assert sum(int(n) for _name, n in _pairs(departments)) == 3
    agents = page.split('data-testid="breaches-by-agent"')[1].split("</table>")[0]
    assert sorted(int(n) for _name, n in _pairs(agents)) == [1, 1, 1]
    assert (str(cast.agent), "1") in _pairs(agents) and (str(cast.agent2), "1") in _pairs(agents)

    export = client.get("/tickets/statistics/?since=2026-11&until=2026-12&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "月份",
        "分类",
        "部门",
        "投诉数",
        "有效",
        "无效",
        "未判断",
        "未超时",
        "超时",
        "回访超时",
        "处理代价（元）",
    )
    subtotal_rows = [r for r in rows if r[1] == "小计"]
    assert [(r[0], r[3], r[8], r[9]) for r in subtotal_rows] == [
        ("2026-11", 4, 2, 1),
        ("2026-12", 2, 1, 0),
    ]
    assert rows[-1][0] == "合计" and rows[-1][3:] == (6, 3, 1, 2, 3, 3, 1, 150.5)


def _pairs(html: str) -> list[tuple[str, str]]:
    import re

    return re.findall(r"<tr><td>([^<]*)</td><td[^>]*>(\d+)</td></tr>", html)


def test_a_month_without_complaints_says_so(cast, make_user):
    page = (
        sign_in(Client(), make_user(Role.MANAGER))
        .get("/tickets/statistics/?since=2020-01&until=2020-02")
        .content.decode()
    )
    assert "此期间没有投诉。" in page and "本期没有超时的投诉。" in page
