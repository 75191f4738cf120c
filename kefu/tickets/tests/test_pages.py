"""The ticket pages: saved views and filters, the loop's next steps as forms, conflicts, department
isolation by id, hostile text, the complaint statistics and their Excel export."""

import io

import openpyxl
import pytest
from django.test import Client
from django.utils import translation

from conftest import HOSTILE_STRINGS, sign_in
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.tickets.models import Ticket
from kefu.tickets.states import TicketState, TicketType

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_chinese():
    """Pages render in the user's language; these tests read them in Chinese (the default)."""
    with translation.override("zh-hans"):
        yield


def client_of(user) -> Client:
    return sign_in(Client(), user)


def test_an_agent_files_a_complaint_from_the_form(cast, category, customer):
    client = client_of(cast.agent)
    response = client.post(
        "/tickets/new/",
        {
            "type": TicketType.COMPLAINT,
            "subject": "屏幕有亮点",
            "content": "新买的显示器有三个亮点",
            "customer": customer.pk,
            "channel": "phone",
            "category": category.pk,
            "priority": "high",
            "complainant": "",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    assert (ticket.type, ticket.state, ticket.customer, ticket.complainant, ticket.priority) == (
        TicketType.COMPLAINT,
        TicketState.RECEIVED,
        customer,
        "张伟",
        "high",
    )
    page = client.get(response["Location"]).content.decode()
    assert ticket.number in page and "复述确认" in page  # the first step is offered
    assert "批准方案" not in page


def test_the_form_names_what_is_missing_and_keeps_the_input(cast):
    client = client_of(cast.agent)
    response = client.post(
        "/tickets/new/",
        {
            "type": "complaint",
            "subject": "",
            "content": "保留的内容",
            "channel": "phone",
            "priority": "normal",
        },
    )
    body = response.content.decode()
    assert (
        response.status_code == 200 and "保留的内容" in body and 'data-testid="field-error"' in body
    )
    assert not Ticket.objects.exists()


def test_each_role_sees_only_its_own_next_steps(cast, complaint_in):
    ticket = complaint_in(TicketState.PLAN_PROPOSED)
    agent_page = client_of(cast.agent).get(f"/tickets/{ticket.pk}/").content.decode()
    supervisor_page = client_of(cast.supervisor).get(f"/tickets/{ticket.pk}/").content.decode()
    assert (
        'data-testid="move-approve_plan"' not in agent_page
        and 'data-testid="no-moves"' in agent_page
    )
    assert (
        'data-testid="move-approve_plan"' in supervisor_page
        and 'data-testid="move-return_plan"' in supervisor_page
    )


def test_a_move_with_missing_input_is_refused_with_the_reason_and_nothing_changes(
    cast, complaint_in
):
    ticket = complaint_in(TicketState.ROUTED)
    client = client_of(cast.staff)
    response = client.post(
        f"/tickets/{ticket.pk}/move/record_cause/",
        {"record_cause-version": ticket.version, "record_cause-cause": "  "},
    )
    assert response.status_code == 200 and 'data-testid="field-error"' in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.state, ticket.cause) == (TicketState.ROUTED, "")


def test_the_second_of_two_agents_gets_a_conflict_with_the_fresh_state(cast, complaint_in):
    ticket = complaint_in(TicketState.RECEIVED)
    first, second = client_of(cast.agent), client_of(cast.agent2)
    data = {
        "confirm_restatement-version": ticket.version,
        "confirm_restatement-restatement": "客户确认：屏幕有亮点",
    }
    assert first.post(f"/tickets/{ticket.pk}/move/confirm_restatement/", data).status_code == 302
    late = second.post(
        f"/tickets/{ticket.pk}/move/confirm_restatement/", data, follow=True
    ).content.decode()
    assert "已被他人先行修改" in late and "已复述确认" in late
    ticket.refresh_from_db()
    assert (ticket.state, ticket.version) == (TicketState.CONFIRMED, 2)


def test_department_staff_see_only_their_departments_tickets(cast, complaint_in):
    routed = complaint_in(TicketState.ROUTED)
    not_yet = complaint_in(TicketState.RECEIVED)
    staff, other = client_of(cast.staff), client_of(cast.other_staff)
    assert staff.get(f"/tickets/{routed.pk}/").status_code == 200
    assert staff.get(f"/tickets/{not_yet.pk}/").status_code == 404
    assert other.get(f"/tickets/{routed.pk}/").status_code == 404
    assert (
        other.post(
            f"/tickets/{routed.pk}/move/record_cause/",
            {"record_cause-version": routed.version, "record_cause-cause": "x"},
        ).status_code
        == 404
    )
    assert AuditEntry.objects.filter(
        action=AuditAction.ACCESS_DENIED, object_id=str(routed.pk)
    ).exists()
    listing = staff.get("/tickets/").content.decode()
    assert routed.number in listing and not_yet.number not in listing


def test_saved_views_and_filters(cast, complaint_in, new_complaint):
    waiting = complaint_in(TicketState.PLAN_PROPOSED)
    fresh = new_complaint()
    client = client_of(cast.supervisor)
    approval = client.get("/tickets/?view=awaiting_approval").content.decode()
    assert waiting.number in approval and fresh.number not in approval
    unassigned = client.get("/tickets/?view=unassigned").content.decode()
    assert fresh.number in unassigned
    by_number = client.get(f"/tickets/?q={fresh.number.lower()}").content.decode()
    assert fresh.number in by_number and waiting.number not in by_number
    by_state = client.get("/tickets/?state=plan_proposed").content.decode()
    assert waiting.number in by_state and fresh.number not in by_state


def test_bulk_assign_and_close_report_each_ticket(cast, complaint_in, new_complaint):
    from kefu.tickets.services import loop
    from kefu.tickets.services.tickets import create_ticket

    question = create_ticket(actor=cast.agent, type=TicketType.CONSULTATION, subject="发票")
    closable = loop.answer_ticket(
        actor=cast.agent, ticket_id=question.pk, expected_version=1, answer="订单页可开"
    )
    not_closable = new_complaint()
    to_evaluate = complaint_in(TicketState.RETURN_VISITED)  # closes only with its 总结评价
    client = client_of(cast.supervisor)
    client.post(
        "/tickets/bulk/",
        {
            "ticket": [closable.pk, not_closable.pk, to_evaluate.pk],
            "operation": "assign",
            "assignee": cast.agent2.pk,
        },
    )
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {cast.agent2.pk}
    page = client.post(
        "/tickets/bulk/",
        {"ticket": [closable.pk, not_closable.pk, to_evaluate.pk], "operation": "close"},
        follow=True,
    ).content.decode()
    closable.refresh_from_db()
    not_closable.refresh_from_db()
    to_evaluate.refresh_from_db()
    assert (closable.state, not_closable.state, to_evaluate.state) == (
        TicketState.CLOSED,
        TicketState.RECEIVED,
        TicketState.RETURN_VISITED,
    )
    assert "已处理 1 个工单。" in page and not_closable.number in page
    assert f"{to_evaluate.number}: " in page and "总结评价" in page


def test_an_agent_may_not_bulk_assign(cast, new_complaint):
    ticket = new_complaint()
    response = client_of(cast.agent).post(
        "/tickets/bulk/", {"ticket": [ticket.pk], "operation": "assign", "assignee": cast.agent.pk}
    )
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee is None


@pytest.mark.parametrize("hostile", HOSTILE_STRINGS)
def test_hostile_subjects_are_shown_as_text(cast, hostile):
    client = client_of(cast.agent)
    client.post(
        "/tickets/new/",
        {
            "type": "consultation",
            "subject": hostile or "空",
            "channel": "web_chat",
            "priority": "normal",
        },
    )
    ticket = Ticket.objects.get()
    for url in ("/tickets/", f"/tickets/{ticket.pk}/"):
        body = client.get(url).content.decode()
        if "<" in hostile:
            assert hostile not in body  # escaped, never markup


def test_the_complaint_statistics_and_their_export(cast, complaint_in, make_user):
    from kefu.accounts.roles import Role

    complaint_in(TicketState.CLOSED)
    complaint_in(TicketState.ROUTED)
    manager = make_user(Role.MANAGER)
    client = client_of(manager)
    page = client.get("/tickets/statistics/?since=2026-01&until=2026-12").content.decode()
    assert "投诉分类统计表" in page and "产品质量 / 屏幕故障" in page and "技术部" in page
    assert 'data-testid="total-complaints">2<' in page
    export = client.get("/tickets/statistics/?since=2026-01&until=2026-12&format=xlsx")
    assert export.status_code == 200 and export["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("月份", "分类", "部门", "投诉数")
    assert rows[1][1:6] == ("产品质量 / 屏幕故障", "技术部", 2, 2, 0)
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=manager).exists()
    assert client_of(cast.agent).get("/tickets/statistics/").status_code == 403


def test_the_workbench_shows_my_tickets_and_what_a_supervisor_must_watch(
    cast, complaint_in, new_complaint
):
    from kefu.tickets.services.tickets import assign_ticket

    waiting = complaint_in(TicketState.PLAN_PROPOSED)
    overdue = new_complaint()  # created 2026-11-23: every deadline has long passed
    assign_ticket(
        actor=cast.supervisor,
        ticket_id=overdue.pk,
        expected_version=overdue.version,
        assignee_id=cast.agent.pk,
    )
    agent_home = client_of(cast.agent).get("/").content.decode()
    assert 'data-testid="card-my-tickets"' in agent_home and overdue.number in agent_home
    assert 'data-testid="card-ticket-supervision"' not in agent_home
    boss_home = client_of(cast.supervisor).get("/").content.decode()
    assert 'data-testid="card-ticket-supervision"' in boss_home
    assert 'data-testid="breach-count">2<' in boss_home  # both tickets are past their deadlines
    assert "1 个方案等待审批" in boss_home
    staff_home = client_of(cast.staff).get("/").content.decode()
    assert (
        waiting.number in staff_home and overdue.number not in staff_home
    )  # routed to tech; the other is not


def test_the_customer_page_lists_the_customers_tickets(cast, customer, new_complaint):
    ticket = new_complaint()
    page = client_of(cast.agent).get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="customer-tickets"' in page and ticket.number in page
    assert f"/tickets/new/?customer={customer.pk}" in page


def test_department_staff_open_the_customers_of_tickets_routed_to_them_only(
    cast, complaint_in, customer
):
    from kefu.customers.models import Customer

    stranger = Customer.objects.create(name="无关客户")
    complaint_in(TicketState.ROUTED)  # the customer's complaint, routed to tech
    staff, other = client_of(cast.staff), client_of(cast.other_staff)
    page = staff.get(f"/customers/{customer.pk}/")
    assert page.status_code == 200 and "张伟" in page.content.decode()
    assert (
        "记录联系" not in page.content.decode()
    )  # they read the record; serving the customer is the CS side's
    assert staff.get(f"/customers/{stranger.pk}/").status_code == 404
    assert other.get(f"/customers/{customer.pk}/").status_code == 404
    assert staff.get("/customers/").status_code == 403  # no browsing of the archive


def test_a_reply_goes_to_the_customer_by_email_and_stays_on_the_record(
    cast, customer, new_complaint
):
    from django.core import mail

    customer.email = "zhangwei@example.cn"
    customer.save()
    ticket = new_complaint()
    client = client_of(cast.agent)
    page = client.post(
        f"/tickets/{ticket.pk}/reply/",
        {"body": "您好，我们已收到您的反馈，会在三个工作日内处理。"},
        follow=True,
    ).content.decode()
    assert "回复已发送给客户" in page and "我们已收到您的反馈" in page
    [message] = mail.outbox
    assert (
        message.to == ["zhangwei@example.cn"] and message.subject == f"[{ticket.number}] 屏幕有亮点"
    )
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    customer_page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "我们已收到您的反馈" in customer_page


def test_a_reply_that_cannot_be_sent_is_not_recorded(cast, customer, new_complaint, settings):
    from kefu.core.models import TimelineEntry

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        9,
        2,
    )  # nothing listens there
    customer.email = "zhangwei@example.cn"
    customer.save()
    ticket = new_complaint()
    page = (
        client_of(cast.agent)
        .post(f"/tickets/{ticket.pk}/reply/", {"body": "您好"}, follow=True)
        .content.decode()
    )
    assert "邮件未能发送" in page
    assert not TimelineEntry.objects.filter(kind="tickets.reply").exists()
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None


def test_the_statistics_count_breaches_per_department_and_assignee(cast, complaint_in, make_user):
    import datetime as dt

    from kefu.accounts.roles import Role
    from kefu.tickets.services.sla import sweep_sla

    complaint_in(
        TicketState.ROUTED
    )  # created 2026-11-23 10:00: its deadlines pass in the following days
    sweep_sla(dt.datetime(2026, 12, 31, 12, tzinfo=dt.UTC))
    page = (
        client_of(make_user(Role.MANAGER))
        .get("/tickets/statistics/?since=2026-11&until=2026-12")
        .content.decode()
    )
    department_table = page.split('data-testid="breaches-by-department"')[1].split("</table>")[0]
    assert "技术部" in department_table


def test_the_list_reads_its_rows_in_the_same_statements_however_many_there_are(
    cast, customer, complaint_in, new_complaint
):
    """The list reads only what its rows show (selectors.for_list_rows); nothing a row shows may be
    read again row by row: three tickets and thirteen, searched or not, cost the same statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    supervisor = client_of(cast.supervisor)

    def statements(**params) -> int:
        with CaptureQueriesContext(connection) as captured:
            page = supervisor.get("/tickets/", params).content.decode()
        assert "张伟" in page and "—" in page  # a customer's name; no assignee on a new one
        return len(captured.captured_queries)

    complaint_in(TicketState.ROUTED)  # a department, an assignee, a time limit
    new_complaint()
    new_complaint()
    few = statements(), statements(q="亮点")
    complaint_in(TicketState.ROUTED)
    for _ in range(9):
        new_complaint()
    page = supervisor.get("/tickets/").content.decode()
    assert page.count('data-state="routed"') == 2 and page.count('data-state="received"') == 11
    assert (statements(), statements(q="亮点")) == few
