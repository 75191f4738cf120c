"""Every export answers the same way for the same role (issue 9.11): through the real pages, each
role asks for the customer list, the complaint statistics and the chat statistics as files.

Those with the export right (administrator, manager, supervisor) get the file and one `export` audit
entry with the filters and the row count; everybody else gets the same 403 with the same message and
an `access_denied` entry naming the export, and no file. Before the one service, the inspector got a
403 page for customers, a 403 error for complaint statistics and the chat-statistics page (200)."""

import re
from pathlib import Path

import pytest
from django.utils import translation

from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.conversations.models import SenderKind, Visitor
from kefu.conversations.services.lifecycle import assign_conversation, start_conversation
from kefu.conversations.services.messages import post_message, send_agent_message
from kefu.conversations.tests.conftest import make_agent, make_inbox
from kefu.customers.models import Customer
from kefu.exports import registry
from kefu.tickets.models import TicketCategory
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType
from kefu.visits.services import create_campaign
from tests.clock import this_month, today
from tests.spreadsheets import xlsx_rows

pytestmark = pytest.mark.django_db

# (kind, the page's export URL, the filters the audit entry records, data rows); {month}, {day}
# and {plan} are filled in when the test runs (see `data`)
EXPORTS = [
    ("aftersales_register", "/aftersales/export/?state=done&format=xlsx", {"state": "done"}, 0),
    ("customers", "/customers/export/?city=南宁市&format=xlsx", {"city": "南宁市"}, 2),
    (
        "complaint_statistics",
        "/tickets/statistics/?since={month}&until={month}&format=xlsx",
        {"since": "{month}-01", "until": "{month}-01"},
        1,
    ),
    (
        "chat_statistics",
        "/conversations/statistics/?since={day}&until={day}&format=xlsx",
        {"since": "{day}", "until": "{day}"},
        1,
    ),
    (
        "report",
        "/reports/complaints/?since={day}&until={day}&by=category&format=xlsx",
        {"figure": "complaints", "since": "{day}", "until": "{day}", "by": "category"},
        1,  # the complaint by category; then the total, two headings and the one day
    ),
    ("performance_sheets", "/quality/performance/export/?month={month}", {"month": "{month}"}, 0),
    ("reward_penalty_sheets", "/quality/sheets/export/?month={month}", {"month": "{month}"}, 0),
    (
        "visit_month_report",
        "/visits/report/?month={month}&format=xlsx",
        {"month": "{month}-01"},
        0,
    ),
    (
        "visit_nominations",
        "/visits/report/nominations/?month={month}&format=xlsx",
        {"month": "{month}-01"},
        0,
    ),
    # {plan}: the visit plan the data holds; a plan not yet issued has its progress (4 rows) and
    # the satisfaction split (3 rows), all zero
    ("visit_plan_summary", "/visits/plans/{plan}/?format=xlsx", {"campaign": "{plan}"}, 7),
]
MAY_EXPORT = {Role.ADMINISTRATOR, Role.MANAGER, Role.SUPERVISOR}
# Rows a file has besides its data: the complaint statistics add each month's 小计 and the 合计;
# the monthly sheets their signature line. The month's visit report: its summary's heading and
# column row, the reach and the satisfaction split (4), rule compliance (3), the nominations'
# heading and column row.
SUMMARY_ROWS = {
    "complaint_statistics": 2,
    "report": 4,
    "visit_month_report": 11,
    "performance_sheets": 2,  # an empty row and the signature line (prepared, approved, date)
    "reward_penalty_sheets": 2,
}


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def data(make_user):
    """Two customers in 南宁市 (one elsewhere), one complaint this month, one chat served today,
    a visit plan (its id, for the URLs that name it)."""
    Customer.objects.create(name="张伟", city="南宁市", mobile="+8613800138000")
    Customer.objects.create(name="李娜", city="南宁市", mobile="+8613900139000")
    Customer.objects.create(name="王芳", city="广州市", mobile="+8613700137000")
    agent = make_agent(username="小王", max_chats=5)
    create_ticket(
        actor=agent,
        type=TicketType.COMPLAINT,
        subject="屏幕有亮点",
        content="新买的显示器屏幕有三个亮点",
        customer_id=Customer.objects.first().pk,
        category_id=TicketCategory.objects.create(name="产品质量").pk,
    )
    supervisor = make_agent(role=Role.SUPERVISOR, username="组长")
    conversation = start_conversation(visitor=Visitor.objects.create(inbox=make_inbox()))
    post_message(conversation=conversation, sender=SenderKind.VISITOR, body="在吗")
    assign_conversation(actor=supervisor, conversation=conversation, agent=agent)
    conversation.refresh_from_db()
    send_agent_message(actor=agent, conversation=conversation, body="您好", client_key="k1")
    plan = create_campaign(
        actor=supervisor,
        title="会员回访",
        purpose="满意度回访",
        period_start=today(),
        period_end=today(),
        rules={},
    )
    return {"plan": plan.pk, "month": this_month(), "day": today().isoformat()}


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("kind", "url", "filters", "rows"), EXPORTS)
def test_each_role_gets_the_same_answer_from_every_export(
    data, client_for, role, kind, url, filters, rows
):
    client, user = client_for(role)
    AuditEntry.objects.all().delete()  # signing in is audited too
    url = url.format(**data)
    filters = {key: value.format(**data) for key, value in filters.items()}

    response = client.get(url)

    if role in MAY_EXPORT:
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        written = rows + SUMMARY_ROWS.get(kind, 0)  # the audit counts the rows of the file
        assert len(xlsx_rows(response)) == 1 + written
        entry = AuditEntry.objects.get()
        assert (entry.action, entry.actor, entry.object_type, entry.details) == (
            AuditAction.EXPORT,
            user,
            kind,
            {"rows": written, "filters": filters, "format": "xlsx", "full_values": False},
        )
    else:
        assert response.status_code == 403
        assert not response.streaming
        assert "您没有导出这些数据的权限。" in response.content.decode()
        entry = AuditEntry.objects.get()
        assert (entry.action, entry.actor, entry.object_type) == (
            AuditAction.ACCESS_DENIED,
            user,
            kind,
        )
        assert entry.details["filters"] == filters


def test_the_refusal_page_is_the_same_for_every_export(data, client_for):
    client, _inspector = client_for(Role.INSPECTOR)

    def main(url: str) -> str:
        """The page's message block (the menu around it marks the section the URL is in)."""
        response = client.get(url)
        assert response.status_code == 403
        html = response.content.decode()
        return re.sub(r"\s+", " ", html[html.index('<div class="empty">') :].split("</div>")[0])

    pages = {kind: main(url.format(**data)) for kind, url, _filters, _rows in EXPORTS}
    assert len(set(pages.values())) == 1, pages
    assert "您没有导出这些数据的权限。" in pages["customers"]


def test_every_export_is_registered_with_the_one_service():
    """A new export registers a kind; no other module writes spreadsheets by itself."""
    assert [k.name for k in registry.registered_kinds()] == [
        "aftersales_register",
        "chat_statistics",
        "complaint_statistics",
        "customers",
        "feedback_problems",
        "issued_report",
        "performance_sheets",
        "report",
        "reward_penalty_sheets",
        "service_analysis",
        "visit_month_report",
        "visit_nominations",
        "visit_plan_summary",
    ]
    root = Path(__file__).resolve().parents[2]
    writers = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "/tests/" not in str(path)
        and re.search(r"\bwrite_(xlsx|csv)\(", path.read_text(encoding="utf-8"))
    )
    # privacy/services.py: a customer's own copy of their data (PIPL) holds CSV files in its zip,
    # in full by design; it has its own permission and audit (docs/privacy.md).
    assert writers == ["core/spreadsheets.py", "exports/building.py", "privacy/services.py"]


def test_statistics_pages_still_refuse_roles_without_reports(data, client_for):
    for role in (Role.AGENT, Role.DEPARTMENT_STAFF):
        client, _user = client_for(role)
        assert client.get("/tickets/statistics/").status_code == 403
        assert client.get("/conversations/statistics/").status_code == 403
    client, _inspector = client_for(Role.INSPECTOR)
    assert client.get("/tickets/statistics/").status_code == 200
    assert client.get("/conversations/statistics/").status_code == 200
