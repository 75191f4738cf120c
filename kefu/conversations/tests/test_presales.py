"""The pre-sales checklist 欢迎语→活动告知→宝贝介绍→订单确认→收藏店铺 kept with the conversation: ticked
through the workspace (its endpoint), shown checked to whoever opens the chat later (a supervisor
too), in the transcript a ticket carries, and in the chat statistics as each agent's share of
pre-sales chats with the step done. Only the serving agent or a supervisor ticks."""

import datetime as dt
import io

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.conversations.models import PresalesTick
from kefu.conversations.services.routing import give_conversation
from kefu.conversations.tests.conftest import make_agent, make_conversation, make_inbox
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def presales_chat(agent, inbox=None):
    conversation = make_conversation(inbox or make_inbox(is_presales=True))
    give_conversation(conversation=conversation, agent=agent, by=None)
    return conversation


def tick(client, conversation, step, done="1"):
    return client.post(
        f"/conversations/{conversation.pk}/presales/", {"step": step, "done": done}, **HX
    )


def checked_steps(html: str) -> list[str]:
    return [
        step
        for step in ("welcome", "promotion", "product", "order", "favourite")
        if f'data-step="{step}" data-shortcut' in html
        and f'data-step="{step}" data-shortcut="' in html
        and html.split(f'data-step="{step}"', 1)[1].split(">", 1)[0].find("checked") >= 0
    ]


def test_a_tick_is_stored_and_shown_to_whoever_opens_the_chat_later():
    agent = make_agent(display_name="李娜")
    conversation = presales_chat(agent)
    client = sign_in(Client(), agent)
    assert tick(client, conversation, "welcome").json()["done"] is True
    assert tick(client, conversation, "product").status_code == 200
    assert tick(client, conversation, "welcome").status_code == 200  # again: kept once
    assert sorted(PresalesTick.objects.values_list("step", flat=True)) == ["product", "welcome"]

    supervisor = sign_in(Client(), make_agent(role=Role.SUPERVISOR))
    html = supervisor.get(f"/conversations/{conversation.pk}/", **HX).content.decode()
    assert checked_steps(html) == ["welcome", "product"]
    assert "李娜 于" in html  # who ticked it, and when, on the step

    assert tick(client, conversation, "product", done="0").json()["done"] is False
    html = supervisor.get(f"/conversations/{conversation.pk}/", **HX).content.decode()
    assert checked_steps(html) == ["welcome"]


def test_only_the_serving_agent_or_a_supervisor_ticks_and_only_known_steps_of_pre_sales_chats():
    agent, other = make_agent(), make_agent(role=Role.SUPERVISOR)
    conversation = presales_chat(agent)
    teammate = make_agent()
    stranger = sign_in(Client(), teammate)
    assert tick(stranger, conversation, "welcome").status_code == 404  # not theirs to see
    inspector = sign_in(Client(), make_agent(role=Role.INSPECTOR))
    refused = tick(inspector, conversation, "welcome")
    assert refused.status_code == 403 and "您的角色不接待客户" in refused.json()["error"]
    unknown = tick(sign_in(Client(), agent), conversation, "haggle")
    assert unknown.status_code == 400 and unknown.json()["error"] == "售前流程中没有这个步骤。"
    plain = presales_chat(agent, make_inbox())
    assert tick(sign_in(Client(), agent), plain, "welcome").status_code == 400
    assert not PresalesTick.objects.exists()
    assert tick(sign_in(Client(), other), conversation, "order").status_code == 200


def test_the_ticket_made_from_the_chat_carries_the_steps_in_its_transcript():
    from kefu.conversations.services.widget import send_visitor_message

    agent = make_agent()
    conversation = presales_chat(agent)
    send_visitor_message(
        visitor=conversation.visitor, conversation=conversation, body="有现货吗？", client_key="v"
    )
    client = sign_in(Client(), agent)
    tick(client, conversation, "welcome")
    tick(client, conversation, "promotion")
    client.post(
        f"/conversations/{conversation.pk}/ticket/",
        {"type": "consultation", "subject": "咨询现货"},
        **HX,
    )
    content = Ticket.objects.get().content
    assert content.splitlines()[-1] == "售前流程：✓欢迎语 ✓活动告知 ✗宝贝介绍 ✗订单确认 ✗收藏店铺"


def test_the_statistics_show_each_agents_share_of_pre_sales_chats_per_step():
    wang = make_agent(username="xiaowang", display_name="小王", max_chats=10)
    li = make_agent(username="xiaoli", display_name="小李", max_chats=10)
    inbox = make_inbox(is_presales=True)
    chats = [presales_chat(wang, inbox) for _ in range(4)] + [presales_chat(li, inbox)]
    presales_chat(wang, make_inbox())  # not pre-sales: not counted in the shares
    wang_client, li_client = sign_in(Client(), wang), sign_in(Client(), li)
    for conversation in chats[:4]:
        tick(wang_client, conversation, "welcome")
    tick(wang_client, chats[0], "order")
    tick(li_client, chats[4], "favourite")

    boss = sign_in(Client(), make_agent(role=Role.SUPERVISOR))
    today = timezone.localdate().isoformat()
    html = boss.get(f"/conversations/statistics/?since={today}&until={today}").content.decode()
    totals = html.split('data-testid="chat-stats-totals"', 1)[1].split("</table>", 1)[0]
    wang_row = totals.split("小王", 1)[1].split("</tr>", 1)[0]
    li_row = totals.split("小李", 1)[1].split("</tr>", 1)[0]
    assert [c.split(">")[-1] for c in wang_row.split("</td>") if "step-share" in c] == [
        "100%",
        "0%",
        "0%",
        "25%",
        "0%",
    ]
    assert [c.split(">")[-1] for c in li_row.split("</td>") if "step-share" in c] == [
        "0%",
        "0%",
        "0%",
        "0%",
        "100%",
    ]
    workbook = openpyxl.load_workbook(
        io.BytesIO(
            b"".join(
                boss.get(
                    f"/conversations/statistics/?since={today}&until={today}&format=xlsx"
                ).streaming_content
            )
        )
    )
    rows = list(workbook.active.iter_rows(values_only=True))
    header = list(rows[0])
    wang_cells = next(r for r in rows if r[1] == "小王")
    assert wang_cells[header.index("售前会话数")] == 4
    assert [wang_cells[header.index(step)] for step in ("欢迎语", "订单确认", "收藏店铺")] == [
        100,
        25,
        0,
    ]


def test_the_demo_ticks_steps_in_its_pre_sales_chats():
    from kefu.accounts.demo import build as build_accounts
    from kefu.conversations.demo import build

    build_accounts(password="Demo2026pass")
    build(password="Demo2026pass", count=30, now=dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC))
    assert PresalesTick.objects.filter(step="welcome").count() > 10
    assert set(PresalesTick.objects.values_list("step", flat=True)) == {
        "welcome",
        "promotion",
        "product",
        "order",
        "favourite",
    }
