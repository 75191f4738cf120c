"""The complaint loop's last steps (seed 003): 三天之内回访 — the return visit is due three working days
after the plan is carried out, warned and breached like every other time limit — and 总结评价 — a
valid complaint closes with a summary evaluation and the cost of its resolution (处理代价, yuan)."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from conftest import sign_in
from kefu.core.models import TimelineEntry
from kefu.notifications.models import Notification
from kefu.tickets.models import Satisfaction, SlaAlert, SlaClock, SlaLevel, Ticket
from kefu.tickets.services import loop, sla
from kefu.tickets.states import TicketState

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_chinese():
    with translation.override("zh-hans"):
        yield


def carry_out(cast, ticket, when: dt.datetime) -> Ticket:
    return loop.carry_out_resolution_plan(
        actor=cast.staff, ticket_id=ticket.pk, expected_version=ticket.version, now=when
    )


@pytest.mark.parametrize(
    ("carried_out", "due"),
    [
        (at(2026, 11, 23, 10), at(2026, 11, 26, 10)),  # Monday → Thursday, same hour
        (at(2026, 11, 27, 10), at(2026, 12, 2, 10)),  # Friday → over the weekend → Wednesday
        (at(2026, 11, 27, 20), at(2026, 12, 2, 18)),  # Friday night: counting starts on Monday
        # 国庆 2026: 30 Sep 10:00 has 8 h left, 8 and 9 Oct 9 h each, then the working Saturday.
        (at(2026, 9, 30, 10), at(2026, 10, 10, 10)),
    ],
)
def test_the_return_visit_is_due_three_working_days_after_the_plan_is_carried_out(
    carried_out, due, cast, complaint_in
):
    ticket = carry_out(cast, complaint_in(TicketState.PLAN_APPROVED), carried_out)
    assert ticket.return_visit_due_at == due
    page = sign_in(Client(), cast.agent).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "回访（三个工作日内）" in page
    assert due.strftime("%m-%d %H:%M") in page.split('data-testid="return-visit-due"')[1][:300]


def test_a_late_return_visit_is_warned_then_breached_and_escalated(
    cast, complaint_in, django_capture_on_commit_callbacks
):
    ticket = carry_out(cast, complaint_in(TicketState.PLAN_APPROVED), at(2026, 11, 23, 10))
    with django_capture_on_commit_callbacks(execute=True):
        sla.sweep_sla(now=at(2026, 11, 26, 9, 30))  # half an hour before Thursday 10:00
        sla.sweep_sla(now=at(2026, 11, 26, 10, 5))
    alerts = SlaAlert.objects.filter(ticket=ticket, clock=SlaClock.RETURN_VISIT)
    assert sorted(alerts.values_list("level", flat=True)) == [SlaLevel.BREACH, SlaLevel.WARNING]
    ticket.refresh_from_db()  # the marks the statistics count (超时, 回访超时), version unchanged
    assert ticket.return_visit_breach_at == at(2026, 11, 26, 10, 5)
    assert ticket.first_breach_at <= ticket.return_visit_breach_at  # its stage limit went first
    assert Notification.objects.filter(
        recipient=cast.supervisor, kind="tickets.sla_breached", title__contains="回访"
    ).exists()
    kinds = TimelineEntry.objects.filter(subject_id=str(ticket.pk)).values_list("kind", flat=True)
    assert {"tickets.sla_warning", "tickets.sla_breach"} <= set(kinds)


def test_a_return_visit_made_in_time_raises_nothing(cast, complaint_in):
    ticket = carry_out(cast, complaint_in(TicketState.PLAN_APPROVED), at(2026, 11, 23, 10))
    loop.record_return_visit(
        actor=cast.agent,
        ticket_id=ticket.pk,
        expected_version=ticket.version,
        outcome="客户已收到新屏幕",
        satisfaction=Satisfaction.SATISFIED,
        now=at(2026, 11, 25, 15),
    )
    sla.sweep_sla(now=at(2026, 11, 27, 11))
    assert not SlaAlert.objects.filter(clock=SlaClock.RETURN_VISIT).exists()


def close_form(client, ticket, **values):
    data = {"close-version": ticket.version, **{f"close-{k}": v for k, v in values.items()}}
    return client.post(f"/tickets/{ticket.pk}/move/close/", data)


def test_a_complaint_closes_from_the_page_with_its_summary_evaluation_and_cost(cast, complaint_in):
    ticket = complaint_in(TicketState.RETURN_VISITED)
    client = sign_in(Client(), cast.agent)
    form = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "总结评价并关闭" in form and "处理代价（元）" in form
    response = close_form(client, ticket, summary="出厂漏检；已要求质检加强抽检", cost="380.50")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.state, ticket.summary_evaluation, ticket.resolution_cost) == (
        TicketState.CLOSED,
        "出厂漏检；已要求质检加强抽检",
        Decimal("380.50"),
    )
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "出厂漏检；已要求质检加强抽检" in page and "¥380.50" in page
    assert "已总结评价并关闭，处理代价 380.50 元" in page


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"summary": "", "cost": "10"}, "这个字段是必填项"),
        ({"summary": "已处理", "cost": ""}, "这个字段是必填项"),
        ({"summary": "已处理", "cost": "-5"}, "大于或等于0"),
        ({"summary": "已处理", "cost": "12.345"}, "小数"),
        ({"summary": "已处理", "cost": "一百"}, "输入一个数字"),
        ({"summary": "已处理", "cost": "1000000000"}, "小于或等于"),
    ],
)
def test_a_close_without_a_summary_or_with_a_bad_cost_is_refused_and_keeps_the_input(
    values, error, cast, complaint_in
):
    ticket = complaint_in(TicketState.RETURN_VISITED)
    response = close_form(sign_in(Client(), cast.agent), ticket, **values)
    body = response.content.decode()
    assert response.status_code == 200 and error in body
    if values["summary"]:
        assert values["summary"] in body  # what was typed is kept
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.state, fresh.version, fresh.resolution_cost) == (
        TicketState.RETURN_VISITED,
        ticket.version,
        None,
    )


def test_the_api_closes_with_the_evaluation_and_refuses_a_bad_cost(cast, complaint_in):
    ticket = complaint_in(TicketState.RETURN_VISITED)
    client = sign_in(Client(), cast.agent)

    def close(**values):
        return client.post(
            f"/api/v1/tickets/{ticket.pk}/moves/close",
            data=json.dumps({"version": ticket.version, "values": values}),
            content_type="application/json",
        )

    missing = close()
    assert missing.status_code == 422 and "values.summary" in missing.json()["detail"]
    negative = close(summary="已处理", cost=-1)
    assert negative.status_code == 422 and "values.cost" in negative.json()["detail"]
    assert Ticket.objects.get(pk=ticket.pk).state == TicketState.RETURN_VISITED
    done = close(summary="已处理", cost=0)
    assert done.status_code == 200
    assert (done.json()["state"], done.json()["resolution_cost"]) == ("closed", "0.00")


def test_the_service_refuses_a_bad_cost_too(cast, complaint_in):
    from kefu.core.errors import DomainError

    ticket = complaint_in(TicketState.RETURN_VISITED)
    for cost in ("-1", "abc", "1.001", "NaN", "1e12"):
        with pytest.raises(DomainError):
            loop.close_ticket(
                actor=cast.agent,
                ticket_id=ticket.pk,
                expected_version=ticket.version,
                summary="已处理",
                cost=cost,
            )
    assert Ticket.objects.get(pk=ticket.pk).state == TicketState.RETURN_VISITED


def test_a_reopened_complaint_is_evaluated_again(cast, complaint_in):
    closed = complaint_in(TicketState.CLOSED)
    reopened = loop.reopen_ticket(
        actor=cast.agent,
        ticket_id=closed.pk,
        expected_version=closed.version,
        reason="问题复现",
    )
    assert (reopened.summary_evaluation, reopened.resolution_cost) == ("", None)
    assert reopened.return_visit_due_at is None
    previous = TimelineEntry.objects.get(kind="tickets.reopen").data["previous"]
    assert (previous["summary_evaluation"], previous["resolution_cost"]) == (
        "漏检导致，已要求质检加强抽检",
        "120.00",
    )
