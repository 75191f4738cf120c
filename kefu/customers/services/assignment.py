"""Assignment 资料处理: customers to agents, balancing how many each owns and matching skills
(按照负责客户数量均衡、兼顾业务能力); each assigned agent contacts the customer within a week."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Perm, Role
from kefu.core import timeline
from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.events import emit
from kefu.customers import identities, selectors
from kefu.customers.events import ContactOverdue, CustomerAssignmentRequested, CustomersAssigned
from kefu.customers.models import Customer, IdentityKind
from kefu.customers.selectors import overdue_contact

CONTACT_WITHIN = dt.timedelta(days=7)  # 应在一周内与客户进行沟通


@dataclass(frozen=True)
class AgentLoad:
    """One agent's customers now, how many of the batch they receive, and their count afterwards.
    Batch customers an agent owns now and keeps count in `assigned` too; those moving away do not."""

    agent: User
    owned_before: int
    assigned: int
    owned_after: int

    @property
    def change(self) -> int:
        return self.owned_after - self.owned_before


@dataclass(frozen=True)
class AssignmentPlan:
    """Who gets which customer, and each agent's load before and after: what is shown to confirm."""

    pairs: tuple[tuple[int, int], ...]  # (customer_id, agent_id)
    loads: tuple[AgentLoad, ...]


def _require_assign(actor: User) -> None:
    if not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("You do not have permission to do this."))


def assignable_agents() -> list[User]:
    return list(
        User.objects.filter(role=Role.AGENT, is_active=True)
        .select_related("agent_profile")
        .prefetch_related("agent_profile__skills")
        .order_by("id")
    )


def plan_assignment(
    *, actor: User, customers: list[Customer], agents: list[User]
) -> AssignmentPlan:
    """Give each customer to the agent who will own the fewest customers after it, among the agents
    with the skill the customer needs (all chosen agents when none has it). Deterministic: ties go
    to the agent listed first."""
    _require_assign(actor)
    if not agents:
        raise DomainError(_("Choose at least one agent."))
    if not customers:
        raise DomainError(_("Choose at least one customer."))
    batch_ids = [c.pk for c in customers]
    owners_now = Counter(c.owner_id for c in customers if c.owner_id)
    owned_outside_batch = Counter(
        dict(
            Customer.objects.filter(owner__in=agents, merged_into__isnull=True)
            .exclude(pk__in=batch_ids)
            .values_list("owner")
            .annotate(n=Count("id"))
            .values_list("owner", "n")
        )
    )
    skills = {
        a.pk: {s.pk for s in a.agent_profile.skills.all()} if hasattr(a, "agent_profile") else set()
        for a in agents
    }
    assigned: Counter = Counter()
    pairs = []
    # Customers needing a skill first: they have fewer possible agents.
    for customer in sorted(customers, key=lambda c: (c.needed_skill_id is None, c.pk)):
        candidates = (
            [a for a in agents if customer.needed_skill_id in skills[a.pk]]
            if customer.needed_skill_id
            else []
        )
        pool = candidates or agents
        chosen = min(
            pool, key=lambda a: (owned_outside_batch[a.pk] + assigned[a.pk], agents.index(a))
        )
        assigned[chosen.pk] += 1
        pairs.append((customer.pk, chosen.pk))
    loads = tuple(
        AgentLoad(
            agent=a,
            owned_before=owned_outside_batch[a.pk] + owners_now[a.pk],
            assigned=assigned[a.pk],
            owned_after=owned_outside_batch[a.pk] + assigned[a.pk],
        )
        for a in agents
    )
    return AssignmentPlan(pairs=tuple(pairs), loads=loads)


@transaction.atomic
def assign_customers(*, actor: User, pairs: list[tuple[int, int]]) -> int:
    """Carry out a confirmed plan: set owners, start each seven-day contact clock, record it."""
    _require_assign(actor)
    agents = {
        a.pk: a
        for a in User.objects.filter(
            pk__in={agent_id for _c, agent_id in pairs}, role=Role.AGENT, is_active=True
        )
    }
    customers = {
        c.pk: c
        for c in Customer.objects.select_for_update().filter(
            pk__in=[c for c, _a in pairs], merged_into__isnull=True
        )
    }
    if len(customers) != len({c for c, _a in pairs}) or any(a not in agents for _c, a in pairs):
        raise DomainError(
            _("Some customers or agents changed since the plan was made; make the plan again.")
        )
    now = timezone.now()
    by_agent: dict[int, list[int]] = {}
    for customer_id, agent_id in pairs:
        customer = customers[customer_id]
        if customer.owner_id == agent_id:
            continue
        customer.owner_id = agent_id
        customer.owner_assigned_at = now
        customer.contact_due_at = now + CONTACT_WITHIN
        customer.contact_reminded_at = None
        customer.save(
            update_fields=[
                "owner",
                "owner_assigned_at",
                "contact_due_at",
                "contact_reminded_at",
                "updated_at",
            ]
        )
        timeline.record(
            subject=customer,
            customer_id=customer.pk,
            kind="customers.assigned",
            actor=actor,
            summary=_("Assigned to %(agent)s, to contact by %(due)s")
            % {
                "agent": agents[agent_id],
                "due": timezone.localtime(customer.contact_due_at).strftime("%Y-%m-%d"),
            },
            data={"owner_id": agent_id},
        )
        by_agent.setdefault(agent_id, []).append(customer_id)
    for agent_id, customer_ids in by_agent.items():
        emit(
            CustomersAssigned(
                owner_id=agent_id, customer_ids=tuple(customer_ids), assigned_by_id=actor.pk
            )
        )
    return sum(len(ids) for ids in by_agent.values())


REMIND_AT_MOST = 5000  # customers per sweep; the next sweep takes the rest


def remind_overdue_contacts(*, now: dt.datetime | None = None) -> int:
    """Tell each owner, once per assignment, about their customers whose seven-day contact is
    overdue (ContactOverdue → a notification). Supervisors see the same customers on the due list.
    Returns how many customers were reminded about."""
    now = now or timezone.now()
    by_owner: dict[int, list[int]] = {}
    with transaction.atomic():
        rows = list(
            Customer.objects.select_for_update()
            .filter(
                overdue_contact(now=now),
                contact_reminded_at__isnull=True,
                owner__isnull=False,
                merged_into__isnull=True,
            )
            .order_by("contact_due_at")
            .values_list("pk", "owner_id")[:REMIND_AT_MOST]
        )
        for customer_id, owner_id in rows:
            by_owner.setdefault(owner_id, []).append(customer_id)
        Customer.objects.filter(pk__in=[pk for pk, _o in rows]).update(contact_reminded_at=now)
        for owner_id, customer_ids in by_owner.items():
            emit(ContactOverdue(owner_id=owner_id, customer_ids=tuple(customer_ids)))
    return len(rows)


def request_assignment(*, actor: User, kind: str, value: str) -> None:
    """An agent asks the supervisors to assign them the customer a contact point belongs to, when
    they may not open that customer (the duplicate check refused to name it). The agent learns
    nothing more about the customer; the supervisors are told who asked, for which customer.

    Writes nothing on the customer (a timeline entry by the agent would let them open it)."""
    if not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("You do not have permission to do this."))
    if kind not in IdentityKind.values:
        raise DomainError(_("Unknown kind of contact point."))
    try:
        value = identities.normalise(kind, value)
    except identities.InvalidIdentity as error:
        raise DomainError(str(error)) from error
    customer = selectors.find_by_identity(kind, value)
    if customer is None:
        raise DomainError(_("No customer has this contact point any more; create the customer."))
    if selectors.may_open_customer(actor, customer):
        raise DomainError(_("You may already open this customer; no assignment is needed."))
    emit(CustomerAssignmentRequested(customer_id=customer.pk, requested_by_id=actor.pk))
