"""The demo tickets: a small build has every state, breaches, reopenings and merges; every row keeps
the invariants of the loop; a second build changes nothing; nobody is notified about the made-up past."""

import datetime as dt

import pytest
from django.utils import timezone

import kefu.demo
from kefu.accounts.roles import Perm, Role
from kefu.core.business_calendar import BusinessCalendar
from kefu.core.models import TimelineEntry
from kefu.demo import build_demo
from kefu.notifications.models import Notification
from kefu.tickets import demo
from kefu.tickets.models import (
    NoteKind,
    RoutingRule,
    SlaAlert,
    SlaClock,
    SlaLevel,
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketNote,
)
from kefu.tickets.services.loop import SUMMARIES
from kefu.tickets.states import OPEN_STATES, Priority, TicketState, TicketType, Validity

pytestmark = pytest.mark.django_db

PASSWORD = "Demo2026pass"
MOVE_KINDS = {f"tickets.{name}" for name in SUMMARIES}
# The loop's records that a complaint holds in each state (and every state after it).
LOOP_ORDER: list[str] = [
    TicketState.ROUTED,
    TicketState.INVESTIGATED,
    TicketState.PLAN_PROPOSED,
    TicketState.PLAN_APPROVED,
    TicketState.CARRIED_OUT,
    TicketState.RETURN_VISITED,
]
RECORDS = {
    TicketState.ROUTED: (
        "department_id",
        "handler_id",  # 处理人: every routed complaint has one
        "complainant",
        "complained_at",
        "category_id",
    ),
    TicketState.INVESTIGATED: ("cause",),
    TicketState.PLAN_PROPOSED: ("resolution_plan",),
    TicketState.PLAN_APPROVED: ("plan_decided_by_id", "plan_decided_at"),
    TicketState.CARRIED_OUT: ("carried_out_at", "return_visit_due_at"),  # 三天之内回访
    TicketState.RETURN_VISITED: ("return_visited_at", "return_visit_outcome", "satisfaction"),
}


def tickets_only(monkeypatch) -> None:
    """The organisation, the archive and the tickets: what these tests read. The whole demo (every
    app) took 40 s a test on PostgreSQL in CI; test_building_again_changes_nothing still builds it."""
    monkeypatch.setattr(kefu.demo, "DEMO_BUILDERS", kefu.demo.DEMO_BUILDERS[:3])
    assert kefu.demo.DEMO_BUILDERS[-1] == "kefu.tickets.demo.build"


def build_small(monkeypatch) -> dt.datetime:
    monkeypatch.setenv("KEFU_DEMO_CUSTOMERS", "60")
    monkeypatch.setenv("KEFU_DEMO_TICKETS", "60")
    before = timezone.now()
    build_demo(password=PASSWORD)
    return before


@pytest.fixture
def small_demo(monkeypatch):
    tickets_only(monkeypatch)
    return build_small(monkeypatch)


@pytest.fixture
def small_full_demo(monkeypatch):
    return build_small(monkeypatch)


def in_working_time(calendar: BusinessCalendar, moment: dt.datetime) -> bool:
    """Inside a working window; its closing instant (18:00) counts, as add_working_time may end there."""
    return calendar.is_working_time(moment) or calendar.is_working_time(
        moment - dt.timedelta(microseconds=1)
    )


def check_ticket(ticket: Ticket, moves: int, calendar: BusinessCalendar, now: dt.datetime) -> None:
    assert ticket.created_at <= now
    assert ticket.version == 1 + moves, "the version counts the moves"
    assert ticket.assignee is None or ticket.assignee.has_perm(Perm.SERVE_CUSTOMERS)
    for text in (ticket.subject, ticket.content, ticket.answer, ticket.restatement):
        assert "{" not in text and "}" not in text
    if ticket.state == TicketState.CLOSED:
        assert ticket.closed_at is not None and ticket.stage_due_at is None
        if ticket.merged_into_id:
            assert ticket.merged_into is not None
            assert ticket.merged_into.customer_id == ticket.customer_id
        elif ticket.type == TicketType.COMPLAINT and ticket.validity == Validity.VALID:
            assert (
                ticket.return_visited_at
                and ticket.return_visit_outcome.strip()
                and ticket.satisfaction
            )
        elif ticket.type == TicketType.COMPLAINT:
            assert ticket.validity == Validity.INVALID
            assert ticket.invalid_reason.strip() and ticket.reply_to_customer.strip()
        else:
            assert ticket.answer.strip()
    else:
        assert ticket.closed_at is None and ticket.merged_into_id is None
        assert ticket.stage_due_at is not None and ticket.stage_started_at is not None
        assert ticket.stage_due_at > ticket.stage_started_at
    if ticket.type == TicketType.COMPLAINT:
        assert ticket.complainant and ticket.complained_at and ticket.customer_id
        if ticket.state in LOOP_ORDER or (
            ticket.state == TicketState.CLOSED and ticket.validity == Validity.VALID
        ):
            assert ticket.validity == Validity.VALID
            reached = (
                LOOP_ORDER
                if ticket.state == TicketState.CLOSED
                else LOOP_ORDER[: LOOP_ORDER.index(ticket.state) + 1]
            )
            for state in reached:
                for name in RECORDS[TicketState(state)]:
                    assert getattr(ticket, name), (ticket.number, ticket.state, name)
        if ticket.state in {TicketState.RECEIVED, TicketState.CONFIRMED}:
            assert ticket.validity == Validity.UNJUDGED
            assert ticket.department_id is None or ticket.reopen_count, (
                "routed only once judged valid"
            )
    elif ticket.state == TicketState.ANSWERED:
        assert ticket.answer.strip()
    if ticket.state not in {TicketState.RECEIVED, TicketState.CLOSED}:
        assert ticket.first_responded_at is not None
    for due in (ticket.first_response_due_at, ticket.stage_due_at, ticket.resolve_due_at):
        if due is not None:
            assert in_working_time(calendar, due), due
            assert due > ticket.created_at


def test_a_small_demo_has_every_state_and_keeps_the_invariants(small_demo):
    now = timezone.now()
    tickets = list(Ticket.objects.select_related("assignee", "merged_into").order_by("id"))
    assert len(tickets) == 60
    assert {t.state for t in tickets} == set(TicketState.values)
    assert {t.type for t in tickets} == set(TicketType.values)
    assert {t.priority for t in tickets} == set(Priority.values)
    assert len({t.channel for t in tickets}) >= 5

    # Created in the order they happened: numbers and ids follow time, over months.
    assert [t.pk for t in sorted(tickets, key=lambda t: t.created_at)] == [t.pk for t in tickets]
    assert min(t.created_at for t in tickets) < now - dt.timedelta(days=180)  # a year of history
    complaints = [t for t in tickets if t.type == TicketType.COMPLAINT]
    assert any(t.validity == Validity.INVALID and t.state == TicketState.CLOSED for t in complaints)
    assert any(t.reopen_count and t.state == TicketState.CLOSED for t in tickets)
    assert any(t.reopen_count and t.state in OPEN_STATES for t in tickets)
    assert any(t.merged_into_id for t in tickets)
    assert (
        any(t.plan_return_reason for t in complaints)
        or TimelineEntry.objects.filter(kind="tickets.return_plan").exists()
    )
    assert TicketNote.objects.filter(
        author__role=Role.DEPARTMENT_STAFF, kind=NoteKind.PROGRESS
    ).exists()
    assert TicketNote.objects.filter(kind=NoteKind.INFO_REQUEST).exists()
    assert all(note.created_at < small_demo for note in TicketNote.objects.all()), (
        "notes are dated in the demo's past"
    )

    # 总结评价: every closed valid complaint has its summary and its cost (0 included).
    evaluated = [
        t
        for t in complaints
        if t.state == TicketState.CLOSED and t.validity == Validity.VALID and not t.merged_into_id
    ]
    assert evaluated and all(
        t.summary_evaluation and t.resolution_cost is not None for t in evaluated
    )
    assert any(t.resolution_cost > 0 for t in evaluated)

    # Breaches: on record in the past (the sweep ran along the way) and for tickets still open now.
    breaches = SlaAlert.objects.filter(level=SlaLevel.BREACH)
    assert breaches.filter(ticket__state__in=OPEN_STATES).exists()
    assert breaches.filter(recorded_at__lt=small_demo - dt.timedelta(days=1)).exists()
    assert SlaAlert.objects.filter(clock=SlaClock.RETURN_VISIT).exists()  # a late return visit

    moves: dict[int, int] = {}
    entries = TimelineEntry.objects.filter(
        subject_type__model="ticket", kind__in=MOVE_KINDS
    ).values_list("subject_id", "occurred_at")
    for subject_id, occurred_at in entries:
        moves[int(subject_id)] = moves.get(int(subject_id), 0) + 1
        assert occurred_at <= now
    calendar = BusinessCalendar()
    for ticket in tickets:
        check_ticket(ticket, moves.get(ticket.pk, 0), calendar, now)
    assert not Notification.objects.exists(), "nobody is told about the made-up past"


def test_the_catalog_routes_every_category_and_sets_time_limits(small_demo):
    roots = TicketCategory.objects.filter(parent=None)
    assert {"产品质量", "物流配送", "售后服务", "服务态度", "价格与活动", "账户与支付"} <= set(
        roots.values_list("name", flat=True)
    )
    assert TicketCategory.objects.filter(parent__name="物流配送", name="快递破损").exists()
    assert set(RoutingRule.objects.values_list("department__code", flat=True)) == {
        "tech",
        "warehouse",
        "finance",
        "audit",
    }
    for root in roots:  # each root routes, so each leaf does
        assert RoutingRule.objects.filter(category=root).exists()
    urgent = SlaPolicy.objects.get(category=None, priority=Priority.URGENT, is_active=True)
    assert urgent.first_response_minutes == 30
    assert SlaPolicy.objects.filter(category=None, priority="", is_active=True).count() == 1


def test_building_again_changes_nothing(small_full_demo):
    def counts():
        return (
            Ticket.objects.count(),
            TicketCategory.objects.count(),
            RoutingRule.objects.count(),
            SlaPolicy.objects.count(),
            SlaAlert.objects.count(),
            TicketNote.objects.count(),
            TimelineEntry.objects.count(),
        )

    before = counts()
    build_demo(password=PASSWORD)
    assert counts() == before


def test_no_tickets_when_asked_for_none(monkeypatch):
    tickets_only(monkeypatch)
    monkeypatch.setenv("KEFU_DEMO_CUSTOMERS", "10")
    monkeypatch.setenv("KEFU_DEMO_TICKETS", "0")
    build_demo(password=PASSWORD)
    assert not Ticket.objects.exists()
    assert TicketCategory.objects.exists() and SlaPolicy.objects.exists()
    demo.build(password=PASSWORD)  # the catalog is not made twice
    assert TicketCategory.objects.filter(parent=None, name="产品质量").count() == 1
