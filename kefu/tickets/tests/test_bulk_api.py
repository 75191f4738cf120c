"""POST /api/v1/tickets/bulk (issue 11.3): up to 100 tickets a call, each checked alone by the rules
of POST /tickets, one transaction, a result per item; rate limits count the items."""

import json

import pytest
from django.test import Client

from conftest import sign_in
from kefu.accounts.services import create_api_token
from kefu.core.models import TimelineEntry
from kefu.tickets.documents import TICKETS
from kefu.tickets.events import TicketAssigned, TicketCreated
from kefu.tickets.models import Ticket, TicketSearchDocument
from kefu.tickets.search import search_tickets
from kefu.tickets.services.tickets import create_ticket

pytestmark = pytest.mark.django_db


def bulk(client, items):
    return client.post(
        "/api/v1/tickets/bulk", data=json.dumps({"items": items}), content_type="application/json"
    )


def test_a_bulk_call_creates_each_ticket_as_the_single_call_does(
    cast, category, customer, events, django_capture_on_commit_callbacks
):
    single = create_ticket(actor=cast.agent, type="consultation", subject="先来的一张")
    client = sign_in(Client(), cast.supervisor)
    items = [
        {
            "type": "complaint",
            "subject": "屏幕有亮点",
            "customer_id": customer.pk,
            "category_id": category.pk,
        },
        {"type": "consultation", "subject": "发票怎么开", "content": "要专票"},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        answer = bulk(client, items)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["created"] == 2
    first, second = body["results"]
    assert (first["index"], first["status"], second["status"]) == (0, 201, 201)
    # Numbered after the single one, in the order of the items, each once.
    day, last = single.number.rsplit("-", 1)
    assert [first["number"], second["number"]] == [
        f"{day}-{int(last) + 1:04d}",
        f"{day}-{int(last) + 2:04d}",
    ]
    complaint = Ticket.objects.get(pk=first["id"])
    assert complaint.state == "received"
    assert complaint.complainant == "张伟"  # a complaint names its customer, as one by one
    assert complaint.complained_at is not None
    assert complaint.category_id == category.pk and complaint.channel == "api"
    # Deadlines as the single call counts them (same policy, same calendar, same moment).
    twin = create_ticket(
        actor=cast.supervisor,
        type="complaint",
        subject="对照",
        customer_id=customer.pk,
        category_id=category.pk,
        now=complaint.created_at,
    )
    assert (twin.first_response_due_at, twin.stage_due_at, twin.resolve_due_at) == (
        complaint.first_response_due_at,
        complaint.stage_due_at,
        complaint.resolve_due_at,
    )
    # The timeline entry of each, the events after commit, the search document.
    entries = TimelineEntry.objects.filter(kind="tickets.created", subject_id=str(complaint.pk))
    assert [e.customer_id for e in entries] == [customer.pk]
    assert entries[0].summary.startswith(complaint.number)
    created = [e.ticket_id for e in events if isinstance(e, TicketCreated)]
    assert {first["id"], second["id"]} <= set(created)
    assert TicketSearchDocument.objects.filter(pk__in=[first["id"], second["id"]]).count() == 2
    found = search_tickets(user=cast.supervisor, q="专票")
    assert list(found.values_list("pk", flat=True)) == [second["id"]]
    by_name = search_tickets(user=cast.supervisor, q="张伟").values_list("pk", flat=True)
    assert set(by_name) == {first["id"], twin.pk}  # the customer's name is in its document
    assert TICKETS.name == "tickets.ticket"


def test_each_item_is_refused_alone_and_the_others_are_created(cast, category):
    category.is_active = False
    category.save()
    client = sign_in(Client(), cast.agent)
    before = Ticket.objects.count()
    answer = bulk(
        client,
        [
            {"type": "consultation", "subject": "好的"},
            {"type": "nonsense", "subject": "类型不对"},
            {"subject": "没有类型"},
            {"type": "consultation", "subject": "   "},
            {"type": "consultation", "subject": "停用的分类", "category_id": category.pk},
            {"type": "consultation", "subject": "不存在的客户", "customer_id": 999999},
            {"type": "consultation", "subject": "x" * 201},
            "not an object",
            {"type": "suggestion", "subject": "也好"},
            {"type": "consultation", "subject": "大号", "customer_id": 2**70},  # not a 500
        ],
    )
    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    # a rule's refusal of a field is a 422 as in the one-by-one call (DomainError's field)
    assert [r["status"] for r in results] == [201, 422, 422, 422, 422, 422, 422, 422, 201, 422]
    assert results[1]["detail"] == "未知的工单类型。"
    assert "type" in results[2]["detail"]
    assert results[5]["detail"] == "此客户不存在。"
    assert all(r["id"] is None for r in results[1:8])
    assert Ticket.objects.count() == before + 2
    assert answer.json()["created"] == 2


def test_a_bulk_call_needs_the_right_to_create_and_at_most_100_items(cast):
    before = Ticket.objects.count()
    refused = bulk(sign_in(Client(), cast.inspector), [{"type": "consultation", "subject": "问"}])
    assert refused.status_code == 403
    agent = sign_in(Client(), cast.agent)
    too_many = bulk(agent, [{"type": "consultation", "subject": "问"}] * 101)
    assert too_many.status_code == 422
    assert bulk(agent, []).status_code == 422
    assert Ticket.objects.count() == before
    hundred = bulk(agent, [{"type": "consultation", "subject": f"问{i}"} for i in range(100)])
    assert hundred.json()["created"] == 100
    assert Ticket.objects.count() == before + 100


def test_an_assigned_item_is_assigned_by_the_same_rule(
    cast, events, django_capture_on_commit_callbacks
):
    """An agent may only take a ticket themselves; the bulk call has no assignee field (as the single
    call), so every ticket starts unassigned and no assignment event is sent."""
    client = sign_in(Client(), cast.agent)
    with django_capture_on_commit_callbacks(execute=True):
        answer = bulk(
            client, [{"type": "consultation", "subject": "问", "assignee_id": cast.agent2.pk}]
        )
    ticket = Ticket.objects.get(pk=answer.json()["results"][0]["id"])
    assert ticket.assignee_id is None
    assert not [e for e in events if isinstance(e, TicketAssigned)]


def test_the_rate_limit_counts_the_items_of_a_bulk_call(cast, settings):
    settings.KEFU_API_RATE_PER_TOKEN = "150/day"
    settings.KEFU_API_RATE_PER_ADDRESS = ""
    _token, raw = create_api_token(user=cast.agent, name="shop")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    items = [{"type": "consultation", "subject": f"问{i}"} for i in range(100)]
    assert bulk(client, items).status_code == 200
    before = Ticket.objects.count()
    refused = bulk(client, items)  # 200 items in the window: over 150
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 86400
    assert Ticket.objects.count() == before  # nothing of the refused call was written


def test_the_bulk_endpoint_is_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/tickets/bulk"]
