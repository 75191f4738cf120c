"""Issue 14 items 5 and 7: a complaint upheld against an agent 投诉成立 and a customer's praise 表扬 are
records naming the agent, made by a supervisor (not numbers typed on the sheet); the reward/penalty
rules and the KPIs count them; an agent may not record, an invalid complaint cannot be upheld, a
complaint is upheld once per agent, a record is withdrawn with a reason — all audited."""

import pytest
from django.utils import timezone

from kefu.accounts.models import AuditAction, AuditEntry, Department
from kefu.accounts.roles import Role
from kefu.quality.kpi import facts, month_bounds
from kefu.quality.models import AgentRecord, RecordKind, RuleKind
from kefu.quality.services import sheet_rules
from kefu.quality.tests.conftest import GOOD_CHAT, old_agent, served_chat
from kefu.tickets.models import Ticket, TicketCategory
from kefu.tickets.services import loop
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType, Validity

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = "/quality/records/"


def complaint(agent, *, valid=True) -> Ticket:
    """A complaint through the loop: restated, then judged valid (routed) or not (closed)."""
    department = Department.objects.get_or_create(code="tech", defaults={"name": "技术部"})[0]
    category = TicketCategory.objects.get_or_create(name="服务态度")[0]
    ticket = create_ticket(
        actor=agent,
        type=TicketType.COMPLAINT,
        subject="客服态度差",
        content="客服说让我自己看说明书",
        complainant="张伟",
        complained_at=timezone.now(),
        category_id=category.pk,
        department_id=department.pk,
    )
    ticket = loop.confirm_restatement(
        actor=agent, ticket_id=ticket.pk, expected_version=ticket.version, restatement="已复述确认"
    )
    if valid:
        return loop.judge_complaint_valid(
            actor=agent,
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            department_id=department.pk,
        )
    return loop.judge_complaint_invalid(
        actor=agent,
        ticket_id=ticket.pk,
        expected_version=ticket.version,
        reason="按规定处理",
        reply="感谢反馈",
    )


def month():
    return month_bounds(timezone.localdate())


def test_a_supervisor_upholds_a_complaint_against_an_agent_and_the_rule_counts_it(client_for):
    supervisor_client, supervisor = client_for(Role.SUPERVISOR)
    agent = old_agent(display_name="王芳")
    other = old_agent(display_name="李娜")
    valid = complaint(other)
    invalid = complaint(other, valid=False)
    assert valid.validity == Validity.VALID and invalid.validity == Validity.INVALID

    page = supervisor_client.get(PAGE).content.decode()
    assert "投诉成立" in page and valid.number in page and invalid.number not in page
    form = {
        "upheld-ticket": valid.pk,
        "upheld-agent": agent.pk,
        "upheld-words": "回复中使用服务禁语",
    }
    supervisor_client.post(PAGE + "complaints/", form)
    [record] = AgentRecord.objects.all()
    assert (record.kind, record.agent, record.ticket, record.recorded_by) == (
        RecordKind.COMPLAINT_UPHELD,
        agent,
        valid,
        supervisor,
    )
    assert AuditEntry.objects.filter(
        action=AuditAction.QUALITY_REVIEW, object_type="quality.agentrecord"
    ).exists()
    listed = supervisor_client.get(PAGE).content.decode()
    assert f'data-testid="record-{record.pk}"' in listed and "回复中使用服务禁语" in listed

    # Once per complaint and agent; a complaint judged not valid cannot be upheld.
    again = supervisor_client.post(PAGE + "complaints/", form, follow=True).content.decode()
    assert "已" in again and AgentRecord.objects.count() == 1
    refused = supervisor_client.post(
        PAGE + "complaints/", {**form, "upheld-ticket": invalid.pk}, follow=True
    )
    assert AgentRecord.objects.count() == 1 and "alert" in refused.content.decode()

    start, end = month()
    row = facts(start=start, end=end, agent_ids=[agent.pk, other.pk])
    assert (row[agent.pk].complaints_upheld, row[other.pk].complaints_upheld) == (1, 0)
    lines = sheet_rules.rule_lines(start, [agent.pk, other.pk])
    assert [(ln.rule, ln.points) for ln in lines[agent.pk] if ln.rule == RuleKind.COMPLAINT] == [
        (RuleKind.COMPLAINT, -5)
    ]
    # the complaint itself names no agent: the colleague who handled it is not penalised
    assert not any(ln.rule == RuleKind.COMPLAINT for ln in lines.get(other.pk, []))

    # Withdrawn with a reason (audited): no longer counted.
    supervisor_client.post(f"{PAGE}{record.pk}/withdraw/", {"reason": ""})
    assert AgentRecord.objects.count() == 1  # no reason, nothing withdrawn
    supervisor_client.post(f"{PAGE}{record.pk}/withdraw/", {"reason": "复核后认定非该客服责任"})
    assert not AgentRecord.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.DELETE, object_id=str(record.pk)).exists()
    assert facts(start=start, end=end, agent_ids=[agent.pk])[agent.pk].complaints_upheld == 0


def test_a_customers_praise_is_recorded_for_the_agent_and_rewarded(client_for, no_random_sample):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    agent = old_agent(display_name="王芳")
    other = old_agent(display_name="李娜")
    chat, _made = served_chat(agent, GOOD_CHAT)
    not_hers, _made = served_chat(other, GOOD_CHAT)
    form = {
        "praise-agent": agent.pk,
        "praise-source": "letter",
        "praise-words": "王芳耐心细致，帮我解决了退款问题，特此表扬",
        "praise-conversation": chat.pk,
    }
    supervisor_client.post(PAGE + "praise/", form)
    refused = supervisor_client.post(
        PAGE + "praise/", {**form, "praise-conversation": not_hers.pk}, follow=True
    ).content.decode()
    assert "该会话不是此客服接待的" in refused
    supervisor_client.post(PAGE + "praise/", {**form, "praise-words": "  "})  # nothing said
    [record] = AgentRecord.objects.all()
    assert (record.kind, record.agent, record.conversation, record.source) == (
        RecordKind.PRAISE,
        agent,
        chat,
        "letter",
    )
    page = supervisor_client.get(PAGE).content.decode()
    assert "特此表扬" in page and "表扬信" in page

    start, end = month()
    row = facts(start=start, end=end, agent_ids=[agent.pk])[agent.pk]
    assert (row.praised, row.sums["praise"]) == (1, 1)  # no 5-star rating: the record alone
    lines = sheet_rules.rule_lines(start, [agent.pk])
    assert [(ln.rule, ln.points) for ln in lines[agent.pk] if ln.rule == RuleKind.PRAISE] == [
        (RuleKind.PRAISE, 5)
    ]


def test_an_agent_or_inspector_may_not_record(client_for):
    agent = old_agent()
    valid = complaint(agent)
    for role in (Role.AGENT, Role.INSPECTOR):
        client, _user = client_for(role)
        assert client.get(PAGE).status_code == 403
        praise = {"praise-agent": agent.pk, "praise-source": "phone", "praise-words": "好"}
        assert client.post(PAGE + "praise/", praise).status_code == 403
        upheld = {"upheld-ticket": valid.pk, "upheld-agent": agent.pk, "upheld-words": "x"}
        assert client.post(PAGE + "complaints/", upheld).status_code == 403
    assert not AgentRecord.objects.exists()


def test_the_complaints_indicator_counts_the_complaints_upheld_against_the_agent(
    no_random_sample,
):
    """投诉 on the KPI sheet, counted by hand: 王芳 served a chat where the customer said 投诉 and
    has two complaints upheld against her → 2; 李娜 served the same kind of chat, nothing upheld →
    0 (complaint words are not complaints); 张敏 did nothing and has nothing upheld → no value; a
    complaint judged valid but upheld against nobody counts for no one."""
    from kefu.quality.kpi import K
    from kefu.quality.services import records
    from kefu.quality.tests.test_performance import COMPLAINT_CHAT

    supervisor = old_agent(role=Role.SUPERVISOR)
    wang, li, zhang = (old_agent(display_name=n) for n in ("王芳", "李娜", "张敏"))
    served_chat(wang, COMPLAINT_CHAT)
    served_chat(wang, GOOD_CHAT)
    served_chat(li, COMPLAINT_CHAT)
    for _ in range(2):
        records.uphold_complaint(
            actor=supervisor, ticket_id=complaint(li).pk, agent_id=wang.pk, words="核实属实"
        )
    complaint(li)  # judged valid, upheld against nobody

    start, end = month()
    rows = facts(start=start, end=end, agent_ids=[wang.pk, li.pk, zhang.pk])
    assert rows[wang.pk].values[K.COMPLAINTS] == 2
    assert rows[li.pk].values[K.COMPLAINTS] == 0
    assert rows[zhang.pk].values[K.COMPLAINTS] is None
