"""Services of the customer archive: assignment, the seven-day rule, merging, duplicates at entry,
completeness, and who sees which customer."""

import datetime as dt

import factory
import pytest
from django.http import Http404
from django.utils import timezone, translation

from kefu.accounts.models import AuditAction, AuditEntry, Skill
from kefu.accounts.roles import Role
from kefu.core import timeline
from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.events import Delivery, subscribe, unsubscribe
from kefu.core.models import TimelineEntry
from kefu.customers import selectors
from kefu.customers.events import CustomersAssigned
from kefu.customers.models import (
    ContactIdentity,
    Customer,
    DuplicateCandidate,
    DuplicateStatus,
    Gender,
    Level,
)
from kefu.customers.services import assignment, merging, profiles

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 6, 5, tzinfo=dt.UTC)  # 14:05 in Shanghai


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"客户{n}")


def owning(agent, count: int) -> list[Customer]:
    return CustomerFactory.create_batch(count, owner=agent)


@pytest.fixture(autouse=True)
def in_english():
    """Refusals are asserted by their English msgid, whatever the translations say."""
    with translation.override("en"):
        yield


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR)


@pytest.fixture
def events():
    received = []

    def listen(event):
        received.append(event)

    subscribe(CustomersAssigned, listen, mode=Delivery.INLINE)
    yield received
    unsubscribe(CustomersAssigned, listen)


def customer_state(*customers) -> list[tuple]:
    return [
        (c.pk, c.owner_id, c.owner_assigned_at, c.contact_due_at, c.merged_into_id)
        for c in Customer.objects.filter(pk__in=[c.pk for c in customers]).order_by("pk")
    ]


# --- plan_assignment ---------------------------------------------------------------------------


def test_plan_balances_the_number_of_customers_each_agent_owns(make_user, supervisor):
    a, b, c = make_user(Role.AGENT), make_user(Role.AGENT), make_user(Role.AGENT)
    owning(a, 5)
    owning(c, 2)
    new = CustomerFactory.create_batch(6)

    plan = assignment.plan_assignment(actor=supervisor, customers=new, agents=[a, b, c])

    assert plan.pairs == (
        (new[0].pk, b.pk),
        (new[1].pk, b.pk),
        (new[2].pk, b.pk),  # b catches up with c
        (new[3].pk, c.pk),
        (new[4].pk, b.pk),
        (new[5].pk, c.pk),  # then they alternate, b first on ties
    )
    assert [
        (load.agent, load.owned_before, load.assigned, load.owned_after) for load in plan.loads
    ] == [
        (a, 5, 0, 5),
        (b, 0, 4, 4),
        (c, 2, 2, 4),
    ]
    again = assignment.plan_assignment(
        actor=supervisor, customers=list(reversed(new)), agents=[a, b, c]
    )
    assert again.pairs == plan.pairs  # deterministic, whatever order the customers come in


def test_the_preview_matches_what_each_agent_owns_after_the_confirmation(make_user, supervisor):
    a, b = make_user(Role.AGENT), make_user(Role.AGENT)
    already_a = CustomerFactory(
        owner=a
    )  # selected again, e.g. from an "all customers in 南宁" filter
    new = CustomerFactory()

    plan = assignment.plan_assignment(actor=supervisor, customers=[already_a, new], agents=[a, b])
    assignment.assign_customers(actor=supervisor, pairs=list(plan.pairs))

    actual = {agent.pk: Customer.objects.filter(owner=agent).count() for agent in (a, b)}
    assert {load.agent.pk: load.owned_after for load in plan.loads} == actual
    assert sorted(actual.values()) == [1, 1]


def test_plan_prefers_agents_with_the_needed_skill(make_user, supervisor):
    aftersales = Skill.objects.create(code="aftersales", name="售后")
    skilled, free = make_user(Role.AGENT), make_user(Role.AGENT)
    skilled.agent_profile.skills.add(aftersales)
    owning(skilled, 3)
    needs_skill = CustomerFactory(needed_skill=aftersales)
    plain = CustomerFactory()

    plan = assignment.plan_assignment(
        actor=supervisor, customers=[plain, needs_skill], agents=[free, skilled]
    )

    assert plan.pairs == ((needs_skill.pk, skilled.pk), (plain.pk, free.pk))
    assert [(load.agent, load.owned_after) for load in plan.loads] == [(free, 1), (skilled, 4)]


def test_plan_falls_back_to_all_chosen_agents_when_none_has_the_skill(make_user, supervisor):
    english = Skill.objects.create(code="english", name="English")
    busy, idle = make_user(Role.AGENT), make_user(Role.AGENT)
    owning(busy, 2)
    customer = CustomerFactory(needed_skill=english)

    plan = assignment.plan_assignment(actor=supervisor, customers=[customer], agents=[busy, idle])

    assert plan.pairs == ((customer.pk, idle.pk),)


def test_a_plan_needs_agents_customers_and_the_assignment_right(make_user, supervisor):
    agent = make_user(Role.AGENT)
    customer = CustomerFactory()
    with pytest.raises(DomainError, match="Choose at least one agent"):
        assignment.plan_assignment(actor=supervisor, customers=[customer], agents=[])
    with pytest.raises(DomainError, match="Choose at least one customer"):
        assignment.plan_assignment(actor=supervisor, customers=[], agents=[agent])
    with pytest.raises(PermissionRefused):
        assignment.plan_assignment(actor=agent, customers=[customer], agents=[agent])


# --- assign_customers --------------------------------------------------------------------------


def test_assign_customers_sets_owner_starts_the_clock_records_and_emits(
    make_user,
    supervisor,
    events,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    first, second = make_user(Role.AGENT), make_user(Role.AGENT)
    c1, c2, c3 = CustomerFactory.create_batch(3)
    monkeypatch.setattr(timezone, "now", lambda: NOW)

    with django_capture_on_commit_callbacks(execute=True):
        count = assignment.assign_customers(
            actor=supervisor, pairs=[(c1.pk, first.pk), (c2.pk, second.pk), (c3.pk, first.pk)]
        )

    assert count == 3
    due = NOW + dt.timedelta(days=7)
    assert customer_state(c1, c2, c3) == [
        (c1.pk, first.pk, NOW, due, None),
        (c2.pk, second.pk, NOW, due, None),
        (c3.pk, first.pk, NOW, due, None),
    ]
    entry = TimelineEntry.objects.get(customer_id=c1.pk, kind="customers.assigned")
    assert (entry.actor, entry.data, entry.summary) == (
        supervisor,
        {"owner_id": first.pk},
        f"Assigned to {first}, to contact by 2026-11-30",
    )
    assert TimelineEntry.objects.filter(kind="customers.assigned").count() == 3
    assert events == [
        CustomersAssigned(
            owner_id=first.pk, customer_ids=(c1.pk, c3.pk), assigned_by_id=supervisor.pk
        ),
        CustomersAssigned(owner_id=second.pk, customer_ids=(c2.pk,), assigned_by_id=supervisor.pk),
    ]


def test_a_customer_already_owned_by_the_chosen_agent_is_left_alone(
    make_user, supervisor, events, django_capture_on_commit_callbacks
):
    agent = make_user(Role.AGENT)
    customer = CustomerFactory(owner=agent)

    with django_capture_on_commit_callbacks(execute=True):
        count = assignment.assign_customers(actor=supervisor, pairs=[(customer.pk, agent.pk)])

    assert count == 0
    assert customer_state(customer) == [(customer.pk, agent.pk, None, None, None)]
    assert events == []


def test_a_plan_whose_customer_was_merged_meanwhile_changes_nothing(
    make_user, supervisor, events, django_capture_on_commit_callbacks
):
    agent = make_user(Role.AGENT)
    keep, gone = CustomerFactory.create_batch(2)
    plan = assignment.plan_assignment(actor=supervisor, customers=[keep, gone], agents=[agent])
    merging.merge_customers(actor=supervisor, survivor=keep, duplicate=gone)
    before = customer_state(keep, gone)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(DomainError, match="make the plan again"),
    ):
        assignment.assign_customers(actor=supervisor, pairs=list(plan.pairs))

    assert customer_state(keep, gone) == before
    assert not TimelineEntry.objects.filter(kind="customers.assigned").exists()
    assert events == []


def test_an_agent_may_not_assign(make_user):
    agent = make_user(Role.AGENT)
    customer = CustomerFactory()
    with pytest.raises(PermissionRefused):
        assignment.assign_customers(actor=agent, pairs=[(customer.pk, agent.pk)])
    assert customer_state(customer) == [(customer.pk, None, None, None, None)]


def test_recording_a_contact_meets_the_seven_day_rule(make_user):
    agent = make_user(Role.AGENT)
    customer = CustomerFactory(owner=agent, contact_due_at=NOW + dt.timedelta(days=3))

    profiles.record_contact(
        actor=agent, customer=customer, kind="call", note="约了周五上门", at=NOW
    )

    customer.refresh_from_db()
    assert (customer.contact_due_at, customer.last_contacted_at) == (None, NOW)
    entry = TimelineEntry.objects.get(customer_id=customer.pk, kind="customers.contacted")
    assert (entry.actor, entry.occurred_at, entry.data) == (agent, NOW, {"contact_kind": "call"})
    assert not selectors.contact_due(owner=agent).exists()


# --- merging -----------------------------------------------------------------------------------


def make_pair(make_user):
    agent = make_user(Role.AGENT)
    survivor = profiles.create_customer(
        actor=agent,
        name="张伟",
        contacts=profiles.ContactPoints({"mobile": ["13800138000"]}),
        tags=["老客户"],
        level=Level.MEMBER,
        city="南宁市",
    )
    duplicate = profiles.create_customer(
        actor=agent,
        name="张伟（重复）",
        contacts=profiles.ContactPoints({"wechat": ["wx_zhangwei"]}),
        tags=["投诉"],
        level=Level.VIP,
        city="柳州市",
        district="青秀区",
        address="民族大道 100 号",
        email="ZW@Example.cn",
    )
    candidate = profiles.propose_duplicate(customer=survivor, other=duplicate, reason="同一个人")
    return survivor, duplicate, candidate


def test_merge_moves_everything_to_the_survivor_and_is_audited(make_user, supervisor):
    survivor, duplicate, candidate = make_pair(make_user)
    timeline.record(
        subject=duplicate,
        customer_id=duplicate.pk,
        kind="customers.contacted",
        summary="电话",
        actor=supervisor,
    )

    result = merging.merge_customers(actor=supervisor, survivor=survivor, duplicate=duplicate)

    assert result.pk == survivor.pk
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert set(ContactIdentity.objects.filter(customer=survivor).values_list("kind", "value")) == {
        ("mobile", "+8613800138000"),
        ("wechat", "wx_zhangwei"),
        ("email", "zw@example.cn"),
    }
    assert not ContactIdentity.objects.filter(customer=duplicate).exists()
    assert sorted(t.name for t in survivor.tags.all()) == ["投诉", "老客户"]
    assert not TimelineEntry.objects.filter(customer_id=duplicate.pk).exists()
    assert sorted(
        TimelineEntry.objects.filter(customer_id=survivor.pk).values_list("kind", flat=True)
    ) == [
        "customers.contacted",
        "customers.created",
        "customers.created",
        "customers.merged",
    ]
    # Empty fields are filled from the duplicate, filled ones are kept; the higher level wins.
    assert (
        survivor.name,
        survivor.city,
        survivor.district,
        survivor.address,
        survivor.email,
        survivor.level,
    ) == (
        "张伟",
        "南宁市",
        "青秀区",
        "民族大道 100 号",
        "zw@example.cn",
        Level.VIP,
    )
    assert survivor.mobile == "+8613800138000"
    assert duplicate.merged_into_id == survivor.pk
    candidate.refresh_from_db()
    assert (candidate.status, candidate.decided_by) == (DuplicateStatus.MERGED, supervisor)
    audit = AuditEntry.objects.get(action=AuditAction.MERGE)
    assert (
        audit.actor,
        audit.object_id,
        audit.details["merged_id"],
        audit.details["merged_name"],
    ) == (
        supervisor,
        str(survivor.pk),
        duplicate.pk,
        "张伟（重复）",
    )


def test_merging_into_itself_or_an_already_merged_customer_is_refused(make_user, supervisor):
    survivor, duplicate, _candidate = make_pair(make_user)
    with pytest.raises(DomainError, match="cannot be merged with itself"):
        merging.merge_customers(actor=supervisor, survivor=survivor, duplicate=survivor)
    assert customer_state(survivor, duplicate) == [
        (survivor.pk, None, None, None, None),
        (duplicate.pk, None, None, None, None),
    ]

    third = CustomerFactory()
    merging.merge_customers(actor=supervisor, survivor=third, duplicate=duplicate)
    identities_before = set(ContactIdentity.objects.values_list("customer_id", "kind", "value"))
    for pair in [(survivor, duplicate), (duplicate, survivor)]:
        with pytest.raises(DomainError, match="already been merged"):
            merging.merge_customers(actor=supervisor, survivor=pair[0], duplicate=pair[1])
    assert customer_state(survivor, duplicate) == [
        (survivor.pk, None, None, None, None),
        (duplicate.pk, None, None, None, third.pk),
    ]
    assert (
        set(ContactIdentity.objects.values_list("customer_id", "kind", "value"))
        == identities_before
    )
    assert AuditEntry.objects.filter(action=AuditAction.MERGE).count() == 1


def test_an_agent_may_not_merge(make_user):
    survivor, duplicate, candidate = make_pair(make_user)
    agent = make_user(Role.AGENT)
    with pytest.raises(PermissionRefused):
        merging.merge_customers(actor=agent, survivor=survivor, duplicate=duplicate)
    duplicate.refresh_from_db()
    candidate.refresh_from_db()
    assert (duplicate.merged_into_id, candidate.status) == (None, DuplicateStatus.OPEN)
    assert not AuditEntry.objects.filter(action=AuditAction.MERGE).exists()


def test_dismissing_a_duplicate_records_who_decided(make_user, supervisor):
    _survivor, _duplicate, candidate = make_pair(make_user)
    merging.dismiss_duplicate(actor=supervisor, candidate=candidate)
    candidate.refresh_from_db()
    assert (candidate.status, candidate.decided_by) == (DuplicateStatus.DISMISSED, supervisor)


def test_a_pair_already_merged_cannot_be_dismissed_afterwards(make_user, supervisor):
    survivor, duplicate, candidate = make_pair(make_user)
    merging.merge_customers(actor=supervisor, survivor=survivor, duplicate=duplicate)
    with pytest.raises(DomainError, match="already been decided"):
        merging.dismiss_duplicate(actor=supervisor, candidate=candidate)
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.MERGED


def test_a_merge_passes_the_merged_records_other_suggestions_to_the_survivor(make_user, supervisor):
    survivor, duplicate, _candidate = make_pair(make_user)
    third = CustomerFactory(name="张伟（第三条）")
    profiles.propose_duplicate(customer=duplicate, other=third, reason="同一 QQ")

    merging.merge_customers(actor=supervisor, survivor=survivor, duplicate=duplicate)

    open_pairs = set(
        DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN).values_list(
            "customer_id", "other_id", "reason"
        )
    )
    assert open_pairs == {(survivor.pk, third.pk, "同一 QQ")}


def test_a_merged_survivor_without_owner_takes_the_duplicates_owner_and_contact_clock(
    make_user, supervisor
):
    survivor, duplicate, _candidate = make_pair(make_user)
    agent = make_user(Role.AGENT)
    assignment.assign_customers(actor=supervisor, pairs=[(duplicate.pk, agent.pk)])
    duplicate.refresh_from_db()

    merging.merge_customers(actor=supervisor, survivor=survivor, duplicate=duplicate)

    survivor.refresh_from_db()
    assert (survivor.owner, survivor.owner_assigned_at, survivor.contact_due_at) == (
        agent,
        duplicate.owner_assigned_at,
        duplicate.contact_due_at,
    )


# --- duplicates at entry -----------------------------------------------------------------------


def test_a_mobile_owned_by_another_customer_is_refused_and_proposed_as_a_duplicate(make_user):
    agent = make_user(Role.AGENT)
    owner = profiles.create_customer(
        actor=agent, name="李娜", contacts=profiles.ContactPoints({"mobile": ["13900139000"]})
    )
    other = profiles.create_customer(actor=agent, name="李娜娜")

    with pytest.raises(profiles.IdentityTaken) as refused:
        profiles.update_customer(
            actor=agent,
            customer=other,
            contacts=profiles.ContactPoints({"mobile": ["+86 139-0013-9000"]}),
        )

    assert refused.value.other == owner
    assert list(
        ContactIdentity.objects.filter(kind="mobile").values_list("customer_id", "value")
    ) == [(owner.pk, "+8613900139000")]
    assert list(DuplicateCandidate.objects.values_list("customer_id", "other_id", "status")) == [
        (owner.pk, other.pk, DuplicateStatus.OPEN)
    ]


def test_creating_a_customer_with_a_known_mobile_names_the_existing_one(make_user):
    agent = make_user(Role.AGENT)
    owner = profiles.create_customer(
        actor=agent, name="李娜", contacts=profiles.ContactPoints({"mobile": ["13900139000"]})
    )
    with pytest.raises(profiles.IdentityTaken) as refused:
        profiles.create_customer(
            actor=agent,
            name="另一个",
            contacts=profiles.ContactPoints({"mobile": ["１３９００１３９０００"]}),
        )
    assert refused.value.other == owner
    assert list(Customer.objects.values_list("name", flat=True)) == ["李娜"]


# --- completeness ------------------------------------------------------------------------------


def test_completeness_names_the_missing_fields(make_user):
    agent = make_user(Role.AGENT)
    customer = profiles.create_customer(
        actor=agent,
        name="王芳",
        contacts=profiles.ContactPoints({"mobile": ["13700137000"]}),
        gender=Gender.FEMALE,
        region="广西",
        city="南宁市",
    )
    assert profiles.missing_fields(customer) == ["district", "street", "address"]
    assert customer.completeness == 62  # 5 of 8

    bare = profiles.create_customer(actor=agent, name="无名")
    assert profiles.missing_fields(bare) == [
        "mobile",
        "gender",
        "province",
        "city",
        "district",
        "street",
        "address",
    ]
    assert bare.completeness == 12  # 1 of 8

    profiles.update_customer(
        actor=agent,
        customer=customer,
        district="青秀区",
        street="新竹街道",
        address="民族大道 1 号",
    )
    customer.refresh_from_db()
    assert (customer.completeness, profiles.missing_fields(customer)) == (100, [])


# --- who sees which customer -------------------------------------------------------------------


def test_visibility_by_role(make_user, supervisor):
    agent, colleague = make_user(Role.AGENT), make_user(Role.AGENT)
    owned = CustomerFactory(owner=agent)
    created = CustomerFactory(created_by=agent)
    served = CustomerFactory(owner=colleague)
    timeline.record(
        subject=served,
        customer_id=served.pk,
        kind="customers.contacted",
        summary="电话",
        actor=agent,
    )
    others = CustomerFactory(owner=colleague, created_by=colleague)
    merged = CustomerFactory(owner=agent, merged_into=others)

    assert set(selectors.visible_customers(agent)) == {owned, created, served}
    assert set(selectors.visible_customers(colleague)) == {served, others}
    assert set(selectors.visible_customers(supervisor)) == {owned, created, served, others}
    assert merged not in selectors.visible_customers(supervisor)
    for role in (Role.DEPARTMENT_STAFF, Role.INSPECTOR):
        assert list(selectors.visible_customers(make_user(role))) == []


def test_access_customer_answers_a_merged_id_with_the_survivor(make_user, supervisor):
    agent = make_user(Role.AGENT)
    survivor, gone = CustomerFactory(owner=agent), CustomerFactory(owner=agent)
    merging.merge_customers(actor=supervisor, survivor=survivor, duplicate=gone)

    assert selectors.access_customer(actor=supervisor, customer_id=gone.pk) == survivor
    assert selectors.access_customer(actor=agent, customer_id=gone.pk) == survivor


def test_access_to_another_agents_customer_is_a_404_and_audited(make_user):
    agent, colleague = make_user(Role.AGENT), make_user(Role.AGENT)
    customer = CustomerFactory(owner=colleague)
    with pytest.raises(Http404):
        selectors.access_customer(actor=agent, customer_id=customer.pk)
    with pytest.raises(Http404):
        selectors.access_customer(actor=agent, customer_id=customer.pk + 1000)
    assert list(
        AuditEntry.objects.filter(action=AuditAction.ACCESS_DENIED).values_list(
            "actor", "object_id"
        )
    ) == [
        (agent.pk, str(customer.pk)),
    ]
