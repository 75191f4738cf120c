"""Ticket search through the list page and the API: Chinese words, number prefixes, customer names
and mobiles from the search index; kept current by the services; filtered by who may see what;
hostile queries are literal words and never an error. Runs on SQLite and on PostgreSQL alike."""

import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import sign_in
from kefu.customers.services.profiles import ContactPoints, update_customer
from kefu.tickets.models import Ticket, TicketSearchDocument
from kefu.tickets.services import loop
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketState, TicketType

pytestmark = pytest.mark.django_db

# (query, what it finds among the fixture's tickets): "refund" for the ticket holding 退款, "none",
# or "all" for a query of nothing but control characters (a blank search).
HOSTILE_QUERIES = [
    ('"', "none"),
    ("'", "none"),
    ('"退款', "refund"),
    ("退款\"'", "refund"),
    ("*", "none"),
    ("退*", "none"),
    ("OR", "none"),
    ("退款 OR 发票", "none"),
    ("退款 AND NOT 发票", "none"),
    ("NEAR(退款 发票)", "none"),
    ("NEAR", "none"),
    ("body:退款", "none"),
    ("^退款", "refund"),
    ("退款 -发票", "none"),
    ("(退款", "refund"),
    ("退款)", "refund"),
    ("{退款}", "refund"),
    ("退款\x00发票", "none"),
    ("\x00", "all"),
    ("\u0001=1+1", "none"),
    ("退款' & '发票", "none"),
    ("退款:* | 发票", "none"),
    ("!!退款", "refund"),
    ("Robert'); DROP TABLE tickets_ticket;--", "none"),
    ("<script>alert(1)</script>", "none"),
    ("😀 𠀀 \u202e", "none"),
    ("退款" * 3000, "refund"),
    ("a" * 10000, "none"),
    (" ".join(["退款"] * 200), "refund"),
    ("\\", "none"),
    ("%", "none"),
    ("_", "none"),
    ("%退%", "none"),
]


def page_numbers(client, **params) -> list[str]:
    response = client.get("/tickets/", params)
    assert response.status_code == 200
    return re.findall(
        r'<td class="text-nowrap"><a href="/tickets/\d+/">([^<]+)</a>', response.content.decode()
    )


def api_numbers(client, **params) -> list[str]:
    response = client.get("/api/v1/tickets", params)
    assert response.status_code == 200, response.content[:300]
    return [t["number"] for t in response.json()["items"]]


@pytest.fixture
def supervisor_client(cast):
    return sign_in(Client(), cast.supervisor)


@pytest.fixture
def tickets(cast, category, customer):
    """Three tickets: a refund complaint of 张伟's, an invoice question, a screen complaint."""
    refund = create_ticket(
        actor=cast.agent,
        type=TicketType.COMPLAINT,
        subject="订单显示已签收但没收到",
        content="客户要求退款，快递单号查不到",
        customer_id=customer.pk,
        category_id=category.pk,
    )
    invoice = create_ticket(
        actor=cast.agent, type=TicketType.CONSULTATION, subject="发票开错了", content="抬头写错"
    )
    screen = create_ticket(
        actor=cast.agent,
        type=TicketType.COMPLAINT,
        subject="屏幕有亮点",
        content="新买的显示器屏幕有三个亮点",
        category_id=category.pk,
    )
    return refund, invoice, screen


@pytest.mark.parametrize("via", [page_numbers, api_numbers])
def test_words_numbers_names_and_mobiles_find_tickets(
    cast, customer, tickets, via, django_capture_on_commit_callbacks
):
    refund, invoice, screen = tickets
    with django_capture_on_commit_callbacks(execute=True):
        update_customer(
            actor=cast.agent, customer=customer, contacts=ContactPoints({"mobile": ["13912345678"]})
        )
    refund.refresh_from_db()
    client = sign_in(Client(), cast.supervisor)
    day = refund.number[:10]  # TS20261123

    assert via(client, q="退款") == [refund.number]
    assert via(client, q="收到") == [refund.number]  # inside 没收到, which jieba cuts 没收 + 到
    assert via(client, q="发票") == [invoice.number]
    assert via(client, q="屏幕 亮点") == [screen.number]
    assert via(client, q="屏幕 退款") == []
    assert via(client, q="退款") == via(client, q="  退款  ")
    assert via(client, q=day[:6]) == [screen.number, invoice.number, refund.number]  # TS2026
    assert via(client, q=day.lower()) == [screen.number, invoice.number, refund.number]
    assert via(client, q=refund.number) == [refund.number]
    assert via(client, q=refund.number.lower()) == [refund.number]
    assert via(client, q="张") == [refund.number]
    assert via(client, q="张伟") == [refund.number]
    assert via(client, q="李") == []
    assert via(client, q="13912345678") == [refund.number]
    assert via(client, q="+86 139 1234 5678") == [refund.number]
    assert via(client, q="139123") == [refund.number]
    assert via(client, q="5678") == [refund.number]
    assert via(client, q="退货") == []


def test_results_are_newest_first_and_page_by_cursor(cast, supervisor_client):
    made = [
        create_ticket(actor=cast.agent, type=TicketType.CONSULTATION, subject=f"申请退款 第{i}次")
        for i in range(5)
    ]
    create_ticket(actor=cast.agent, type=TicketType.CONSULTATION, subject="询问发货时间")
    newest_first = [t.number for t in reversed(made)]
    first = supervisor_client.get("/api/v1/tickets", {"q": "退款", "limit": 2}).json()
    assert [t["number"] for t in first["items"]] == newest_first[:2]
    second = supervisor_client.get(
        "/api/v1/tickets", {"q": "退款", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [t["number"] for t in second["items"]] == newest_first[2:4]
    third = supervisor_client.get(
        "/api/v1/tickets", {"q": "退款", "limit": 2, "cursor": second["next_cursor"]}
    ).json()
    assert [t["number"] for t in third["items"]] == newest_first[4:]
    assert third["next_cursor"] is None
    assert page_numbers(supervisor_client, q="退款", order="oldest") == newest_first[::-1]
    assert page_numbers(supervisor_client, q="退款", state="closed") == []


def test_an_edited_ticket_is_found_by_its_new_words_not_its_old_ones(
    cast, complaint_in, supervisor_client
):
    ticket = complaint_in(TicketState.CONFIRMED)
    assert api_numbers(supervisor_client, q="显示器") == [ticket.number]
    loop.judge_complaint_valid(
        actor=cast.agent,
        ticket_id=ticket.pk,
        expected_version=ticket.version,
        content="笔记本电脑键盘失灵，要求换货",
    )
    assert api_numbers(supervisor_client, q="键盘") == [ticket.number]
    assert page_numbers(supervisor_client, q="换货") == [ticket.number]
    assert api_numbers(supervisor_client, q="显示器") == []
    assert page_numbers(supervisor_client, q="显示器") == []
    ticket.refresh_from_db()
    loop.record_cause(
        actor=cast.staff, ticket_id=ticket.pk, expected_version=ticket.version, cause="主板受潮"
    )
    assert api_numbers(supervisor_client, q="受潮") == [ticket.number]


def test_a_renamed_customer_is_found_by_the_new_name_after_commit(
    cast, customer, tickets, supervisor_client, django_capture_on_commit_callbacks
):
    refund = tickets[0]  # a complaint: its complainant stays 张伟, as recorded
    question = create_ticket(
        actor=cast.agent,
        type=TicketType.CONSULTATION,
        subject="咨询保修期",
        customer_id=customer.pk,
    )
    assert api_numbers(supervisor_client, q="张伟") == [question.number, refund.number]
    with django_capture_on_commit_callbacks(execute=True):
        update_customer(
            actor=cast.agent,
            customer=customer,
            name="欧阳娜娜",
            contacts=ContactPoints({"mobile": ["13800138000"]}),
        )
    assert page_numbers(supervisor_client, q="欧阳") == [question.number, refund.number]
    assert api_numbers(supervisor_client, q="13800138000") == [question.number, refund.number]
    assert api_numbers(supervisor_client, q="张伟") == [refund.number]


def test_department_staff_find_only_their_departments_tickets(cast, complaint_in, new_complaint):
    routed = complaint_in(TicketState.ROUTED)  # to tech
    not_routed = new_complaint()  # same words, still with customer service
    supervisor = sign_in(Client(), cast.supervisor)
    staff = sign_in(Client(), cast.staff)
    other = sign_in(Client(), cast.other_staff)
    both = [not_routed.number, routed.number]
    assert api_numbers(supervisor, q="亮点") == both
    assert page_numbers(supervisor, q="亮点") == both
    assert api_numbers(staff, q="亮点") == [routed.number]
    assert page_numbers(staff, q="亮点") == [routed.number]
    assert api_numbers(staff, q=not_routed.number) == []
    assert api_numbers(other, q="亮点") == []
    assert page_numbers(other, q="亮点") == []
    assert api_numbers(staff, q="亮点", view="my_department") == [routed.number]


def test_department_staff_page_past_many_tickets_they_may_not_see(cast, complaint_in, customer):
    """The index is read in growing batches, each filtered by what the user may see."""
    routed = complaint_in(TicketState.ROUTED)
    for i in range(150):
        create_ticket(actor=cast.agent, type=TicketType.CONSULTATION, subject=f"屏幕亮点 {i}")
    staff = sign_in(Client(), cast.staff)
    assert api_numbers(staff, q="亮点") == [routed.number]
    assert len(api_numbers(sign_in(Client(), cast.supervisor), q="亮点", limit=200)) == 151


def test_department_staff_page_through_their_few_of_many_matches(cast):
    """A twentieth of the matches are the staff's department's while two thirds of the tickets match:
    past the first batch the pager walks the department's own tickets and probes each one's
    document (PostgreSQL; SQLite reads on through the index). Every page newest first (or oldest
    first), no ticket twice, none left out, none of theirs that does not match."""
    made = [
        create_ticket(
            actor=cast.agent,
            type=TicketType.CONSULTATION,
            subject=f"{'发货时间' if i % 3 == 0 else '屏幕亮点'} {i}",
        )
        for i in range(300)
    ]
    theirs = [t for i, t in enumerate(made) if i % 20 == 1]
    Ticket.objects.filter(pk__in=[t.pk for t in theirs]).update(
        department_id=cast.staff.department_id
    )  # as routing would have: only the department matters to what staff see
    expected = [t.number for t in reversed(theirs) if "亮点" in t.subject]
    assert len(expected) == 10
    staff = sign_in(Client(), cast.staff)
    seen, cursor = [], None
    with CaptureQueriesContext(connection) as statements:
        while True:
            answer = staff.get(
                "/api/v1/tickets",
                {"q": "亮点", "limit": 4, **({"cursor": cursor} if cursor else {})},
            ).json()
            seen += [t["number"] for t in answer["items"]]
            cursor = answer["next_cursor"]
            if cursor is None:
                break
    assert seen == expected
    if connection.vendor == "postgresql":  # the department's tickets were probed, not filtered
        assert any("= ANY(" in q["sql"] and "@@" in q["sql"] for q in statements.captured_queries)
    assert page_numbers(staff, q="亮点") == expected
    assert page_numbers(staff, q="亮点", order="oldest") == expected[::-1]


@pytest.mark.parametrize(("query", "finds"), HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_hostile_queries_are_literal_words_and_never_an_error(cast, tickets, query, finds):
    refund, invoice, screen = tickets
    client = sign_in(Client(), cast.supervisor)
    expected = {
        "refund": [refund.number],
        "none": [],
        "all": [screen.number, invoice.number, refund.number],
    }[finds]
    assert page_numbers(client, q=query) == expected
    assert api_numbers(client, q=query) == expected


def test_the_hostile_query_is_shown_back_escaped(supervisor_client, tickets):
    html = supervisor_client.get("/tickets/", {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "没有符合条件的工单" in html or "No tickets match" in html


def test_search_rebuild_writes_every_document_again(cast, tickets, supervisor_client):
    refund = tickets[0]
    TicketSearchDocument.objects.all().delete()
    assert api_numbers(supervisor_client, q="退款") == []
    call_command("search_rebuild", verbosity=0)
    assert api_numbers(supervisor_client, q="退款") == [refund.number]
    assert TicketSearchDocument.objects.count() == 3
    call_command("search_rebuild", "tickets.ticket", verbosity=0)
    assert api_numbers(supervisor_client, q="退款") == [refund.number]


def test_the_api_refuses_nothing_it_cannot_search(cast, tickets):
    client = sign_in(Client(), cast.supervisor)
    response = client.get("/api/v1/tickets", {"q": json.dumps({"$ne": 1})})
    assert response.status_code == 200
    assert response.json()["items"] == []
