"""The chats' lists and an agent's calls at 1,000,000 rows (issue 11.2): each list read in its
order from an index, no sort of every matching row, no set of ids read whole per request, and the
rows drawn without a query each (bench/README.md, pages)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.accounts.roles import Role
from kefu.conversations import selectors
from kefu.conversations.models import Conversation
from kefu.conversations.tests.conftest import make_conversation
from kefu.core import querysets
from kefu.customers.models import Customer
from tests.plans import query_plan

pytestmark = pytest.mark.django_db

SORTS = re.compile(r"TEMP B-TREE FOR (?:RIGHT PART OF )?ORDER BY|\bSort\b")


def plan_of(qs) -> str:
    return query_plan(*qs.query.sql_with_params())


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT])
def test_each_chat_list_walks_an_index_in_its_order(make_user, role):
    user = make_user(role)
    for name in selectors.LISTS:
        plan = plan_of(selectors.conversation_list(user, name)[: selectors.LIST_SIZE])
        # PostgreSQL plans the empty test tables with a sort anyway; SQLite's plan is the one at
        # 1,000,000 rows (bench/README.md, pages).
        assert connection.vendor != "sqlite" or not SORTS.search(plan), (name, plan)
        assert "Seq Scan on conversations_conversation" not in plan, (name, plan)
    mine = plan_of(selectors.conversation_list(user, "mine")[: selectors.LIST_SIZE])
    assert "conversation_assignee_active" in mine, mine


def test_the_lists_rows_cost_no_statement_each(client_for, inbox):
    client, supervisor = client_for(Role.SUPERVISOR)
    customer = Customer.objects.create(name="张伟")
    make_conversation(inbox, name="访客甲")
    with CaptureQueriesContext(connection) as one:
        assert client.get("/conversations/?list=waiting").status_code == 200
    for i in range(5):
        make_conversation(inbox, name="" if i % 2 else "访客乙")
    Conversation.objects.filter(pk=Conversation.objects.order_by("id").last().pk).update(
        customer=customer, assignee=supervisor
    )
    with CaptureQueriesContext(connection) as six:
        page = client.get("/conversations/?list=waiting")
    assert page.status_code == 200
    assert len(re.findall(rb'data-testid="conversation-\d+"', page.content)) == 6
    assert "张伟" in page.content.decode()
    assert len(six) == len(one), [q["sql"] for q in six.captured_queries]


def test_a_busy_agents_calls_probe_each_calls_customer(make_user, monkeypatch):
    """Walking the calls newest first (many), an agent's customers are probed per call through the
    primary key and the timeline's (actor, customer_id) index, not read whole as sets first."""
    from kefu.telephony.selectors import search_calls

    monkeypatch.setattr(querysets, "FEW", 0)
    agent = make_user(Role.AGENT)
    plan = plan_of(search_calls(actor=agent)[:51])
    assert "call_started" in plan, plan
    if connection.vendor == "sqlite":  # PostgreSQL may hash a subplan over the empty test tables
        assert not SORTS.search(plan), plan
        assert "LIST SUBQUERY" not in plan, plan
        assert "timeline_actor_customer" in plan, plan
