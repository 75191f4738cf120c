"""Who may act on a conversation: one transition table (states.py) that the services check and the
workspace page asks. For each role and relation to the chat, a control is on the page exactly when
the action it posts is carried out; refused ones change nothing. The services' own "not found" is
a domain error with a clear message, and the conversation services import each other without a
circle."""

import ast
import json
from pathlib import Path

import pytest
from django.test import Client

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.conversations.models import Conversation, ConversationState, Message
from kefu.conversations.services.messages import send_agent_message
from kefu.conversations.services.routing import give_conversation
from kefu.conversations.states import CONVERSATION_FLOW
from kefu.conversations.tests.conftest import make_agent, make_conversation, make_inbox
from kefu.core.statemachine import RoleRefused, TransitionRefused
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}

CONTROLS = {
    "take_over": 'data-testid="take-over"',
    "transfer": 'data-testid="transfer-panel"',
    "ticket": 'data-testid="ticket-panel"',
    "close": 'data-testid="close-chat"',
    "reply": 'data-may-reply="1"',
}


def snapshot(conversation) -> tuple:
    c = Conversation.objects.get(pk=conversation.pk)
    return (c.state, c.assignee_id, c.team_id, c.version, c.messages.count())


def attempt(client, user, conversation, action: str) -> bool:
    """Post what the control posts; True when the conversation changed (the action was done)."""
    before = snapshot(conversation)
    url = f"/conversations/{conversation.pk}"
    version = Conversation.objects.get(pk=conversation.pk).version
    if action == "take_over":
        client.post(f"{url}/assign/", {"agent": "me", "version": version}, **HX)
    elif action == "transfer":
        team = TeamFactory.create()
        client.post(f"{url}/transfer/", {"target": f"team:{team.pk}", "version": version}, **HX)
    elif action == "ticket":
        client.post(f"{url}/ticket/", {"type": "consultation", "subject": "开发票"}, **HX)
    elif action == "close":
        client.post(f"{url}/close/", **HX)
    elif action == "reply":
        client.post(
            f"/api/v1/conversations/{conversation.pk}/messages",
            {"key": f"k-{user.pk}", "body": "您好"},
            content_type="application/json",
        )
    return snapshot(conversation) != before


def chat_served_by(agent, inbox, team=None):
    conversation = make_conversation(inbox)
    if team is not None:
        Conversation.objects.filter(pk=conversation.pk).update(team=team)
        conversation.refresh_from_db()
    give_conversation(conversation=conversation, agent=agent, by=None)
    return conversation


@pytest.mark.parametrize(
    "who",
    ["serving agent", "teammate", "supervisor", "manager", "inspector", "main account supervisor"],
)
def test_the_page_shows_a_control_exactly_when_the_service_allows_it(who):
    team = TeamFactory()
    serving = make_agent(teams=[team])
    user = {
        "serving agent": lambda: serving,
        "teammate": lambda: make_agent(teams=[team]),
        "supervisor": lambda: make_agent(role=Role.SUPERVISOR),
        "manager": lambda: make_agent(role=Role.MANAGER),
        "inspector": lambda: make_agent(role=Role.INSPECTOR),
        "main account supervisor": lambda: make_agent(role=Role.SUPERVISOR),
    }[who]()
    inbox = make_inbox(main_account=user if who == "main account supervisor" else None)
    client = sign_in(Client(), user)
    for action, marker in CONTROLS.items():
        conversation = chat_served_by(serving, inbox, team)
        page = client.get(f"/conversations/{conversation.pk}/", **HX)
        assert page.status_code == 200
        shown = marker in page.content.decode()
        done = attempt(client, user, conversation, action)
        assert shown == done, f"{who}: {action} shown={shown} but done={done}"


def test_the_table_refuses_by_role_with_403_and_by_state_with_400():
    agent, other = make_agent(), make_agent()
    conversation = chat_served_by(agent, make_inbox())
    with pytest.raises(RoleRefused) as refused:
        CONVERSATION_FLOW.check(conversation.state, "close", actor=other, obj=conversation)
    assert refused.value.status_code == 403
    conversation.state = ConversationState.CLOSED
    with pytest.raises(TransitionRefused) as refused:
        CONVERSATION_FLOW.check(conversation.state, "reply", actor=agent, obj=conversation)
    assert refused.value.status_code == 400 and not isinstance(refused.value, RoleRefused)
    assert CONVERSATION_FLOW.may(
        ConversationState.CLOSED, "hand_off", actor=agent, obj=conversation
    )


def test_a_missing_message_is_a_clear_not_found_through_the_api():
    agent = make_agent()
    conversation = chat_served_by(agent, make_inbox())
    message = send_agent_message(
        actor=agent, conversation=conversation, body="您好", client_key="a"
    )
    client = sign_in(Client(), agent)
    response = client.post(
        f"/api/v1/conversations/{conversation.pk}/messages/{message.pk + 1000}/resend"
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "该消息不存在。"}
    assert Message.objects.filter(conversation=conversation).count() == 1


def _imports(path: Path) -> set[str]:
    """The kefu.conversations.services modules `path` imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "kefu.conversations.services":
                names |= {alias.name for alias in node.names}
            elif node.module.startswith("kefu.conversations.services."):
                names.add(node.module.rsplit(".", 1)[1])
    return names


def test_the_conversation_services_import_each_other_without_a_circle():
    folder = Path(__file__).resolve().parents[1] / "services"
    graph = {
        p.stem: _imports(p) & {q.stem for q in folder.glob("*.py")} for p in folder.glob("*.py")
    }

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    circles = sorted(name for name in graph if reaches(name, name, {name}))
    assert circles == []
    assert "lifecycle" not in graph["messages"]  # the visitor's message is the widget service's
    assert json.dumps(sorted(graph["widget"] & {"lifecycle", "messages"})) == json.dumps(
        ["lifecycle", "messages"]
    )
