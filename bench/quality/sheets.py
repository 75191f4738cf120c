"""The month's sheets over a year of facts (issue 14's benchmark: 200 agents, aim < 10 s).

    .venv/bin/python bench/quality/sheets.py                        # 200 agents, 10 chats a day
    .venv/bin/python bench/quality/sheets.py --chats-per-day 30     # a busier service
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/quality/sheets.py

(a) Twelve months of facts for --agents agents, ending with last month, loaded with bulk inserts
    (not the services, for speed), as the KPIs and the reward/penalty rules read them: on each
    working day (Monday–Friday) of each agent a roster entry 排班 and two presence changes (one
    late in twenty, one absent in fifty), --chats-per-day closed chats with a first response, a
    handling time and one in three rated, each with an agent's message carrying its response time
    and the automatic check's inspection (one in twenty with a forbidden word, one in ten where the
    customer complained; one in fifty reviewed), two closed tickets (one in ten after a time
    limit, one in twenty reopened, one in ten visited back with a satisfaction), three calls, one
    return visit done, and a customer's praise on record one day in ten.
(b) Last month's sheets for every agent, timed one after the other in one process (CPU seconds
    and queries besides the wall clock, the machine being shared): the performance sheets
    绩效考核表 (`generate_sheets`: new sheets), computed again (drafts refreshed), the reward/penalty
    sheets 奖罚评分表 drafted from the rules (`draft_from_rules`), again (untouched drafts refreshed),
    and the two Excel files through the export service (`write_export`, as the download writes
    them).

Embedded (SQLite, throwaway KEFU_DATA_DIR) by default; with DATABASE_URL a scratch database on that
server, dropped at the end (--keep keeps either).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.common import choose_database, clean_up  # noqa: E402
from bench.pages.run import setup_django  # noqa: E402

BATCH = 5000


@contextmanager
def settable(*models):
    """Let bulk inserts keep the given created_at/checked_at (auto_now_add otherwise stamps now)."""
    fields = [
        f for m in models for f in m._meta.concrete_fields if getattr(f, "auto_now_add", False)
    ]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f in fields:
            f.auto_now_add = True


def months_back(last: dt.date, n: int) -> dt.date:
    month = last
    for _ in range(n):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return month


def load(agents: int, per_day: int) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from kefu.accounts.models import AgentProfile, Department, Presence, User
    from kefu.accounts.roles import Role
    from kefu.conversations.models import (
        Conversation,
        ConversationState,
        Inbox,
        Message,
        SenderKind,
        Visitor,
    )
    from kefu.customers.models import Customer
    from kefu.quality.kpi import default_month
    from kefu.quality.models import (
        AgentRecord,
        Inspection,
        PresenceLog,
        RecordKind,
        Review,
        ReviewState,
        RosterEntry,
        SampleReason,
    )
    from kefu.quality.services.roster import ensure_shifts
    from kefu.telephony.models import Call, CallDirection, CallOutcome
    from kefu.tickets.models import Ticket
    from kefu.tickets.states import TicketState, TicketType
    from kefu.visits.models import ReturnVisit, VisitState
    from tests.factories import TeamFactory

    started = time.perf_counter()
    service = Department.objects.get_or_create(
        code="kefu", defaults={"name": "客服部", "is_customer_service": True}
    )[0]
    teams = [
        TeamFactory.create(name=name, department=service) for name in ("售前组", "售后组", "投诉组")
    ]
    supervisor = User.objects.create_user("bench_zhuguan", role=Role.SUPERVISOR)
    manager = User.objects.create_user("bench_jingli", role=Role.MANAGER)
    staff = []
    for n in range(agents):
        user = User.objects.create_user(
            f"bench_agent{n:03d}", role=Role.AGENT, display_name=f"坐席{n:03d}", department=service
        )
        profile = AgentProfile.objects.get_or_create(user=user)[0]
        profile.teams.add(teams[n % len(teams)])
        staff.append(user)
    User.objects.filter(role=Role.AGENT).update(date_joined=timezone.now() - dt.timedelta(days=500))
    inbox = Inbox.objects.create(name="bench", allowed_origins=["http://127.0.0.1"])
    customer = Customer.objects.create(name="回访客户")
    shift = ensure_shifts()[0]  # 早班
    last = default_month()
    first = months_back(last, 11)
    end = (last + dt.timedelta(days=32)).replace(day=1)
    days = [
        first + dt.timedelta(days=i)
        for i in range((end - first).days)
        if (first + dt.timedelta(days=i)).weekday() < 5
    ]
    rng = random.Random(14)
    counts: dict[str, int] = {}
    number = 0

    def at(day: dt.date, hour: float) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=hour))

    def put(model, objects: list) -> list:
        counts[model.__name__] = counts.get(model.__name__, 0) + len(objects)
        return model.objects.bulk_create(objects, batch_size=1000)

    with settable(Conversation, Message, Visitor, Inspection, Review, Call, ReturnVisit):
        for agent in staff:
            visitor = put(Visitor, [Visitor(inbox=inbox, created_at=timezone.now())])[0]
            for chunk in range(0, len(days), 60):  # about three months a transaction
                with transaction.atomic():
                    chats, roster, presence, tickets, calls, visits, records = (
                        [],
                        [],
                        [],
                        [],
                        [],
                        [],
                        [],
                    )
                    times: list[tuple[dt.datetime, dt.datetime, dt.datetime]] = []
                    for day in days[chunk : chunk + 60]:
                        start = at(day, 8)  # 早班 08:00–16:00 (ensure_shifts' first)
                        roster.append(RosterEntry(agent=agent, day=day, shift=shift))
                        luck = rng.random()
                        if luck >= 0.02:  # one day in fifty absent
                            late = dt.timedelta(minutes=20 if luck < 0.07 else -3)
                            presence += [
                                PresenceLog(agent=agent, presence=Presence.ONLINE, at=start + late),
                                PresenceLog(
                                    agent=agent,
                                    presence=Presence.OFFLINE,
                                    at=start + dt.timedelta(hours=8, minutes=2),
                                ),
                            ]
                        for k in range(per_day):
                            opened = start + dt.timedelta(minutes=rng.randint(0, 450))
                            answered = opened + dt.timedelta(seconds=rng.randint(5, 90))
                            closed = opened + dt.timedelta(minutes=rng.randint(2, 30))
                            times.append((opened, answered, closed))
                            chats.append(
                                Conversation(
                                    inbox=inbox,
                                    visitor=visitor,
                                    state=ConversationState.CLOSED,
                                    assignee=agent,
                                    assigned_at=opened,
                                    created_at=opened,
                                    first_response_at=answered,
                                    closed_at=closed,
                                    rating=rng.choice([5, 4, 3]) if k % 3 == 0 else None,
                                    last_seq=2,
                                )
                            )
                        for k in range(2):
                            number += 1
                            closed = start + dt.timedelta(hours=2 + 3 * k)
                            visited = number % 10 == 0
                            tickets.append(
                                Ticket(
                                    number=f"B{number:09d}",
                                    type=TicketType.CONSULTATION,
                                    subject="咨询",
                                    state=TicketState.CLOSED,
                                    customer=customer,
                                    assignee=agent,
                                    created_at=closed - dt.timedelta(hours=1),
                                    closed_at=closed,
                                    first_breach_at=closed if number % 10 == 3 else None,
                                    reopen_count=1 if number % 20 == 7 else 0,
                                    return_visited_at=closed + dt.timedelta(hours=1)
                                    if visited
                                    else None,
                                    satisfaction=rng.randint(3, 5) if visited else None,
                                )
                            )
                        for k in range(3):
                            begun = start + dt.timedelta(hours=1 + 2 * k)
                            calls.append(
                                Call(
                                    direction=CallDirection.INBOUND,
                                    number="13800000000",
                                    agent=agent,
                                    started_at=begun,
                                    created_at=begun,
                                    outcome=CallOutcome.ANSWERED if k < 2 else CallOutcome.MISSED,
                                    duration_seconds=rng.randint(30, 600) if k < 2 else 0,
                                )
                            )
                        visits.append(
                            ReturnVisit(
                                customer=customer,
                                assignee=agent,
                                scheduled_at=start,
                                due_at=start + dt.timedelta(days=1),
                                state=VisitState.DONE,
                                completed_at=start + dt.timedelta(hours=3),
                                created_at=start,
                            )
                        )
                        if rng.random() < 0.1:
                            records.append(
                                AgentRecord(
                                    kind=RecordKind.PRAISE,
                                    agent=agent,
                                    source="letter",
                                    words="表扬信",
                                    recorded_by=supervisor,
                                    recorded_at=start + dt.timedelta(hours=5),
                                )
                            )
                    chats = put(Conversation, chats)
                    put(
                        Message,
                        [
                            Message(
                                conversation=c,
                                seq=1,
                                sender=SenderKind.AGENT,
                                author=agent,
                                body="您好，很高兴为您服务",
                                created_at=answered,
                                response_seconds=(answered - opened).total_seconds(),
                            )
                            for c, (opened, answered, _closed) in zip(chats, times, strict=True)
                        ],
                    )
                    inspections = put(
                        Inspection,
                        [
                            Inspection(
                                conversation=c,
                                agent=agent,
                                channel="chat",
                                score=60 if i % 20 == 0 else 95,
                                severe=i % 20 == 0,
                                complained=i % 10 == 1,
                                closed_at=closed,
                                checked_at=closed,
                            )
                            for i, (c, (_o, _a, closed)) in enumerate(
                                zip(chats, times, strict=True)
                            )
                        ],
                    )
                    put(
                        Review,
                        [
                            Review(
                                inspection=x,
                                reason=SampleReason.RANDOM,
                                state=ReviewState.DONE,
                                score=90,
                                final_score=90,
                                reviewer=supervisor,
                                reviewed_at=x.closed_at + dt.timedelta(days=1),
                                created_at=x.closed_at,
                            )
                            for x in inspections[::50]
                        ],
                    )
                    put(RosterEntry, roster)
                    put(PresenceLog, presence)
                    put(Ticket, tickets)
                    put(Call, calls)
                    put(ReturnVisit, visits)
                    put(AgentRecord, records)
    return {
        "supervisor": supervisor,
        "manager": manager,
        "month": last,
        "counts": counts,
        "days": len(days),
        "seconds": time.perf_counter() - started,
    }


def timed(label: str, run, results: list) -> object:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cpu, started = time.process_time(), time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        out = run()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    results.append((label, out, wall, cpu, len(queries), os.getloadavg()[0]))
    print(
        f"| {label} | {out} | {wall:.2f} | {cpu:.2f} | {len(queries)} | {os.getloadavg()[0]:.1f} |",
        flush=True,
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--chats-per-day", type=int, default=10)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-sheets-"))
    os.environ.pop("REDIS_URL", None)
    mode, drop = choose_database("sheets")
    try:
        setup_django(data_dir)
        from django.db import connection

        from kefu.exports.building import write_export
        from kefu.exports.registry import get_kind
        from kefu.quality.services.performance import generate_sheets
        from kefu.quality.services.sheet_rules import draft_from_rules

        print(f"# {mode}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", flush=True)
        ref = load(args.agents, args.chats_per_day)
        total = sum(ref["counts"].values())
        print(
            f"loaded {total:,} rows in {ref['seconds']:.0f} s ({ref['days']} working days, "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(ref["counts"].items()))
            + ")",
            flush=True,
        )
        if connection.vendor == "sqlite":
            connection.cursor().execute("ANALYZE")
        month, supervisor, manager = ref["month"], ref["supervisor"], ref["manager"]

        def excel(kind_name: str) -> str:
            from kefu.exports.registry import get_kind as kind_of

            kind = kind_of(kind_name)
            assert kind is not None
            prepared = kind.prepare(actor=manager, filters={"month": f"{month:%Y-%m}"})
            out = io.BytesIO()
            _file, written = write_export(kind, prepared, fmt="xlsx", full=False, out=out)
            return f"{written.rows} rows, {len(out.getvalue()) // 1024} KiB"

        assert get_kind("performance_sheets") is not None
        results: list = []
        print(f"\nlast month ({month:%Y-%m}) of a year of facts, {args.agents} agents:\n")
        print("| step | written | wall s | CPU s | queries | load |")
        print("|---|---|---|---|---|---|")
        timed(
            "performance sheets 绩效考核表 (new)",
            lambda: generate_sheets(actor=supervisor, month=month),
            results,
        )
        timed(
            "performance sheets again (drafts refreshed)",
            lambda: generate_sheets(actor=supervisor, month=month),
            results,
        )
        timed(
            "reward/penalty sheets 奖罚评分表 from the rules (new)",
            lambda: draft_from_rules(actor=supervisor, month=month).made,
            results,
        )
        timed(
            "reward/penalty sheets again (untouched drafts refreshed)",
            lambda: draft_from_rules(actor=supervisor, month=month).refreshed,
            results,
        )
        timed("Excel: performance sheets", lambda: excel("performance_sheets"), results)
        timed("Excel: reward/penalty sheets", lambda: excel("reward_penalty_sheets"), results)
        first_time = [r for r in results if "again" not in r[0]]
        print(
            f"\nthe month's sheets and their Excel files (new sheets): "
            f"{sum(r[2] for r in first_time):.2f} s wall, {sum(r[3] for r in first_time):.2f} s CPU"
        )
    finally:
        clean_up(data_dir=data_dir, keep=args.keep, drop_database=drop)


if __name__ == "__main__":
    main()
