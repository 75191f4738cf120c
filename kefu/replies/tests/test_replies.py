"""Canned replies 快捷短语: personal and team visibility, who may change which, variables, the demo set."""

import pytest
from django.test import Client
from django.utils import translation

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.conversations.tests.conftest import make_agent
from kefu.core.errors import DomainError, PermissionRefused
from kefu.replies import demo
from kefu.replies.models import CannedReply, ReplyCategory
from kefu.replies.selectors import usable_replies
from kefu.replies.services import create_reply, fill_variables
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def test_personal_team_and_everyones_replies_are_seen_by_the_right_people():
    presales, aftersales = TeamFactory(), TeamFactory()
    li, wang = make_agent(teams=[presales]), make_agent(teams=[aftersales])
    boss = make_agent(role=Role.SUPERVISOR)
    mine = create_reply(actor=li, shortcut="wo", title="老客户", body="好久不见")
    team = create_reply(
        actor=boss,
        personal=False,
        team=presales,
        shortcut="hd",
        title="活动告知",
        body="本店正在做活动",
    )
    everyone = create_reply(
        actor=boss, personal=False, team=None, shortcut="hy", title="欢迎语", body="您好！"
    )
    assert set(usable_replies(li)) == {mine, team, everyone}
    assert set(usable_replies(wang)) == {everyone}
    assert set(usable_replies(boss)) == {team, everyone}
    assert set(usable_replies(make_agent(role=Role.DEPARTMENT_STAFF))) == set()


def test_agents_cannot_make_team_replies_and_shortcuts_are_unique_per_scope():
    agent = make_agent()
    with pytest.raises(PermissionRefused):
        create_reply(actor=agent, personal=False, shortcut="hy", title="欢迎语", body="您好")
    create_reply(actor=agent, shortcut="hy", title="欢迎语", body="您好")
    with pytest.raises(DomainError, match="already used"):
        create_reply(actor=agent, shortcut="hy", title="又一条", body="您好")
    with pytest.raises(DomainError, match="shortcut"):
        create_reply(actor=agent, shortcut="has space", title="x", body="y")
    assert CannedReply.objects.count() == 1
    create_reply(
        actor=make_agent(), shortcut="hy", title="欢迎语", body="您好"
    )  # another agent's own


def test_variables_are_filled_and_missing_ones_stay_to_be_typed():
    body = "{customer_name}您好，我是客服{agent_name}，{备注}"
    assert fill_variables(body, agent_name="李娜") == "{customer_name}您好，我是客服李娜，{备注}"
    assert (
        fill_variables(body, customer_name="王先生", agent_name="李娜")
        == "王先生您好，我是客服李娜，{备注}"
    )


def test_an_agent_manages_only_their_own_replies_on_the_page():
    agent, other = make_agent(), make_agent()
    theirs = create_reply(actor=other, shortcut="x", title="别人的", body="不给你看")
    client = sign_in(Client(), agent)
    response = client.post(
        "/replies/new/",
        {
            "scope": "personal",
            "shortcut": "qs",
            "title": "确认收货",
            "category": "logistics",
            "body": "{customer_name}，请确认收货",
        },
    )
    assert response.status_code == 302
    assert CannedReply.objects.get(shortcut="qs").owner == agent
    assert client.get(f"/replies/{theirs.pk}/").status_code == 404
    assert client.post(f"/replies/{theirs.pk}/delete/").status_code == 404
    assert CannedReply.objects.filter(pk=theirs.pk).exists()
    page = client.get("/replies/").content.decode()
    assert "确认收货" in page and "不给你看" not in page
    refused = client.post(
        "/replies/new/",
        {"scope": "everyone", "shortcut": "t", "title": "t", "category": "opening", "body": "t"},
    )
    assert refused.status_code == 200 and not CannedReply.objects.filter(shortcut="t").exists()


def test_a_supervisor_keeps_team_replies_on_the_page():
    team = TeamFactory()
    boss = make_agent(role=Role.SUPERVISOR)
    client = sign_in(Client(), boss)
    client.post(
        "/replies/new/",
        {
            "scope": f"team:{team.pk}",
            "shortcut": "hd",
            "title": "活动告知",
            "category": "presales",
            "body": "本店正在做活动",
        },
    )
    assert CannedReply.objects.get(shortcut="hd").team == team


def test_the_demo_set_carries_seed_002s_standard_phrases():
    TeamFactory(name="售前组")
    demo.build(password="unused")
    demo.build(password="unused")  # idempotent
    bodies = dict(CannedReply.objects.values_list("shortcut", "body"))
    assert bodies["ax"] == "您好！请不要着急！我们会帮您解决处理好的！"
    assert bodies["gj"] == "您请稍等....我马上帮您改！"
    assert bodies["fk"] == "让您久等了，价格已改好，付款后我们会尽快安排发货！"
    assert (
        bodies["wlyc"]
        == "不好意思，还请您再耐心等待一下！我们会立即与快递公司联系，尽快将商品送达您手中"
    )
    assert bodies["bq"].startswith("您好！刚看过您给我们的评价，真的很抱歉")
    categories = set(CannedReply.objects.values_list("category", flat=True))
    assert categories == set(ReplyCategory.values)
    assert (
        CannedReply.objects.filter(category=ReplyCategory.PRESALES, team__name="售前组").count()
        == 4
    )
