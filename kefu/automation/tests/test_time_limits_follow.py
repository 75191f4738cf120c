"""Time limits follow the ticket's fields: raising a ticket's priority (on the ticket page, through
the API, or by a rule) counts its running time limits again from the policy that now applies, with
the working time already spent; a limit already met or already breached keeps its deadline.

The clock: a consultation received on Friday 20 Nov 2026 at 16:00 (working hours 09:00–18:00),
changed on Monday 23 Nov at 10:00. Policies: normal (the default) answers in 60 minutes, a stage in
480, the resolution in 1,620 (three working days); urgent in 15, 240 and 300.

- first response: due Friday 17:00, already breached on Monday: it stays.
- stage, normal: 2 h on Friday + 6 h on Monday = Monday 15:00; urgent, 240 min: 2 h on Friday
  + 2 h on Monday = Monday 11:00.
- resolution, normal: 2 h Friday + 9 h Monday + 9 h Tuesday + 7 h Wednesday = Wednesday 16:00;
  urgent, 300 min: 2 h on Friday + 3 h on Monday = Monday 12:00 (three of those five hours were
  spent before the change).
"""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from kefu.accounts.roles import Role
from kefu.automation import services as automation
from kefu.automation.models import Outcome, RuleLog
from kefu.tickets.models import SlaPolicy, Ticket, TicketCategory
from kefu.tickets.services import loop
from kefu.tickets.services.tickets import create_ticket, set_ticket_fields

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
FRIDAY_16 = dt.datetime(2026, 11, 20, 16, 0, tzinfo=SH)
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SH)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SH)


@pytest.fixture(autouse=True)
def in_chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def policies(db):
    SlaPolicy.objects.create(
        name="默认", first_response_minutes=60, stage_minutes=480, resolution_minutes=1620
    )
    SlaPolicy.objects.create(
        name="紧急",
        priority="urgent",
        first_response_minutes=15,
        stage_minutes=240,
        resolution_minutes=300,
    )


@pytest.fixture
def ticket(policies, make_user):
    made = create_ticket(
        actor=make_user(Role.AGENT), type="consultation", subject="燃气表读数异常", now=FRIDAY_16
    )
    assert (made.first_response_due_at, made.stage_due_at, made.resolve_due_at) == (
        at(20, 17),
        at(23, 15),
        at(25, 16),
    )
    return made


@pytest.fixture
def monday(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_10)


def deadlines(ticket_id: int) -> tuple:
    t = Ticket.objects.get(pk=ticket_id)
    return t.priority, t.first_response_due_at, t.stage_due_at, t.resolve_due_at


RAISED = ("urgent", at(20, 17), at(23, 11), at(23, 12))


def test_raising_the_priority_on_the_ticket_page_brings_the_resolution_forward(
    ticket, client_for, monday
):
    client, _ = client_for(Role.SUPERVISOR)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="ticket-fields"' in page

    response = client.post(
        f"/tickets/{ticket.pk}/fields/",
        {"version": ticket.version, "priority": "urgent", "category": ""},
    )

    assert response.status_code == 302
    assert deadlines(ticket.pk) == RAISED
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    deadlines_card = page.split('data-testid="deadlines"')[1].split("</dl>")[0]
    assert "11-23 12:00" in deadlines_card and "11-25 16:00" not in deadlines_card
    assert "时限重新计算：本阶段 11-23 11:00 · 解决 11-23 12:00" in page


def test_an_agent_may_not_change_the_priority_and_nothing_moves(ticket, client_for, monday):
    client, _ = client_for(Role.AGENT)
    assert (
        'data-testid="ticket-fields"' not in client.get(f"/tickets/{ticket.pk}/").content.decode()
    )

    response = client.post(
        f"/tickets/{ticket.pk}/fields/", {"version": ticket.version, "priority": "urgent"}
    )

    assert response.status_code == 403
    assert deadlines(ticket.pk) == ("normal", at(20, 17), at(23, 15), at(25, 16))


def test_raising_the_priority_through_the_api(ticket, client_for, monday):
    client, _ = client_for(Role.SUPERVISOR)

    response = client.post(
        f"/api/v1/tickets/{ticket.pk}/fields",
        data=json.dumps({"version": ticket.version, "priority": "urgent"}),
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["priority"], body["resolve_due_at"], body["stage_due_at"]) == (
        "urgent",
        "2026-11-23T04:00:00Z",
        "2026-11-23T03:00:00Z",
    )
    assert deadlines(ticket.pk) == RAISED
    stale = client.post(
        f"/api/v1/tickets/{ticket.pk}/fields",
        data=json.dumps({"version": ticket.version, "priority": "low"}),
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert deadlines(ticket.pk) == RAISED


def test_a_rule_that_raises_the_priority_moves_the_deadlines_too(
    ticket, make_user, monday, django_capture_on_commit_callbacks
):
    manager = make_user(Role.MANAGER)
    gas = TicketCategory.objects.create(name="燃气泄漏")
    rule = automation.save_rule(
        actor=manager,
        rule=None,
        name="燃气泄漏加急",
        trigger="ticket_changed",
        conditions={"category": gas.pk},
        actions={"set_priority": "urgent"},
    )
    automation.set_rule_enabled(actor=manager, rule_id=rule.pk, enabled=True)

    with django_capture_on_commit_callbacks(execute=True):
        set_ticket_fields(
            actor=make_user(Role.SUPERVISOR),
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            category_id=gas.pk,
        )

    # Its own change is a "ticket changed" event too: the loop guard stops the second run.
    assert list(RuleLog.objects.order_by("id").values_list("outcome", flat=True)) == [
        Outcome.DONE,
        Outcome.LOOP,
    ]
    assert deadlines(ticket.pk) == RAISED


def test_a_met_first_response_stays_and_a_reopened_ticket_counts_from_the_reopen(
    ticket, make_user, monday
):
    agent, supervisor = make_user(Role.AGENT), make_user(Role.SUPERVISOR)
    answered = loop.answer_ticket(
        actor=agent,
        ticket_id=ticket.pk,
        expected_version=ticket.version,
        answer="已派人核对",
        now=at(20, 16, 30),
    )
    closed = loop.close_ticket(
        actor=agent, ticket_id=ticket.pk, expected_version=answered.version, now=at(20, 17)
    )
    reopened = loop.reopen_ticket(
        actor=agent,
        ticket_id=ticket.pk,
        expected_version=closed.version,
        reason="客户仍闻到气味",
        now=at(23, 9),
    )
    # The resolution clock restarted at the reopen: 1,620 min from Monday 09:00 = Wednesday 18:00.
    assert reopened.resolve_due_at == at(25, 18)

    set_ticket_fields(
        actor=supervisor,
        ticket_id=ticket.pk,
        expected_version=reopened.version,
        priority="urgent",
    )

    changed = Ticket.objects.get(pk=ticket.pk)
    assert changed.first_responded_at == at(20, 16, 30)
    assert (changed.stage_due_at, changed.resolve_due_at) == (at(23, 13), at(23, 14))


def test_a_breached_limit_keeps_its_deadline_and_lowering_gives_time_back(
    ticket, make_user, monday
):
    supervisor = make_user(Role.SUPERVISOR)
    raised = set_ticket_fields(
        actor=supervisor, ticket_id=ticket.pk, expected_version=ticket.version, priority="urgent"
    )

    set_ticket_fields(
        actor=supervisor,
        ticket_id=ticket.pk,
        expected_version=raised.version,
        priority="normal",
        now=at(23, 11, 30),  # the urgent stage (due 11:00) is breached by now; resolution is not
    )

    assert deadlines(ticket.pk) == ("normal", at(20, 17), at(23, 11), at(25, 16))
