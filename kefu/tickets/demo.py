"""Demo tickets: the complaint categories 客诉分类, routing rules, time limits, and a year of tickets.

About 1,500 tickets (KEFU_DEMO_TICKETS; 0 builds only the categories, rules and time limits) of every
type, channel and priority, linked to the demo customers and worked by the demo agents, department
staff and supervisors. Every ticket lives its life through the real services (create_ticket, the
loop's moves, add_note) with `now` set in the past, in the order it happened: numbers, deadlines,
versions and timeline entries are what the application itself would have written. The time-limit
sweep runs along the way (during working hours) and once more at the end, so breaches are on
record for the months past and for the tickets still open.

Nobody is told about this history: the events of the build are dropped before commit (no
notifications, no e-mail about months-old demo tickets).

The data (categories, time limits, cases, notes, weights and fates) is in demo_data.py; this module
is the builder.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import os
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from faker import Faker

from kefu.accounts.models import Department, User
from kefu.accounts.roles import Role
from kefu.core.business_calendar import BusinessCalendar
from kefu.core.events import muted
from kefu.core.models import TimelineEntry
from kefu.customers.models import Customer, Level
from kefu.tickets.demo_data import (
    CARRIED_OUT_NOTES,
    CASES,
    CATEGORY_TREE,
    CHANNEL_WEIGHTS,
    COMPLAINT_FATES,
    COURIER_PREFIX,
    COURIERS,
    COVERAGE,
    CS_NOTES,
    DUPLICATES_PER_TICKET,
    HOUR_WEIGHTS,
    INFO_REQUESTS,
    INVALID,
    MAIN,
    PLAN_RETURN_REASONS,
    PRIORITY_WEIGHTS,
    PRODUCTS,
    PROGRESS_NOTES,
    REOPEN_REASONS,
    SATISFACTION_WEIGHTS,
    SHORT_CASES,
    SHORT_FATES,
    SLA_POLICIES,
    SMALL_DEMO,
    STUCK,
    SWEEP_TIMES,
    TYPE_WEIGHTS,
    VISIT_OUTCOMES,
)
from kefu.tickets.models import (
    Channel,
    NoteKind,
    RoutingRule,
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketNote,
)
from kefu.tickets.services import loop, sla
from kefu.tickets.services.tickets import add_note, create_ticket, set_watching
from kefu.tickets.states import Priority, TicketType

DEFAULT_COUNT = 1500
HISTORY_DAYS = 365  # a year: every report has a year of history (issue 13)


# 总结评价 when a complaint closes, and what resolving it cost (yuan).
EVALUATIONS = [
    "原因已查明，按方案处理完毕，客户接受结果；已请责任部门补充检查环节，避免再次发生。",
    "处理及时，补偿到位，客户回访表示满意；建议把此类问题写入常见问题解答。",
    "处理周期偏长，客户等待较久；今后同类投诉先电话安抚并告知预计时间。",
    "问题出在交接环节，已与相关部门约定交接清单，下月复查执行情况。",
]
COSTS = ["0.00", "0.00", "10.00", "20.00", "30.00", "50.00", "80.00", "120.00", "200.00", "399.00"]


def _evaluation(rng: random.Random, life) -> dict[str, Any]:
    if life.type != TicketType.COMPLAINT:
        return {}
    return {"summary": rng.choice(EVALUATIONS), "cost": rng.choice(COSTS)}


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# --- the catalog -----------------------------------------------------------------------------------


def build_catalog() -> dict[tuple[str, str], TicketCategory]:
    """Categories, routing rules and time limits; existing ones (a manager's) are kept as they are."""
    departments = {d.code: d for d in Department.objects.all()}
    categories: dict[tuple[str, str], TicketCategory] = {}
    for root_order, (root_name, root_department, leaves) in enumerate(CATEGORY_TREE, start=1):
        root, _created = TicketCategory.objects.get_or_create(
            parent=None, name=root_name, defaults={"sort_order": root_order * 10}
        )
        categories[root_name, ""] = root
        routes = [(root, root_department)]
        for leaf_order, (leaf_name, leaf_department) in enumerate(leaves, start=1):
            leaf, _created = TicketCategory.objects.get_or_create(
                parent=root, name=leaf_name, defaults={"sort_order": leaf_order * 10}
            )
            categories[root_name, leaf_name] = leaf
            if leaf_department:
                routes.append((leaf, leaf_department))
        for routed, code in routes:
            if code in departments and not RoutingRule.objects.filter(category=routed).exists():
                RoutingRule.objects.create(category=routed, department=departments[code])
    for name, path, priority, first, stage, resolution in SLA_POLICIES:
        category = categories[path[0], path[1] if len(path) > 1 else ""] if path else None
        if not SlaPolicy.objects.filter(
            category=category, priority=priority, is_active=True
        ).exists():
            SlaPolicy.objects.create(
                name=name,
                category=category,
                priority=priority,
                first_response_minutes=first,
                stage_minutes=stage,
                resolution_minutes=resolution,
            )
    return categories


# --- the tickets -----------------------------------------------------------------------------------


@dataclass
class Life:
    """One ticket from creation to where it is now: what it says, who works it, and when each move happens."""

    type: str
    fate: str
    moves: list[str]
    category: TicketCategory
    case: dict
    words: dict[str, str]
    subject: str
    content: str
    answer: str
    priority: str
    channel: str
    customer_id: int | None
    complainant: str
    creator: User
    assignee: User | None
    department: Department | None
    staff: User | None
    schedule: list[tuple[dt.datetime, str]] = field(default_factory=list)
    pk: int = 0
    number: str = ""
    survivor: Life | None = None  # a duplicate: the ticket it is merged into
    version: int = 0


class _Builder:
    def __init__(
        self,
        *,
        count: int,
        seed: int,
        now: dt.datetime,
        categories: dict[tuple[str, str], TicketCategory],
    ):
        self.count = count
        self.now = now
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.calendar = BusinessCalendar()
        self.categories = categories
        users = list(
            User.objects.filter(is_active=True).select_related("department").order_by("id")
        )
        self.agents = [u for u in users if u.role == Role.AGENT]
        self.supervisors = [u for u in users if u.role == Role.SUPERVISOR]
        self.approvers = self.supervisors + [u for u in users if u.role == Role.MANAGER]
        self.staff: dict[int, User] = {}
        for user in users:
            if user.role == Role.DEPARTMENT_STAFF and user.department_id:
                self.staff.setdefault(user.department_id, user)
        self.audit = Department.objects.filter(code="audit").first()
        customers = sorted(
            Customer.objects.filter(merged_into__isnull=True).values_list(
                "created_at", "pk", "name", "level", "city"
            )
        )
        self.customer_times = [c[0] for c in customers]
        self.customers = customers
        self.routes: dict[int, Department | None] = {}
        self.limits: dict[tuple[int, str], sla.Limits] = {}
        self.notes: list[tuple[int, dt.datetime]] = []

    # what the ticket says

    def _words(self, created: dt.datetime, city: str, products: list[str] | None) -> dict[str, str]:
        rng = self.rng
        courier = rng.choice(COURIERS)
        earlier = timezone.localtime(created) - dt.timedelta(days=rng.randint(2, 12))
        return {
            "product": rng.choice(products or PRODUCTS),
            "order": f"{earlier:%y%m%d}{rng.randint(10**9, 10**10 - 1)}",
            "courier": courier,
            "tracking": f"{COURIER_PREFIX[courier]}{rng.randint(10**11, 10**12 - 1)}",
            "days": str(rng.randint(3, 9)),
            "amount": f"{rng.choice([129, 199, 259, 299, 399, 499, 699, 899, 1299, 1999, 2599])}.00",
            "date": f"{earlier.month}月{earlier.day}日",
            "city": city or rng.choice(["南宁", "柳州", "桂林", "广州", "深圳", "佛山"]),
        }

    def _customer(self, created: dt.datetime) -> tuple | None:
        if not self.customers:
            return None
        known = bisect.bisect_left(self.customer_times, created)
        return (
            self.customers[self.rng.randrange(known)] if known else self.rng.choice(self.customers)
        )

    def _route(self, category: TicketCategory) -> Department | None:
        if category.pk not in self.routes:
            self.routes[category.pk] = loop.routing_department_for(category) or self.audit
        return self.routes[category.pk]

    def _limits(self, life: Life) -> sla.Limits:
        key = (life.category.pk, life.priority)
        if key not in self.limits:
            self.limits[key] = sla.limits_for(category=life.category, priority=life.priority)
        return self.limits[key]

    def _created_at(self, open_now: bool, stuck: bool) -> dt.datetime:
        rng = self.rng
        if stuck:
            days_ago = rng.uniform(8, 20)
        elif open_now:
            days_ago = rng.uniform(0, 1.5) if rng.random() < 0.75 else rng.uniform(1.5, 7)
        else:
            days_ago = HISTORY_DAYS * rng.random() ** 1.25  # a growing shop: more tickets lately
        day = (timezone.localtime(self.now) - dt.timedelta(days=days_ago)).date()
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        moment = dt.datetime.combine(
            day,
            dt.time(hour, rng.randint(0, 59), rng.randint(0, 59)),
            tzinfo=timezone.get_current_timezone(),
        )
        return min(moment, self.now - dt.timedelta(minutes=rng.randint(5, 90)))

    def life(self, type_: str, fate: str, *, stuck: bool = False) -> Life:
        rng = self.rng
        complaint = type_ == TicketType.COMPLAINT
        _weight, moves, open_now = (COMPLAINT_FATES if complaint else SHORT_FATES)[fate]
        created = self._created_at(open_now, stuck)
        customer = self._customer(created) if complaint or rng.random() < 0.9 else None
        if complaint:
            root, leaf = rng.choice(list(CASES))
            case = CASES[root, leaf]
            subject, content = rng.choice(case["reports"])
            answer = ""
        else:
            short = rng.choice([c for c in SHORT_CASES if c[0] == type_])
            _t, root, leaf, subject, content, answer = short
            case = CASES.get((root, leaf), CASES["其他", ""])
        category = self.categories[root, leaf]
        priority = _pick(rng, PRIORITY_WEIGHTS[TicketType.COMPLAINT if complaint else None])
        if customer and customer[3] == Level.VIP and priority in {Priority.LOW, Priority.NORMAL}:
            priority = Priority.HIGH
        agent = rng.choice(self.agents)
        creator = (
            rng.choice(self.supervisors) if self.supervisors and rng.random() < 0.08 else agent
        )
        unassigned = (fate == "open_received" and rng.random() < 0.6) or rng.random() < 0.03
        department = None
        if complaint or type_ in {TicketType.AFTER_SALES, TicketType.DISPATCH}:
            department = self._route(category)
        staff = self.staff.get(department.pk) if department else None
        if fate == "reopened_open":
            moves = moves[: moves.index("reopen") + rng.randint(1, 6 if complaint else 2)]
        if complaint and staff is None:  # nobody could carry it further: it waits at the department
            moves = moves[: moves.index("valid") + 1] if "valid" in moves else moves
        life = Life(
            type=type_,
            fate=fate,
            moves=list(moves),
            category=category,
            case=case,
            words={},
            subject=subject,
            content=content,
            answer=answer,
            priority=priority,
            channel=_pick(rng, CHANNEL_WEIGHTS[TicketType.COMPLAINT if complaint else None]),
            customer_id=customer[1] if customer else None,
            complainant=(customer[2] if customer else self.fake.name()) if complaint else "",
            creator=creator,
            assignee=None if unassigned else agent,
            department=department,
            staff=staff,
        )
        self._schedule(life, created, stuck=stuck)
        created = life.schedule[0][0]
        if customer and customer[0] > created:  # the life was moved back before this customer came
            customer = self._customer(created)
            life.customer_id = customer[1] if customer else None
            if complaint:
                life.complainant = customer[2] if customer else self.fake.name()
        # The words last: dates and order numbers follow the ticket's time once its life is placed.
        life.words = self._words(
            created, customer[4] if customer else "", case.get("products") if complaint else None
        )
        life.subject, life.content, life.answer = (
            text.format_map(life.words) for text in (subject, content, answer)
        )
        return life

    # when each move happens, in working time

    def _later(
        self, moment: dt.datetime, limit: dt.timedelta, *, late: float = 0.04, quick: bool = False
    ) -> dt.datetime:
        rng = self.rng
        if quick:
            factor = rng.uniform(0.01, 0.25)
        elif rng.random() < late:
            factor = rng.uniform(1.05, 2.5)  # this one misses its time limit
        else:
            factor = rng.betavariate(1.6, 3.2)
        return self.calendar.add_working_time(moment, max(limit * factor, dt.timedelta(minutes=2)))

    def _schedule(self, life: Life, created: dt.datetime, *, stuck: bool) -> None:
        rng = self.rng
        limits = self._limits(life)
        schedule = [(created, "create")]
        moment, responded = created, False
        for move in life.moves:
            if move in {"confirm", "answer"} and not responded:
                moment = self._later(moment, limits.first_response, late=0.08)
                responded = True
            elif move in {"valid", "invalid", "approve", "send_back", "close"}:
                moment = self._later(moment, limits.stage, quick=rng.random() < 0.7)
            elif move == "visit":  # 三天之内回访: a few are late
                moment = self._later(moment, sla.return_visit_limit(self.calendar), late=0.06)
            elif move == "reopen":
                moment = self.calendar.add_working_time(
                    moment, dt.timedelta(minutes=rng.randint(300, 4000))
                )
            else:
                moment = self._later(moment, limits.stage)
            schedule.append((moment, move))
            if move == "valid" and life.staff is not None:
                notes = []
                if rng.random() < 0.35:
                    notes.append("note_info")
                if rng.random() < 0.5:
                    notes.append("note_progress")
                if rng.random() < 0.3:
                    notes.append("note_cs")
                for note in notes:
                    schedule.append((self._later(moment, limits.stage, quick=True), note))
                schedule.sort(key=lambda item: item[0])
                moment = schedule[-1][0]
        if (
            life.type == TicketType.COMPLAINT
            and life.priority == Priority.URGENT
            and self.supervisors
        ):
            watched = min(
                created + dt.timedelta(minutes=rng.randint(1, 20)),
                created + (self.now - created) / 2,
            )
            schedule.append((watched, "watch"))
        schedule.sort(key=lambda item: item[0])
        # Whatever has not happened yet cannot be in the demo: move the whole life back by weeks
        # (the same weekday and hour), so that it ends before now.
        latest = self.now - dt.timedelta(minutes=1)
        end = schedule[-1][0]
        if end > latest:
            weeks = (end - latest) // dt.timedelta(days=7) + 1
            schedule = [(when - dt.timedelta(days=7 * weeks), move) for when, move in schedule]
        life.schedule = schedule

    # the demo's history, in the order it happened

    def duplicate(self, lives: list[Life]) -> Life | None:
        """The same customer about the same matter again, a little later, merged into the first ticket
        while that one is still open."""
        rng = self.rng
        for _attempt in range(20):
            first = rng.choice(lives)
            if first.customer_id is None or first.survivor is not None:
                continue
            created = first.schedule[0][0] + dt.timedelta(minutes=rng.randint(15, 240))
            merged = self.calendar.add_working_time(
                created, dt.timedelta(minutes=rng.randint(5, 90))
            )
            ends = [when for when, move in first.schedule if move in {"close", "invalid"}]
            if merged >= min([*ends[:1], self.now - dt.timedelta(minutes=1)]):
                continue
            words = first.words
            return Life(
                type=first.type,
                fate="merged",
                moves=["merge"],
                category=first.category,
                case=first.case,
                words=words,
                subject=first.subject,
                content=f"客户再次来电反映同一问题：{first.content}",
                answer="",
                priority=first.priority,
                channel=rng.choice([Channel.PHONE, Channel.WEB_CHAT, Channel.WECHAT]),
                customer_id=first.customer_id,
                complainant=first.complainant,
                creator=rng.choice(self.agents),
                assignee=None,
                department=first.department if first.type != TicketType.COMPLAINT else None,
                staff=None,
                schedule=[(created, "create"), (merged, "merge")],
                survivor=first,
            )
        return None

    def run(self) -> list[Life]:
        rng = self.rng
        lives: list[Life] = []
        duplicates = round(self.count * DUPLICATES_PER_TICKET) if self.count > len(COVERAGE) else 0
        for index in range(self.count - duplicates):
            if index < len(COVERAGE):
                type_, fate = COVERAGE[index]
                lives.append(self.life(type_, fate, stuck=index in STUCK))
            else:
                type_ = _pick(rng, TYPE_WEIGHTS)
                fates = COMPLAINT_FATES if type_ == TicketType.COMPLAINT else SHORT_FATES
                lives.append(
                    self.life(type_, _pick(rng, {f: w for f, (w, _m, _o) in fates.items()}))
                )
        for _index in range(duplicates):
            duplicate = self.duplicate(lives)
            if duplicate is not None:
                lives.append(duplicate)
        queue: list[tuple[dt.datetime, int, int, int]] = []
        for i, life in enumerate(lives):
            for k, (when, _move) in enumerate(life.schedule):
                queue.append((when, i, k, 0))
        first = min(when for when, *_rest in queue) if queue else self.now
        day = timezone.localtime(first).date()
        while day <= timezone.localtime(self.now).date():
            if self.calendar.is_working_day(day):
                for at in SWEEP_TIMES if self.count >= SMALL_DEMO else SWEEP_TIMES[-1:]:
                    moment = dt.datetime.combine(day, at, tzinfo=timezone.get_current_timezone())
                    if first < moment < self.now:
                        queue.append((moment, -1, 0, 1))
            day += dt.timedelta(days=1)
        heapq.heapify(queue)
        while queue:
            when, i, k, is_sweep = heapq.heappop(queue)
            if is_sweep:
                sla.sweep_sla(when)
            else:
                self._do(lives[i], lives[i].schedule[k][1], when)
        sla.sweep_sla(self.now)
        self._backdate(lives)
        return lives

    def _do(self, life: Life, move: str, when: dt.datetime) -> None:
        rng = self.rng
        agent = life.assignee or life.creator
        staff = life.staff or agent  # a routed ticket's moves always have its department's staff
        common: dict[str, Any] = {
            "ticket_id": life.pk,
            "expected_version": life.version,
            "now": when,
        }
        words = life.words
        ticket = None
        if move == "create":
            ticket = create_ticket(
                actor=life.creator,
                type=life.type,
                subject=life.subject,
                content=life.content,
                customer_id=life.customer_id,
                channel=life.channel,
                category_id=life.category.pk,
                priority=life.priority,
                # a complaint gets its department when it is judged valid (routed)
                department_id=life.department.pk
                if life.department and life.type != TicketType.COMPLAINT
                else None,
                assignee_id=life.assignee.pk if life.assignee else None,
                complainant=life.complainant,
                now=when,
            )
        elif move == "watch":
            set_watching(
                actor=rng.choice(self.supervisors),
                ticket_id=life.pk,
                user_id=rng.choice(self.supervisors).pk,
                watching=True,
            )
        elif move.startswith("note_"):
            kind, author, body = {
                "note_info": (NoteKind.INFO_REQUEST, staff, rng.choice(INFO_REQUESTS)),
                "note_progress": (
                    NoteKind.PROGRESS,
                    staff,
                    rng.choice(
                        PROGRESS_NOTES.get(
                            life.department.code if life.department else "", ["正在核实处理"]
                        )
                    ),
                ),
                "note_cs": (NoteKind.INTERNAL, agent, rng.choice(CS_NOTES)),
            }[move]
            note = add_note(actor=author, ticket_id=life.pk, kind=kind, body=body)
            self.notes.append((note.pk, when))
        elif move == "confirm":
            demand = rng.choice(life.case["demands"])
            ticket = loop.confirm_restatement(
                actor=agent,
                **common,
                restatement=f"客户反映：{life.content.removeprefix('客户').rstrip('。')}。诉求：{demand}。已向客户复述，客户确认无误。",
            )
        elif move == "invalid":
            root = life.category.parent.name if life.category.parent else life.category.name
            choices = [c for c in INVALID if c[0] == root] or [c for c in INVALID if c[0] is None]
            _root, reason, reply = rng.choice(choices)
            ticket = loop.judge_complaint_invalid(actor=agent, **common, reason=reason, reply=reply)
        elif move == "valid":
            ticket = loop.judge_complaint_valid(
                actor=agent, **common, department_id=life.department.pk if life.department else None
            )
        elif move == "cause":
            ticket = loop.record_cause(actor=staff, **common, cause=rng.choice(life.case["causes"]))
        elif move == "plan":
            ticket = loop.propose_resolution_plan(
                actor=staff, **common, plan=rng.choice(life.case["plans"])
            )
        elif move == "send_back":
            ticket = loop.return_resolution_plan(
                actor=rng.choice(self.approvers), **common, reason=rng.choice(PLAN_RETURN_REASONS)
            )
        elif move == "approve":
            ticket = loop.approve_resolution_plan(actor=rng.choice(self.approvers), **common)
        elif move == "carry_out":
            ticket = loop.carry_out_resolution_plan(
                actor=staff, **common, note=rng.choice(CARRIED_OUT_NOTES).format_map(words)
            )
        elif move == "visit":
            satisfaction = _pick(rng, SATISFACTION_WEIGHTS)
            ticket = loop.record_return_visit(
                actor=agent,
                **common,
                satisfaction=satisfaction,
                outcome=rng.choice(VISIT_OUTCOMES[satisfaction]),
            )
        elif move == "answer":
            ticket = loop.answer_ticket(actor=agent, **common, answer=life.answer)
        elif move == "close":
            ticket = loop.close_ticket(actor=agent, **common, **_evaluation(rng, life))
        elif move == "reopen":
            ticket = loop.reopen_ticket(actor=agent, **common, reason=rng.choice(REOPEN_REASONS))
        elif move == "merge":
            assert life.survivor is not None  # only a duplicate is merged
            ticket = loop.merge_into(actor=agent, **common, survivor=life.survivor.number)
        else:
            raise AssertionError(move)
        if ticket is not None:
            life.pk, life.version, life.number = ticket.pk, ticket.version, ticket.number

    def _backdate(self, lives: list[Life]) -> None:
        """What the services stamp with the clock (notes, last change) gets the demo's time instead."""
        notes = {pk: when for pk, when in self.notes}
        rows = list(TicketNote.objects.filter(pk__in=notes).only("id"))
        for note in rows:
            note.created_at = notes[note.pk]
        TicketNote.objects.bulk_update(rows, ["created_at"], batch_size=500)
        entries = list(
            TimelineEntry.objects.filter(kind__startswith="tickets.note_").only("id", "data")
        )
        for entry in entries:
            entry.occurred_at = notes.get(entry.data.get("note_id"), entry.occurred_at)
        TimelineEntry.objects.bulk_update(entries, ["occurred_at"], batch_size=500)
        last = {
            life.pk: max(
                when for when, move in life.schedule if move in {"create", *MAIN, *life.moves}
            )
            for life in lives
            if life.pk
        }
        tickets = list(Ticket.objects.filter(pk__in=last).only("id"))
        for ticket in tickets:
            ticket.updated_at = last[ticket.pk]
        Ticket.objects.bulk_update(tickets, ["updated_at"], batch_size=500)


def build(
    *, password: str, count: int | None = None, seed: int = 2026, now: dt.datetime | None = None
) -> None:
    """Idempotent: does nothing when there are tickets already. KEFU_DEMO_TICKETS sets how many
    (1,500 by default; 0 builds only the categories, routing rules and time limits)."""
    if Ticket.objects.exists():
        return
    count = (
        count if count is not None else int(os.environ.get("KEFU_DEMO_TICKETS", str(DEFAULT_COUNT)))
    )
    now = now or timezone.now()
    # No transaction around the whole: each move commits on its own (the services' own), so that a
    # first start can build this in the background while people sign in (kefu/demo.py).
    with muted():
        with transaction.atomic():
            categories = build_catalog()
        builder = _Builder(count=count, seed=seed, now=now, categories=categories)
        if count <= 0 or not builder.agents:
            return
        builder.run()
