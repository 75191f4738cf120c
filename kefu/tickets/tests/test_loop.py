"""The complaint loop and the short flow: every allowed and every refused move, through the services."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from kefu.core import timeline
from kefu.core.errors import Conflict, DomainError
from kefu.core.models import TimelineEntry
from kefu.core.statemachine import TransitionRefused
from kefu.tickets.events import (
    PlanApprovalRequested,
    TicketCreated,
    TicketHandlerChanged,
    TicketRouted,
    TicketTransitioned,
)
from kefu.tickets.models import Satisfaction, Ticket
from kefu.tickets.services import loop
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import COMPLAINT_FLOW, SHORT_FLOW, TicketState, TicketType, Validity

from .conftest import NOW

pytestmark = pytest.mark.django_db


def snapshot(ticket: Ticket) -> dict:
    """Every column of the ticket as stored: a refused move must leave all of them alone."""
    fresh = Ticket.objects.get(pk=ticket.pk)
    return {f.attname: getattr(fresh, f.attname) for f in Ticket._meta.concrete_fields}


# What each service call needs, given the actor and the ticket.
CALLS = {
    "confirm_restatement": lambda a, t: loop.confirm_restatement(
        actor=a, ticket_id=t.pk, expected_version=t.version, restatement="已复述", now=NOW
    ),
    "judge_invalid": lambda a, t: loop.judge_complaint_invalid(
        actor=a,
        ticket_id=t.pk,
        expected_version=t.version,
        reason="不属于我司产品",
        reply="非常理解您的心情，经核实该商品并非本店售出，建议您联系购买渠道。",
        now=NOW,
    ),
    "judge_valid": lambda a, t: loop.judge_complaint_valid(
        actor=a, ticket_id=t.pk, expected_version=t.version, now=NOW
    ),
    "record_cause": lambda a, t: loop.record_cause(
        actor=a, ticket_id=t.pk, expected_version=t.version, cause="漏检", now=NOW
    ),
    "propose_plan": lambda a, t: loop.propose_resolution_plan(
        actor=a, ticket_id=t.pk, expected_version=t.version, plan="换货", now=NOW
    ),
    "approve_plan": lambda a, t: loop.approve_resolution_plan(
        actor=a, ticket_id=t.pk, expected_version=t.version, now=NOW
    ),
    "return_plan": lambda a, t: loop.return_resolution_plan(
        actor=a, ticket_id=t.pk, expected_version=t.version, reason="补偿不足", now=NOW
    ),
    "carry_out_plan": lambda a, t: loop.carry_out_resolution_plan(
        actor=a, ticket_id=t.pk, expected_version=t.version, now=NOW
    ),
    "record_return_visit": lambda a, t: loop.record_return_visit(
        actor=a,
        ticket_id=t.pk,
        expected_version=t.version,
        outcome="已解决",
        satisfaction=Satisfaction.SATISFIED,
        now=NOW,
    ),
    "close": lambda a, t: loop.close_ticket(
        actor=a,
        ticket_id=t.pk,
        expected_version=t.version,
        summary="处理及时，客户满意",
        cost="0",
        now=NOW,
    ),
    "reopen": lambda a, t: loop.reopen_ticket(
        actor=a, ticket_id=t.pk, expected_version=t.version, reason="客户反映问题复现", now=NOW
    ),
    "merge_into": lambda a, t: loop.merge_into(
        actor=a,
        ticket_id=t.pk,
        expected_version=t.version,
        now=NOW,
        survivor=create_ticket(
            actor=t.created_by,
            type=t.type,
            subject="同一问题，客户又来电",
            customer_id=t.customer_id,
            now=NOW,
        ).number,
    ),
}

CS = ("agent", "supervisor", "manager")
# transition → (the state it starts from on the main path, who may make it)
ALLOWED = {
    "confirm_restatement": (TicketState.RECEIVED, CS),
    "judge_invalid": (TicketState.CONFIRMED, CS),
    "judge_valid": (TicketState.CONFIRMED, CS),
    "record_cause": (TicketState.ROUTED, ("staff",)),
    "propose_plan": (TicketState.INVESTIGATED, ("staff",)),
    "approve_plan": (TicketState.PLAN_PROPOSED, ("supervisor", "manager")),
    "return_plan": (TicketState.PLAN_PROPOSED, ("supervisor", "manager")),
    "carry_out_plan": (TicketState.PLAN_APPROVED, ("staff",)),
    "record_return_visit": (TicketState.CARRIED_OUT, CS),
    "close": (TicketState.RETURN_VISITED, CS),
    "reopen": (TicketState.CLOSED, CS),
    "merge_into": (TicketState.RECEIVED, CS),
}
ROLES = ("agent", "supervisor", "manager", "inspector", "staff", "other_staff")


def test_every_complaint_transition_is_in_the_test_table():
    assert set(ALLOWED) == set(COMPLAINT_FLOW.transitions) == set(CALLS)


@pytest.mark.parametrize(("name", "role"), [(n, r) for n in ALLOWED for r in ROLES])
def test_each_move_is_allowed_exactly_to_its_roles(name, role, cast, complaint_in):
    source, allowed_roles = ALLOWED[name]
    ticket = complaint_in(source)
    actor = getattr(cast, role)
    before = snapshot(ticket)
    if role in allowed_roles:
        moved = CALLS[name](actor, ticket)
        assert moved.state == COMPLAINT_FLOW.transitions[name].target
        assert moved.version == ticket.version + 1
        assert (
            TimelineEntry.objects.filter(
                kind=f"tickets.{name}", subject_id=str(ticket.pk), actor=actor
            ).count()
            == 1
        )
    else:
        with pytest.raises(TransitionRefused):
            CALLS[name](actor, ticket)
        assert snapshot(ticket) == before


STATES_ON_PATH = [
    TicketState.RECEIVED,
    TicketState.CONFIRMED,
    TicketState.ROUTED,
    TicketState.INVESTIGATED,
    TicketState.PLAN_PROPOSED,
    TicketState.PLAN_APPROVED,
    TicketState.CARRIED_OUT,
    TicketState.RETURN_VISITED,
    TicketState.CLOSED,
]


@pytest.mark.parametrize(
    ("name", "state"),
    [
        (n, s)
        for n in ALLOWED
        for s in STATES_ON_PATH
        if s not in COMPLAINT_FLOW.transitions[n].source
    ],
)
def test_each_move_is_refused_from_every_other_state(name, state, cast, complaint_in):
    ticket = complaint_in(state)
    # The one who could make the move from its own state: only the state stands in the way.
    actor = getattr(cast, ALLOWED[name][1][-1])
    before = snapshot(ticket)
    with pytest.raises(TransitionRefused, match="this step is only possible from"):
        CALLS[name](actor, ticket)
    assert snapshot(ticket) == before


def test_the_whole_loop_writes_each_step_on_the_customers_timeline(
    cast, complaint_in, customer, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = complaint_in(TicketState.CLOSED)
    kinds = list(
        timeline.entries_for_customer(customer.pk).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == [
        "tickets.created",
        "tickets.confirm_restatement",
        "tickets.judge_valid",
        "tickets.record_cause",
        "tickets.propose_plan",
        "tickets.approve_plan",
        "tickets.carry_out_plan",
        "tickets.record_return_visit",
        "tickets.close",
    ]
    assert ticket.validity == Validity.VALID
    assert ticket.department.code == "tech"  # routed by the parent category's rule
    assert ticket.closed_at == NOW
    assert ticket.first_responded_at == NOW
    assert ticket.version == 9
    assert ticket.stage_due_at is None
    moves = [e.transition for e in events if isinstance(e, TicketTransitioned)]
    assert moves == [
        "confirm_restatement",
        "judge_valid",
        "record_cause",
        "propose_plan",
        "approve_plan",
        "carry_out_plan",
        "record_return_visit",
        "close",
    ]
    assert [type(e) for e in events if not isinstance(e, TicketTransitioned)] == [
        TicketCreated,
        TicketRouted,
        TicketHandlerChanged,  # the department's only staff member handles it
        PlanApprovalRequested,
    ]
    routed = next(e for e in events if isinstance(e, TicketRouted))
    assert (routed.department_id, routed.routed_by_id) == (ticket.department_id, cast.agent.pk)
    # Investigation and approval stay internal; the customer-facing steps do not.
    internal = set(
        TimelineEntry.objects.filter(customer_id=customer.pk, is_internal=True).values_list(
            "kind", flat=True
        )
    )
    assert internal == {
        "tickets.record_cause",
        "tickets.propose_plan",
        "tickets.approve_plan",
        "tickets.carry_out_plan",
    }


def test_an_invalid_complaint_closes_with_its_reason_and_reply(cast, complaint_in):
    ticket = CALLS["judge_invalid"](cast.agent, complaint_in(TicketState.CONFIRMED))
    assert (ticket.state, ticket.validity, ticket.invalid_reason) == (
        TicketState.CLOSED,
        Validity.INVALID,
        "不属于我司产品",
    )
    assert ticket.reply_to_customer.startswith("非常理解您的心情")
    assert ticket.department_id is None


@pytest.mark.parametrize(
    ("reason", "reply", "message"),
    [
        ("", "抱歉", "the reason the complaint is not valid is missing"),
        ("无效", "  ", "the reply to the customer is missing"),
    ],
)
def test_an_invalid_judgment_needs_a_reason_and_a_reply(cast, complaint_in, reason, reply, message):
    ticket = complaint_in(TicketState.CONFIRMED)
    before = snapshot(ticket)
    with pytest.raises(TransitionRefused, match=message):
        loop.judge_complaint_invalid(
            actor=cast.agent,
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            reason=reason,
            reply=reply,
        )
    assert snapshot(ticket) == before


def test_a_valid_complaint_without_a_responsible_department_is_not_routed(
    cast, complaint_in, category
):
    category.parent.routing_rule.delete()
    ticket = complaint_in(TicketState.CONFIRMED)
    before = snapshot(ticket)
    with pytest.raises(
        TransitionRefused, match="the complaint form is missing: responsible department"
    ):
        CALLS["judge_valid"](cast.agent, ticket)
    assert snapshot(ticket) == before


def test_an_explicit_department_wins_over_the_routing_rule(cast, complaint_in, warehouse):
    ticket = complaint_in(TicketState.CONFIRMED)
    routed = loop.judge_complaint_valid(
        actor=cast.agent,
        ticket_id=ticket.pk,
        expected_version=ticket.version,
        department_id=warehouse.pk,
        complainant="张伟（本人）",
    )
    assert (routed.department_id, routed.complainant) == (warehouse.pk, "张伟（本人）")
    with pytest.raises(TransitionRefused, match="the ticket is routed to another department"):
        CALLS["record_cause"](cast.staff, routed)
    assert CALLS["record_cause"](cast.other_staff, routed).state == TicketState.INVESTIGATED


def test_an_empty_cause_plan_or_return_reason_is_refused(cast, complaint_in):
    routed = complaint_in(TicketState.ROUTED)
    with pytest.raises(TransitionRefused, match="the cause has not been recorded"):
        loop.record_cause(
            actor=cast.staff, ticket_id=routed.pk, expected_version=routed.version, cause=" "
        )
    investigated = complaint_in(TicketState.INVESTIGATED)
    with pytest.raises(TransitionRefused, match="the resolution plan is empty"):
        loop.propose_resolution_plan(
            actor=cast.staff,
            ticket_id=investigated.pk,
            expected_version=investigated.version,
            plan="",
        )
    proposed = complaint_in(TicketState.PLAN_PROPOSED)
    with pytest.raises(TransitionRefused, match="say why the plan is sent back"):
        loop.return_resolution_plan(
            actor=cast.supervisor,
            ticket_id=proposed.pk,
            expected_version=proposed.version,
            reason="",
        )
    assert Ticket.objects.get(pk=proposed.pk).state == TicketState.PLAN_PROPOSED


def test_a_returned_plan_goes_back_to_the_department_and_can_be_proposed_again(
    cast, complaint_in, events, django_capture_on_commit_callbacks
):
    ticket = CALLS["return_plan"](cast.supervisor, complaint_in(TicketState.PLAN_PROPOSED))
    assert (ticket.state, ticket.plan_return_reason, ticket.plan_decided_by) == (
        TicketState.INVESTIGATED,
        "补偿不足",
        cast.supervisor,
    )
    with django_capture_on_commit_callbacks(execute=True):
        again = loop.propose_resolution_plan(
            actor=cast.staff,
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            plan="换货并补偿50元",
        )
    assert (again.state, again.plan_return_reason) == (TicketState.PLAN_PROPOSED, "")
    assert [e.ticket_id for e in events if isinstance(e, PlanApprovalRequested)] == [ticket.pk]


def test_a_return_visit_needs_an_outcome_and_a_satisfaction(cast, complaint_in):
    ticket = complaint_in(TicketState.CARRIED_OUT)
    before = snapshot(ticket)
    with pytest.raises(TransitionRefused, match="the return visit"):
        loop.record_return_visit(
            actor=cast.agent,
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            outcome="已告知",
            satisfaction="",
        )
    with pytest.raises(DomainError, match="Unknown satisfaction"):
        loop.record_return_visit(
            actor=cast.agent,
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            outcome="已告知",
            satisfaction="ecstatic",
        )
    assert snapshot(ticket) == before


def test_the_database_refuses_a_closed_valid_complaint_without_a_return_visit(complaint_in):
    ticket = complaint_in(TicketState.CARRIED_OUT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(state=TicketState.CLOSED)


def test_reopen_returns_to_the_judgment_and_keeps_the_history(cast, complaint_in, customer):
    closed = complaint_in(TicketState.CLOSED)
    later = NOW + dt.timedelta(days=2)
    reopened = loop.reopen_ticket(
        actor=cast.agent,
        ticket_id=closed.pk,
        expected_version=closed.version,
        reason="客户反映问题复现",
        now=later,
    )
    assert (reopened.state, reopened.reopen_count, reopened.closed_at) == (
        TicketState.CONFIRMED,
        1,
        None,
    )
    assert (
        reopened.cause,
        reopened.return_visited_at,
        reopened.validity,
        reopened.satisfaction,
    ) == ("", None, "", None)
    assert reopened.resolve_due_at > later and reopened.stage_due_at > later
    entry = TimelineEntry.objects.get(kind="tickets.reopen", subject_id=str(closed.pk))
    assert entry.data["previous"]["cause"] == "出厂质检漏检"
    assert entry.data["previous"]["satisfaction"] == Satisfaction.SATISFIED
    assert (
        TimelineEntry.objects.filter(customer_id=customer.pk, kind="tickets.record_cause").count()
        == 1
    )
    # Back into the loop: judged, routed, investigated again.
    again = loop.judge_complaint_valid(
        actor=cast.agent, ticket_id=reopened.pk, expected_version=reopened.version, now=later
    )
    assert again.state == TicketState.ROUTED


def test_reopen_needs_a_reason(cast, complaint_in):
    closed = complaint_in(TicketState.CLOSED)
    with pytest.raises(DomainError, match="Say why"):
        loop.reopen_ticket(
            actor=cast.agent, ticket_id=closed.pk, expected_version=closed.version, reason=" "
        )
    assert Ticket.objects.get(pk=closed.pk).state == TicketState.CLOSED


# --- the short flow ------------------------------------------------------------------------------


@pytest.mark.parametrize("ticket_type", [t for t in TicketType.values if t != TicketType.COMPLAINT])
def test_short_tickets_are_answered_closed_and_reopened(ticket_type, cast):
    ticket = create_ticket(actor=cast.agent, type=ticket_type, subject="发票怎么开", now=NOW)
    with pytest.raises(TransitionRefused, match="only possible from"):
        loop.close_ticket(actor=cast.agent, ticket_id=ticket.pk, expected_version=ticket.version)
    with pytest.raises(TransitionRefused, match="the answer is empty"):
        loop.answer_ticket(
            actor=cast.agent, ticket_id=ticket.pk, expected_version=ticket.version, answer=""
        )
    with pytest.raises(TransitionRefused, match="there is no such step"):
        CALLS["confirm_restatement"](cast.agent, ticket)
    answered = loop.answer_ticket(
        actor=cast.agent,
        ticket_id=ticket.pk,
        expected_version=ticket.version,
        answer="在订单页申请电子发票",
        now=NOW,
    )
    assert (answered.state, answered.first_responded_at) == (TicketState.ANSWERED, NOW)
    closed = loop.close_ticket(
        actor=cast.agent, ticket_id=ticket.pk, expected_version=answered.version, now=NOW
    )
    assert closed.state == TicketState.CLOSED
    reopened = loop.reopen_ticket(
        actor=cast.agent, ticket_id=ticket.pk, expected_version=closed.version, reason="追问"
    )
    assert (reopened.state, reopened.answer, reopened.reopen_count) == (TicketState.RECEIVED, "", 1)


@pytest.mark.parametrize("role", ["inspector", "staff", "other_staff"])
def test_only_the_cs_side_moves_short_tickets(role, cast):
    ticket = create_ticket(
        actor=cast.agent, type=TicketType.CONSULTATION, subject="营业时间", now=NOW
    )
    before = snapshot(ticket)
    with pytest.raises(TransitionRefused, match="your role does not have this right"):
        loop.answer_ticket(
            actor=getattr(cast, role),
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            answer="9点",
        )
    assert snapshot(ticket) == before


def test_the_short_flow_table_has_its_three_moves():
    assert set(SHORT_FLOW.transitions) == {"answer", "close", "reopen", "merge_into"}


# --- optimistic concurrency ------------------------------------------------------------------------


def test_of_two_agents_moving_the_same_ticket_the_second_gets_a_conflict(cast, complaint_in):
    ticket = complaint_in(TicketState.RECEIVED)
    seen_by_both = ticket.version
    loop.confirm_restatement(
        actor=cast.agent, ticket_id=ticket.pk, expected_version=seen_by_both, restatement="复述一"
    )
    before = snapshot(ticket)
    with pytest.raises(Conflict) as refused:
        loop.confirm_restatement(
            actor=cast.agent2,
            ticket_id=ticket.pk,
            expected_version=seen_by_both,
            restatement="复述二",
        )
    assert str(refused.value) == (
        f"Someone else changed ticket {ticket.number} first; it is now “Restated and confirmed” (version 2). "
        "Look at its fresh state and try again."
    )
    assert refused.value.status_code == 409
    assert snapshot(ticket) == before
    assert Ticket.objects.get(pk=ticket.pk).restatement == "复述一"


def test_a_merged_duplicate_hands_over_its_notes_and_stays_closed(cast, new_complaint):
    from kefu.tickets.services.tickets import add_note

    duplicate, survivor = new_complaint(), new_complaint()
    add_note(actor=cast.agent, ticket_id=duplicate.pk, kind="internal", body="客户第二次来电")
    duplicate.refresh_from_db()
    merged = loop.merge_into(
        actor=cast.agent,
        ticket_id=duplicate.pk,
        expected_version=duplicate.version,
        survivor=survivor.number.lower(),
        now=NOW,
    )
    assert (merged.state, merged.merged_into) == (TicketState.CLOSED, survivor)
    assert [n.body for n in survivor.notes.all()] == ["客户第二次来电"]
    assert (
        TimelineEntry.objects.filter(kind="tickets.merged", subject_id=str(survivor.pk)).count()
        == 1
    )
    with pytest.raises(TransitionRefused, match="merged into another ticket"):
        loop.reopen_ticket(
            actor=cast.agent,
            ticket_id=merged.pk,
            expected_version=merged.version,
            reason="x",
            now=NOW,
        )


def test_a_ticket_is_merged_only_into_another_open_ticket_of_the_same_customer(cast, new_complaint):
    from kefu.customers.models import Customer

    ticket = new_complaint()
    stranger = create_ticket(
        actor=cast.agent,
        type=TicketType.COMPLAINT,
        subject="别的客户",
        customer_id=Customer.objects.create(name="李四").pk,
        now=NOW,
    )
    before = snapshot(ticket)
    for survivor, message in [
        (ticket.number, "other than this one"),
        ("TS19990101-0001", "There is no ticket"),
        (stranger.number, "belongs to another customer"),
    ]:
        with pytest.raises(DomainError, match=message):
            loop.merge_into(
                actor=cast.agent,
                ticket_id=ticket.pk,
                expected_version=ticket.version,
                survivor=survivor,
                now=NOW,
            )
    assert snapshot(ticket) == before
