"""One satisfaction scale everywhere (kefu.core.satisfaction: 1 非常不满意 … 5 非常满意): the complaint's
return visit records a number on the page and in the API, old text levels are migrated, and a
month's figure per agent adds a chat's rating and a return visit's answer together."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from conftest import sign_in
from kefu.conversations.models import Visitor
from kefu.conversations.services.lifecycle import close_conversation, rate_conversation
from kefu.conversations.services.routing import give_conversation
from kefu.conversations.services.widget import send_visitor_message
from kefu.conversations.tests.conftest import make_inbox
from kefu.core.satisfaction import Satisfaction
from kefu.tickets.models import Ticket
from kefu.tickets.states import TicketState


def test_the_return_visit_form_offers_the_five_chinese_levels_and_stores_the_number(
    cast, complaint_in
):
    ticket = complaint_in(TicketState.CARRIED_OUT)
    client = sign_in(Client(), cast.agent)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    for text in ("5 · 非常满意", "4 · 满意", "3 · 一般", "2 · 不满意", "1 · 非常不满意"):
        assert text in page
    response = client.post(
        f"/tickets/{ticket.pk}/move/record_return_visit/",
        {
            "record_return_visit-version": ticket.version,
            "record_return_visit-outcome": "已告知换屏结果，客户认可",
            "record_return_visit-satisfaction": "4",
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.state, ticket.satisfaction) == (TicketState.RETURN_VISITED, 4)
    detail = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "已告知换屏结果，客户认可 · 满意" in detail
    api = client.get(f"/api/v1/tickets/{ticket.pk}").json()
    assert api["satisfaction"] == 4


def test_a_level_outside_the_scale_is_refused_and_changes_nothing(cast, complaint_in):
    ticket = complaint_in(TicketState.CARRIED_OUT)
    client = sign_in(Client(), cast.agent)
    response = client.post(
        f"/api/v1/tickets/{ticket.pk}/moves/record_return_visit",
        {"version": ticket.version, "values": {"outcome": "已回访", "satisfaction": "satisfied"}},
        content_type="application/json",
    )
    assert response.status_code in (400, 422)
    ticket.refresh_from_db()
    assert (ticket.state, ticket.satisfaction) == (TicketState.CARRIED_OUT, None)


def test_a_months_satisfaction_per_agent_adds_chat_ratings_and_return_visits(cast, complaint_in):
    """小王 had one chat rated 2 (不满意) and one complaint whose return visit found 5 (非常满意):
    one figure, 3.50 over two answers."""
    agent = cast.agent
    inbox = make_inbox()
    visitor = Visitor.objects.create(inbox=inbox)
    message = send_visitor_message(
        visitor=visitor, conversation=None, body="快递怎么还没到", client_key="v1"
    )
    conversation = message.conversation
    give_conversation(conversation=conversation, agent=agent, by=None)
    close_conversation(conversation=conversation, actor=agent)
    rate_conversation(visitor=visitor, conversation=conversation, rating=Satisfaction.DISSATISFIED)

    ticket = complaint_in(TicketState.CARRIED_OUT)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    client = sign_in(Client(), cast.agent)
    client.post(
        f"/tickets/{ticket.pk}/move/record_return_visit/",
        {
            "record_return_visit-version": ticket.version,
            "record_return_visit-outcome": "客户对处理结果非常满意",
            "record_return_visit-satisfaction": "5",
        },
    )
    Ticket.objects.filter(pk=ticket.pk).update(return_visited_at=timezone.now())

    today = timezone.localdate().isoformat()
    page = sign_in(Client(), cast.supervisor).get(
        f"/conversations/statistics/?since={today}&until={today}"
    )
    totals = page.content.decode().split('data-testid="chat-stats-totals"', 1)[1]
    row = totals.split(str(agent), 1)[1].split("</tr>", 1)[0]
    cell = row.split('data-testid="satisfaction">', 1)[1].split("</td>", 1)[0]
    assert (
        " ".join(
            cell.replace('<span class="text-secondary small">', "").replace("</span>", "").split()
        )
        == "3.50 (2)"
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_the_complaints_text_levels_into_the_scale():
    # `migrate` as a person runs it (its signals drop and put back the reports' triggers).
    before = [("tickets", "0003_merged_into")]
    call_command("migrate", "tickets", "0003_merged_into", verbosity=0)
    old = MigrationExecutor(connection).loader.project_state(before).apps
    OldTicket = old.get_model("tickets", "Ticket")
    Department = old.get_model("accounts", "Department")
    department = Department.objects.create(code="m", name="迁移")
    levels = ["very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied", ""]
    for n, level in enumerate(levels):
        OldTicket.objects.create(
            number=f"TS20261201-{n:04d}",
            type="consultation",
            subject=f"迁移 {n}",
            satisfaction=level,
            department=department,
            created_at=timezone.now(),
            updated_at=timezone.now(),
        )
    try:
        call_command("migrate", "tickets", verbosity=0)
        stored = dict(
            Ticket.objects.filter(number__startswith="TS20261201-").values_list(
                "subject", "satisfaction"
            )
        )
        assert stored == {
            "迁移 0": 5,
            "迁移 1": 4,
            "迁移 2": 3,
            "迁移 3": 2,
            "迁移 4": 1,
            "迁移 5": None,
        }
    finally:
        call_command("migrate", verbosity=0)
