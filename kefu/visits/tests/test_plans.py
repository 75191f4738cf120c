"""Visit plans 回访计划: the range over the archive, the preview, approval by someone else, issuing
with the distribution over agents (owner first, load balanced), quiet hours and the 25th.

Events asserted here: PlanReminderDue, CampaignSubmitted, CampaignDecided, CampaignIssued,
VisitsMoved."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kefu.accounts.models import AgentProfile, Team
from kefu.accounts.roles import Role
from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.events import EVENT_TYPES, Delivery, subscribe, unsubscribe
from kefu.core.statemachine import RoleRefused, TransitionRefused
from kefu.customers.models import Customer, Level, Tag
from kefu.dispatch.models import WorkOrder, WorkOrderState
from kefu.tickets.models import Ticket
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketState, TicketType
from kefu.visits import quiet, selectors, services
from kefu.visits.models import CampaignState, ReturnVisit, VisitCampaign, VisitRules, VisitState

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args).replace(tzinfo=SH)  # type: ignore[arg-type]


@pytest.fixture
def people(make_user):
    class P:
        manager = make_user(Role.MANAGER)
        supervisor = make_user(Role.SUPERVISOR)
        agent = make_user(Role.AGENT)
        agent2 = make_user(Role.AGENT)

    return P


def customers(n, **kwargs):
    return [Customer.objects.create(name=f"客户{i}", **kwargs) for i in range(n)]


def plan(actor, **kwargs):
    fields = {
        "title": "十二月会员回访",
        "purpose": "满意度回访",
        "period_start": dt.date(2026, 12, 1),
        "period_end": dt.date(2026, 12, 31),
        "rules": {"levels": [Level.MEMBER, Level.VIP]},
    }
    fields.update(kwargs)
    return services.create_campaign(actor=actor, **fields)


def approved(people, **kwargs):
    made = plan(people.supervisor, **kwargs)
    services.submit_campaign(actor=people.supervisor, campaign_id=made.pk)
    return services.decide_campaign(actor=people.manager, campaign_id=made.pk, approve=True)


def issue(people, made, now):
    services.start_issuing(actor=people.supervisor, campaign_id=made.pk)
    return services.issue_campaign(campaign_id=made.pk, now=now)


# --- the range and the preview ----------------------------------------------------------------------


def test_the_preview_counts_what_the_range_selects(people):
    customers(3, level=Level.MEMBER, owner=people.agent)
    customers(2, level=Level.VIP)
    customers(4, level=Level.REGULAR)
    made = plan(people.supervisor)
    counted = selectors.preview(made)
    assert counted["total"] == 5
    assert counted["kept"] == 5
    assert counted["with_owner"] == 3
    assert dict(counted["levels"])["VIP"] == 2


def test_region_street_tag_and_last_contact_narrow_the_range(people):
    now = at(2026, 12, 1, 10)
    tag = Tag.objects.create(name="续卡")
    hit = Customer.objects.create(
        name="甲", region="广西", street="民族大道", last_contacted_at=now - dt.timedelta(days=40)
    )
    hit.tags.add(tag)
    recent = Customer.objects.create(
        name="乙", region="广西", street="民族大道", last_contacted_at=now - dt.timedelta(days=2)
    )
    recent.tags.add(tag)
    Customer.objects.create(name="丙", region="广西", street="别的街道")
    made = plan(
        people.supervisor,
        rules={"region": "广西", "street": "民族大道", "tag_id": tag.pk, "no_contact_days": 30},
    )
    assert list(selectors.audience(made, now=now)) == [hit]


def test_birthday_and_card_expiry_come_from_the_custom_fields(people):
    born = Customer.objects.create(name="生日", custom={"birthday": "1990-12-15"})
    Customer.objects.create(name="别月", custom={"birthday": "1990-11-15"})
    expiring = Customer.objects.create(name="续卡", custom={"card_expires_at": "2026-12-20"})
    Customer.objects.create(name="不急", custom={"card_expires_at": "2027-06-01"})
    assert list(
        selectors.audience(plan(people.supervisor, rules={"birthday_in_period": True}))
    ) == [born]
    assert list(selectors.audience(plan(people.supervisor, rules={"card_expiring": True}))) == [
        expiring
    ]


def test_owner_a_closed_complaint_and_a_finished_work_order_narrow_the_range(people):
    """The range's owner rule, a complaint closed within N days and a work order finished
    (派工完工) within N days: only the customers they name, each edge one day either side."""
    now = at(2026, 12, 1, 10)
    mine = Customer.objects.create(name="归属", owner=people.agent)
    Customer.objects.create(name="别人的", owner=people.agent2)
    assert list(
        selectors.audience(plan(people.supervisor, rules={"owner_id": people.agent.pk}), now=now)
    ) == [mine]

    def complaint(customer, closed_at, type=TicketType.COMPLAINT):
        ticket = create_ticket(
            actor=people.agent, type=type, subject="停车费多扣", customer_id=customer.pk
        )
        Ticket.objects.filter(pk=ticket.pk).update(state=TicketState.CLOSED, closed_at=closed_at)

    complained = Customer.objects.create(name="投诉已结")
    complaint(complained, now - dt.timedelta(days=6))
    complaint(Customer.objects.create(name="太早"), now - dt.timedelta(days=8))
    complaint(
        Customer.objects.create(name="咨询"), now - dt.timedelta(days=1), TicketType.CONSULTATION
    )
    made = plan(people.supervisor, rules={"complaint_closed_days": 7})
    assert list(selectors.audience(made, now=now)) == [complained]

    def work_order(customer, state, completed_at):
        return WorkOrder.objects.create(
            number=f"PG{customer.pk}",
            customer=customer,
            address="南宁市民族大道1号",
            problem="空调不制冷",
            appointment_start=completed_at,
            appointment_end=completed_at,
            arrival_due_at=completed_at,
            completion_due_at=completed_at,
            technician=people.agent2,
            state=state,
            completed_at=completed_at,
        )

    finished = Customer.objects.create(name="完工")
    work_order(finished, WorkOrderState.DONE, now - dt.timedelta(days=2))
    visited = Customer.objects.create(name="已回访")
    work_order(visited, WorkOrderState.VISITED, now - dt.timedelta(days=6))
    work_order(Customer.objects.create(name="完工太早"), WorkOrderState.DONE, now - dt.timedelta(8))
    work_order(Customer.objects.create(name="未完工"), WorkOrderState.ARRIVED, now)
    made = plan(people.supervisor, rules={"dispatch_done_days": "7"})
    assert made.rules == {"dispatch_done_days": 7}
    assert list(selectors.audience(made, now=now)) == [finished, visited]
    assert selectors.preview(made, now=now)["total"] == 2


def test_a_range_day_count_that_is_not_a_number_is_refused(people):
    for bad in ("abc", "0", "-3", "1e9"):
        with pytest.raises(DomainError):
            plan(people.supervisor, rules={"dispatch_done_days": bad})
    assert not VisitCampaign.objects.exists()


def test_the_planned_number_caps_the_selection(people):
    customers(5, level=Level.MEMBER)
    made = plan(people.supervisor, planned_count=2)
    assert selectors.preview(made)["kept"] == 2


def test_an_unknown_level_or_a_backwards_period_is_refused(people):
    with pytest.raises(DomainError):
        plan(people.supervisor, rules={"levels": ["gold"]})
    with pytest.raises(DomainError):
        plan(people.supervisor, period_end=dt.date(2026, 11, 1))
    assert not VisitCampaign.objects.exists()


def test_an_agent_may_not_make_a_plan(people):
    with pytest.raises(PermissionRefused):
        plan(people.agent)


# --- approval ---------------------------------------------------------------------------------------


def test_the_drafter_may_not_approve_their_own_plan(people):
    customers(1, level=Level.MEMBER)
    made = plan(people.manager)
    services.submit_campaign(actor=people.manager, campaign_id=made.pk)
    with pytest.raises(RoleRefused):
        services.decide_campaign(actor=people.manager, campaign_id=made.pk, approve=True)
    assert VisitCampaign.objects.get(pk=made.pk).state == CampaignState.SUBMITTED


def test_an_empty_selection_cannot_be_submitted(people):
    made = plan(people.supervisor)
    with pytest.raises(DomainError):
        services.submit_campaign(actor=people.supervisor, campaign_id=made.pk)
    assert VisitCampaign.objects.get(pk=made.pk).state == CampaignState.DRAFT


def test_a_returned_plan_needs_a_reason_and_is_editable_again(people):
    customers(1, level=Level.MEMBER)
    made = plan(people.supervisor)
    services.submit_campaign(actor=people.supervisor, campaign_id=made.pk)
    with pytest.raises(DomainError):
        services.decide_campaign(actor=people.manager, campaign_id=made.pk, approve=False)
    services.decide_campaign(
        actor=people.manager, campaign_id=made.pk, approve=False, note="范围太大"
    )
    made.refresh_from_db()
    assert (made.state, made.decision_note) == (CampaignState.RETURNED, "范围太大")
    services.update_campaign(
        actor=people.supervisor,
        campaign_id=made.pk,
        title="缩小范围",
        purpose="满意度回访",
        period_start=made.period_start,
        period_end=made.period_end,
        channel="phone",
        rules={"levels": ["vip"]},
    )
    made.refresh_from_db()
    assert (made.state, made.rules) == (CampaignState.DRAFT, {"levels": ["vip"]})


def test_an_unapproved_plan_cannot_be_issued(people):
    customers(1, level=Level.MEMBER)
    made = plan(people.supervisor)
    with pytest.raises(TransitionRefused):
        services.start_issuing(actor=people.supervisor, campaign_id=made.pk)
    assert not ReturnVisit.objects.exists()


# --- issuing and distribution -----------------------------------------------------------------------


def test_issuing_on_a_monday_morning_makes_the_tasks_at_nine(people):
    """The lost attempt made no tasks when issued on 2026-12-07 with a frozen clock."""
    customers(4, level=Level.MEMBER)
    made = approved(people)
    now = at(2026, 12, 7, 8, 30)  # Monday, inside the 21:00–09:00 rest time
    done = issue(people, made, now)
    assert done.state == CampaignState.ISSUED
    assert done.issued_count == 4
    visits = list(ReturnVisit.objects.filter(campaign=made))
    assert len(visits) == 4
    assert {v.scheduled_at.astimezone(SH) for v in visits} == {at(2026, 12, 7, 9, 0)}
    assert {v.due_at.astimezone(SH) for v in visits} == {at(2027, 1, 1, 0, 0)}
    # and they are on the agents' lists for that day
    listed = selectors.today_list(people.agent, now=at(2026, 12, 7, 9, 0)).count()
    listed += selectors.today_list(people.agent2, now=at(2026, 12, 7, 9, 0)).count()
    assert listed == 4


def test_issued_at_lunch_the_visits_start_after_the_rest(people):
    customers(1, level=Level.MEMBER)
    made = approved(people)
    issue(people, made, at(2026, 12, 7, 12, 30))
    assert ReturnVisit.objects.get().scheduled_at.astimezone(SH) == at(2026, 12, 7, 14, 0)


def test_a_plan_for_next_month_starts_on_its_first_day(people):
    customers(1, level=Level.MEMBER)
    made = approved(people, period_start=dt.date(2027, 1, 1), period_end=dt.date(2027, 1, 31))
    issue(people, made, at(2026, 12, 26, 15, 0))
    assert ReturnVisit.objects.get().scheduled_at.astimezone(SH) == at(2027, 1, 1, 9, 0)
    assert not selectors.today_list(ReturnVisit.objects.get().assignee, now=at(2026, 12, 31, 20))


def test_owners_get_their_customers_and_the_rest_is_balanced(people):
    mine = customers(2, level=Level.MEMBER, owner=people.agent)
    customers(4, level=Level.MEMBER)
    made = approved(people)
    issue(people, made, at(2026, 12, 7, 10))
    by_agent = {
        a.pk: set(ReturnVisit.objects.filter(assignee=a).values_list("customer_id", flat=True))
        for a in (people.agent, people.agent2)
    }
    assert {c.pk for c in mine} <= by_agent[people.agent.pk]
    assert len(by_agent[people.agent.pk]) == 3
    assert len(by_agent[people.agent2.pk]) == 3


def test_an_owner_is_not_buried_under_their_own_customers():
    chosen = services.plan_distribution([(i, 1) for i in range(10)], {1: 0, 2: 0}, fair_share=5)
    assert sum(1 for a in chosen.values() if a == 1) == 8  # 1.5 × fair share
    assert sum(1 for a in chosen.values() if a == 2) == 2


def test_existing_load_counts_when_spreading():
    chosen = services.plan_distribution(
        [(1, None), (2, None), (3, None)], {7: 5, 8: 0}, fair_share=4
    )
    assert set(chosen.values()) == {8}


def test_issuing_twice_does_not_visit_a_customer_twice(people):
    customers(3, level=Level.MEMBER)
    made = approved(people)
    issue(people, made, at(2026, 12, 7, 10))
    VisitCampaign.objects.filter(pk=made.pk).update(state=CampaignState.ISSUING)
    services.issue_campaign(campaign_id=made.pk, now=at(2026, 12, 7, 11))
    assert ReturnVisit.objects.filter(campaign=made).count() == 3


def test_issuing_in_chunks_reports_progress(people, monkeypatch):
    monkeypatch.setattr(services, "ISSUE_CHUNK", 2)
    customers(5, level=Level.MEMBER)
    made = approved(people)
    done = issue(people, made, at(2026, 12, 7, 10))
    assert done.issued_count == 5
    assert ReturnVisit.objects.filter(campaign=made).count() == 5


def test_a_team_plan_goes_to_its_team_only(people, department):
    team = Team.objects.create(name="会员组", department=department)
    AgentProfile.objects.get_or_create(user=people.agent2)[0].teams.add(team)
    customers(3, level=Level.MEMBER, owner=people.agent)
    made = approved(people, team_id=team.pk)
    issue(people, made, at(2026, 12, 7, 10))
    assert set(ReturnVisit.objects.values_list("assignee_id", flat=True)) == {people.agent2.pk}


# --- moving in bulk ---------------------------------------------------------------------------------


def test_a_supervisor_moves_visits_in_bulk(people, django_capture_on_commit_callbacks):
    customers(3, level=Level.MEMBER, owner=people.agent)
    made = approved(people)
    issue(people, made, at(2026, 12, 7, 10))
    ids = list(ReturnVisit.objects.values_list("pk", flat=True))
    got = []
    subscribe(EVENT_TYPES["visits.moved"], got.append, mode=Delivery.INLINE)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            moved = services.move_visits(
                actor=people.supervisor, visit_ids=ids, to_agent_id=people.agent2.pk
            )
    finally:
        unsubscribe(EVENT_TYPES["visits.moved"], got.append)
    assert moved == 3
    assert set(ReturnVisit.objects.values_list("assignee_id", flat=True)) == {people.agent2.pk}
    assert got[0].visit_ids == tuple(sorted(ids))
    assert got[0].to_agent_id == people.agent2.pk


def test_a_visit_cannot_move_to_an_agent_of_another_team(people, department):
    team = Team.objects.create(name="会员组", department=department)
    AgentProfile.objects.get_or_create(user=people.agent)[0].teams.add(team)
    customers(1, level=Level.MEMBER)
    made = approved(people, team_id=team.pk)
    issue(people, made, at(2026, 12, 7, 10))
    visit = ReturnVisit.objects.get()
    with pytest.raises(DomainError, match="会员组"):
        services.move_visits(
            actor=people.supervisor, visit_ids=[visit.pk], to_agent_id=people.agent2.pk
        )
    assert ReturnVisit.objects.get().assignee_id == people.agent.pk


def test_an_agent_may_not_move_visits(people):
    customers(1, level=Level.MEMBER)
    made = approved(people)
    issue(people, made, at(2026, 12, 7, 10))
    visit = ReturnVisit.objects.get()
    with pytest.raises(PermissionRefused):
        services.move_visits(actor=people.agent, visit_ids=[visit.pk], to_agent_id=people.agent.pk)


def test_closing_a_plan_cancels_its_open_visits(people):
    customers(2, level=Level.MEMBER)
    made = approved(people)
    issue(people, made, at(2026, 12, 7, 10))
    services.close_campaign(actor=people.supervisor, campaign_id=made.pk)
    assert set(ReturnVisit.objects.values_list("state", flat=True)) == {VisitState.CANCELLED}


# --- quiet hours at their edges ---------------------------------------------------------------------

WINDOWS = quiet.parse_windows([["12:00", "14:00"], ["21:00", "09:00"]])


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2026, 12, 7, 8, 59, 59), at(2026, 12, 7, 9, 0)),
        (at(2026, 12, 7, 9, 0), at(2026, 12, 7, 9, 0)),
        (at(2026, 12, 7, 11, 59, 59), at(2026, 12, 7, 11, 59, 59)),
        (at(2026, 12, 7, 12, 0), at(2026, 12, 7, 14, 0)),
        (at(2026, 12, 7, 13, 59), at(2026, 12, 7, 14, 0)),
        (at(2026, 12, 7, 14, 0), at(2026, 12, 7, 14, 0)),
        (at(2026, 12, 7, 20, 59), at(2026, 12, 7, 20, 59)),
        (at(2026, 12, 7, 21, 0), at(2026, 12, 8, 9, 0)),
        (at(2026, 12, 31, 23, 30), at(2027, 1, 1, 9, 0)),
        (at(2026, 12, 8, 0, 0), at(2026, 12, 8, 9, 0)),
    ],
)
def test_quiet_hours_at_their_edges(moment, expected):
    assert quiet.next_allowed(moment, WINDOWS) == expected
    assert quiet.is_quiet(moment, WINDOWS) == (moment != expected)


def test_a_utc_instant_is_judged_in_shanghai_time():
    # 2026-12-07 01:00 UTC is 09:00 in Shanghai: allowed
    moment = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)
    assert quiet.next_allowed(moment, WINDOWS) == moment
    assert quiet.is_quiet(dt.datetime(2026, 12, 7, 0, 59, tzinfo=dt.UTC), WINDOWS)


def test_touching_windows_are_followed_through():
    windows = quiet.parse_windows([["12:00", "14:00"], ["14:00", "15:00"]])
    assert quiet.next_allowed(at(2026, 12, 7, 12, 30), windows) == at(2026, 12, 7, 15, 0)


def test_quiet_hours_all_day_are_refused(make_user):
    manager = make_user(Role.MANAGER)
    with pytest.raises(DomainError):
        services.save_rules(
            actor=manager,
            quiet_hours=[["00:00", "12:00"], ["12:00", "00:00"]],
            member_coverage_percent=80,
            days_after_complaint=3,
        )
    assert not VisitRules.objects.exists()


def test_edited_quiet_hours_are_used_when_issuing(people):
    services.save_rules(
        actor=people.manager,
        quiet_hours=[["00:00", "10:30"]],
        member_coverage_percent=80,
        days_after_complaint=3,
    )
    customers(1, level=Level.MEMBER)
    made = approved(people)
    issue(people, made, at(2026, 12, 7, 10))
    assert ReturnVisit.objects.get().scheduled_at.astimezone(SH) == at(2026, 12, 7, 10, 30)


# --- the 25th ---------------------------------------------------------------------------------------


def test_the_25th_drafts_next_months_plan_once_and_reminds(
    people, django_capture_on_commit_callbacks
):
    got = []
    subscribe(EVENT_TYPES["visits.plan_reminder_due"], got.append, mode=Delivery.INLINE)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            first = services.remind_next_month_plan(now=at(2026, 12, 25, 9))
        with django_capture_on_commit_callbacks(execute=True):
            again = services.remind_next_month_plan(now=at(2026, 12, 25, 9))
    finally:
        unsubscribe(EVENT_TYPES["visits.plan_reminder_due"], got.append)
    assert first.pk == again.pk
    assert (first.period_start, first.period_end) == (dt.date(2027, 1, 1), dt.date(2027, 1, 31))
    assert first.state == CampaignState.DRAFT and first.created_by_id is None
    assert first.number == "HF202701-01"
    assert [e.month for e in got] == ["2027-01", "2027-01"]
    # the planners are told
    from kefu.notifications.models import Notification

    assert Notification.objects.filter(
        recipient=people.supervisor, kind="visits.plan_reminder_due"
    ).exists()
    assert not Notification.objects.filter(recipient=people.agent).exists()


def test_the_reminder_task_is_scheduled_on_the_25th():
    from kefu.visits.tasks import remind_visit_plan

    validate = remind_visit_plan.task_class().validate_datetime
    assert validate(dt.datetime(2026, 12, 25, 1, 0))  # 09:00 in Shanghai (Huey runs in UTC)
    assert not validate(dt.datetime(2026, 12, 24, 1, 0))


def test_submitting_and_deciding_and_issuing_emit_their_events(
    people, django_capture_on_commit_callbacks
):
    """CampaignSubmitted, CampaignDecided and CampaignIssued, after commit only."""
    names = ["visits.campaign_submitted", "visits.campaign_decided", "visits.campaign_issued"]
    got = []
    for name in names:
        subscribe(EVENT_TYPES[name], got.append, mode=Delivery.INLINE)
    try:
        customers(2, level=Level.MEMBER)
        made = plan(people.supervisor)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.submit_campaign(actor=people.supervisor, campaign_id=made.pk)
            assert not got
        for callback in callbacks:
            callback()
        with django_capture_on_commit_callbacks(execute=True):
            services.decide_campaign(actor=people.manager, campaign_id=made.pk, approve=True)
            services.start_issuing(actor=people.supervisor, campaign_id=made.pk)
            services.issue_campaign(campaign_id=made.pk, now=at(2026, 12, 7, 10))
    finally:
        for name in names:
            unsubscribe(EVENT_TYPES[name], got.append)
    assert [e.name for e in got] == names
    assert (got[0].campaign_id, got[0].submitted_by_id) == (made.pk, people.supervisor.pk)
    assert (got[1].state, got[1].decided_by_id, got[1].drafted_by_id) == (
        "approved",
        people.manager.pk,
        people.supervisor.pk,
    )
    assert got[2].issued_count == 2
