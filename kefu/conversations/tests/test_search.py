"""Chat search (kefu.core.search): a word of any message, or the customer's or visitor's name,
finds the chat in the workspace and in the API, at once, in every list; an agent finds only the
chats they may see; hostile queries are inert; `search_rebuild` writes the documents again; the
socket writer's batch adds the words of all its messages in its own transaction."""

import re

import pytest
from django.core.management import call_command
from django.test import Client

from conftest import HOSTILE_CONTROL_STRINGS, HOSTILE_STRINGS, sign_in
from kefu.accounts.roles import Role
from kefu.conversations.models import ConversationSearchDocument, SenderKind
from kefu.conversations.services.lifecycle import close_conversation
from kefu.conversations.services.messages import NewMessage, send_agent_message, store_messages
from kefu.conversations.services.routing import give_conversation
from kefu.conversations.services.widget import send_visitor_message
from kefu.conversations.tests.conftest import make_agent, make_conversation
from kefu.customers.services.profiles import create_customer, update_customer

pytestmark = pytest.mark.django_db


def api_ids(user, q: str, view: str = "mine") -> list[int]:
    response = sign_in(Client(), user).get("/api/v1/conversations", {"q": q, "view": view})
    assert response.status_code == 200, response.content[:300]
    return [c["id"] for c in response.json()["items"]]


def page_ids(user, q: str) -> list[int]:
    response = sign_in(Client(), user).get("/conversations/lists/", {"q": q, "list": "mine"})
    assert response.status_code == 200
    return [
        int(i) for i in re.findall(r'data-testid="conversation-(\d+)"', response.content.decode())
    ]


def served(agent, inbox, body: str, name: str = "王先生"):
    conversation = make_conversation(inbox, name=name)
    give_conversation(conversation=conversation, agent=agent, by=None)
    send_visitor_message(
        visitor=conversation.visitor, conversation=conversation, body=body, client_key="v1"
    )
    return conversation


@pytest.fixture
def agent():
    return make_agent()


@pytest.fixture
def refund(agent, inbox):
    return served(agent, inbox, "我上周买的蓝牙耳机一直没有收到，想申请退款")


@pytest.fixture
def other(agent, inbox):
    return served(agent, inbox, "发票什么时候开", name="李女士")


@pytest.mark.parametrize("query", ["退款", "蓝牙耳机", "耳机", "收到", "王先生", "王"])
def test_a_word_of_a_message_or_the_name_finds_the_chat(agent, refund, other, query):
    assert api_ids(agent, query) == [refund.pk]
    assert page_ids(agent, query) == [refund.pk]


def test_an_answer_is_found_at_once_and_a_closed_chat_too(agent, refund, other):
    send_agent_message(actor=agent, conversation=refund, body="已为您登记退货单号", client_key="a1")
    assert api_ids(agent, "退货单") == [refund.pk]
    close_conversation(conversation=refund, actor=agent)
    assert api_ids(agent, "退货单", view="waiting") == [refund.pk]  # in every list


def test_the_customers_name_finds_the_chat_and_follows_a_rename(
    agent, inbox, django_capture_on_commit_callbacks
):
    boss = make_agent(role=Role.SUPERVISOR)
    customer = create_customer(actor=boss, name="赵敏")
    conversation = make_conversation(inbox, name="访客", customer=customer)
    give_conversation(conversation=conversation, agent=agent, by=None)
    send_visitor_message(
        visitor=conversation.visitor, conversation=conversation, body="在吗", client_key="v1"
    )
    assert api_ids(agent, "赵敏") == [conversation.pk]
    with django_capture_on_commit_callbacks(execute=True):  # its chats follow after commit
        update_customer(actor=boss, customer=customer, name="赵雪")
    assert api_ids(agent, "赵雪") == [conversation.pk]
    assert api_ids(agent, "赵敏") == []


def test_the_api_pages_a_search_with_its_cursor_and_the_workspace_shows_the_first_page(
    agent, inbox
):
    chats = [served(agent, inbox, f"第{i}次催发货") for i in range(5)]
    newest_first = [c.pk for c in reversed(chats)]
    client = sign_in(Client(), agent)
    seen, cursor, pages = [], "", 0
    while True:
        response = client.get(
            "/api/v1/conversations", {"q": "催发货", "limit": 2, "cursor": cursor}
        )
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        seen += [c["id"] for c in body["items"]]
        pages += 1
        if body["next_cursor"] is None:
            break
        cursor = str(body["next_cursor"])
    assert (seen, pages) == (newest_first, 3)
    assert page_ids(agent, "催发货") == newest_first  # the same selector, one page of 100
    mine = sign_in(Client(), agent).get("/api/v1/conversations", {"view": "mine"}).json()
    assert mine["next_cursor"] is None and len(mine["items"]) == 5  # a live list: no cursor


def test_an_agent_does_not_find_a_chat_they_may_not_see(agent, refund):
    stranger = make_agent()
    supervisor = make_agent(role=Role.SUPERVISOR)
    assert api_ids(stranger, "退款") == []
    assert page_ids(stranger, "退款") == []
    assert api_ids(supervisor, "退款") == [refund.pk]


def test_one_batch_of_the_socket_writer_adds_every_messages_words(agent, refund, other):
    results = store_messages(
        [
            NewMessage(conversation_id=refund.pk, sender=SenderKind.VISITOR, body="快递单号是多少"),
            NewMessage(
                conversation_id=other.pk, sender=SenderKind.VISITOR, body="要增值税专用发票"
            ),
            NewMessage(conversation_id=refund.pk, sender=SenderKind.VISITOR, body="顺丰也可以"),
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)]
    assert api_ids(agent, "快递 顺丰") == [refund.pk]
    assert api_ids(agent, "退款 顺丰") == [refund.pk]  # the earlier words are kept
    assert api_ids(agent, "专用发票") == [other.pk]


@pytest.mark.parametrize(
    "query",
    [
        *HOSTILE_STRINGS,
        *HOSTILE_CONTROL_STRINGS,
        '"',
        "*",
        "退*",
        "退款 OR 发票",
        "NEAR(退款 发票)",
        "body:退款",
        "退款' & '发票",
        "%",
        "_",
        "a" * 10000,
    ],
)
def test_hostile_queries_are_words_and_never_an_error(agent, refund, other, query):
    assert api_ids(agent, query) == []
    assert page_ids(agent, query) in ([], [other.pk, refund.pk])  # blank: the list itself


def test_the_search_box_shows_what_was_typed_escaped(agent, refund):
    html = sign_in(Client(), agent).get("/conversations/lists/", {"q": "<b>退款</b>"}).content
    assert b"&lt;b&gt;\xe9\x80\x80\xe6\xac\xbe&lt;/b&gt;" in html


def test_search_rebuild_writes_the_documents_again(agent, refund):
    ConversationSearchDocument.objects.all().delete()
    assert api_ids(agent, "退款") == []
    call_command("search_rebuild", "conversations.conversation", verbosity=0)
    assert api_ids(agent, "退款") == [refund.pk]
