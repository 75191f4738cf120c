"""Routing: the fewest open conversations wins; full, offline, unskilled, other-team agents and the
routing-only main account are skipped; waiting conversations are assigned as capacity frees."""

import pytest

from kefu.accounts import services as accounts
from kefu.accounts.models import Presence, Skill
from kefu.accounts.roles import Role
from kefu.conversations.models import Conversation, ConversationState
from kefu.conversations.services.lifecycle import close_conversation
from kefu.conversations.services.routing import assign_waiting
from kefu.conversations.tests.conftest import make_agent, make_conversation, make_inbox
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def serving(agent, count: int, inbox) -> list[Conversation]:
    conversations = [make_conversation(inbox) for _ in range(count)]
    Conversation.objects.filter(pk__in=[c.pk for c in conversations]).update(
        assignee=agent,
        state=ConversationState.OPEN,
    )
    return conversations


def states(*conversations) -> list[tuple]:
    return [
        (c.state, c.assignee_id)
        for c in Conversation.objects.filter(pk__in=[c.pk for c in conversations]).order_by("pk")
    ]


def test_the_agent_with_the_fewest_open_conversations_gets_the_next_one(inbox):
    busy, light, medium = make_agent(), make_agent(), make_agent()
    serving(busy, 3, inbox)
    serving(light, 1, inbox)
    serving(medium, 2, inbox)
    waiting = make_conversation(inbox)
    assert assign_waiting() == [(waiting.pk, light.pk)]
    assert states(waiting) == [("open", light.pk)]


def test_waiting_conversations_are_spread_oldest_first(inbox):
    a, b = make_agent(), make_agent()
    first, second, third = (
        make_conversation(inbox),
        make_conversation(inbox),
        make_conversation(inbox),
    )
    made = assign_waiting()
    assert [pair[0] for pair in made] == [first.pk, second.pk, third.pk]
    loads = sorted(
        [
            sum(1 for _c, agent in made if agent == a.pk),
            sum(1 for _c, agent in made if agent == b.pk),
        ]
    )
    assert loads == [1, 2]
    assert states(first)[0][1] != states(second)[0][1]  # the second goes to the other agent


def test_full_agents_are_skipped_and_the_rest_waits(inbox):
    full = make_agent(max_chats=2)
    serving(full, 2, inbox)
    waiting = make_conversation(inbox)
    assert assign_waiting() == []
    assert states(waiting) == [("waiting", None)]


@pytest.mark.parametrize("presence", [Presence.OFFLINE, Presence.BUSY, Presence.AWAY])
def test_agents_not_online_are_skipped(inbox, presence):
    make_agent(presence=presence)
    online = make_agent()
    serving(online, 4, inbox)
    waiting = make_conversation(inbox)
    assert assign_waiting() == [(waiting.pk, online.pk)]


def test_inactive_users_and_roles_that_do_not_serve_are_skipped(inbox):
    make_agent(is_active=False)
    make_agent(role=Role.INSPECTOR)
    waiting = make_conversation(inbox)
    assert assign_waiting() == []
    assert states(waiting) == [("waiting", None)]


def test_a_needed_skill_is_matched_on_the_agent_or_their_team_and_ties_go_to_the_longest_unassigned():
    vip = Skill.objects.create(code="vip", name="VIP")
    team = TeamFactory()
    team.skills.add(vip)
    make_agent()  # idle, but without the skill
    skilled = make_agent(skills=[vip])
    serving(skilled, 3, make_inbox())
    by_team = make_agent(teams=[team])
    serving(by_team, 4, make_inbox())
    inbox = make_inbox(needed_skill=vip)
    first, second = make_conversation(inbox), make_conversation(inbox)
    # first: 3 open beats 4; second: 4 against 4, and the team agent has not been given one lately.
    assert assign_waiting() == [(first.pk, skilled.pk), (second.pk, by_team.pk)]


def test_a_teams_conversation_goes_only_to_that_teams_agents():
    team = TeamFactory()
    make_agent()  # not in the team
    member = make_agent(teams=[team])
    serving(member, 2, make_inbox())
    waiting = make_conversation(make_inbox(team=team))
    assert assign_waiting() == [(waiting.pk, member.pk)]


def test_the_routing_only_main_account_is_never_given_a_conversation():
    main = make_agent()
    inbox = make_inbox(main_account=main)
    waiting = make_conversation(inbox)
    assert assign_waiting() == []
    sub = make_agent()
    serving(sub, 3, inbox)
    assert assign_waiting() == [(waiting.pk, sub.pk)]


def test_when_capacity_frees_the_oldest_waiting_conversation_is_assigned(
    inbox, django_capture_on_commit_callbacks
):
    agent = make_agent(max_chats=1)
    current = serving(agent, 1, inbox)[0]
    older, newer = make_conversation(inbox), make_conversation(inbox)
    with django_capture_on_commit_callbacks(execute=True):
        close_conversation(conversation=current, actor=agent)
    assert states(older, newer) == [("open", agent.pk), ("waiting", None)]


def test_an_agent_coming_online_takes_the_waiting_conversations(
    inbox, django_capture_on_commit_callbacks
):
    agent = make_agent(presence=Presence.OFFLINE, max_chats=2)
    first, second, third = (
        make_conversation(inbox),
        make_conversation(inbox),
        make_conversation(inbox),
    )
    with django_capture_on_commit_callbacks(execute=True):
        accounts.set_presence(user=agent, presence=Presence.ONLINE)
    assert states(first, second, third) == [
        ("open", agent.pk),
        ("open", agent.pk),
        ("waiting", None),
    ]


def test_a_new_conversation_is_routed_when_it_starts(inbox, django_capture_on_commit_callbacks):
    agent = make_agent()
    with django_capture_on_commit_callbacks(execute=True):
        conversation = make_conversation(inbox)
    assert states(conversation) == [("open", agent.pk)]
    conversation.refresh_from_db()
    assert conversation.assigned_at is not None
