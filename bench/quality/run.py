"""Quality and performance: automatic checks per second over closed chats, the month's performance
sheets for N agents, and the performance pages' p95 over HTTP.

    .venv/bin/python bench/quality/run.py                              # 20,000 chats, 200 agents
    .venv/bin/python bench/quality/run.py --chats 100000               # the issue's size
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/quality/run.py

(a) Load --agents agents, one inbox and --chats closed chats spread over the current month, four
    messages each (greeting, question, answer, closing; one chat in twenty with a forbidden word, one
    in ten with a complaint), plus one closed ticket per ten chats.
(b) Automatic checks (findings, sampling, the event), in one process: first --single chats one at a
    time with `check_conversation` (the worker's path before the check queue); then --queued chats
    as the worker now takes them: each marked as its close marks it (`queue_checks`, one insert a
    chat, in the committing process), then `check_queued` (the nudge after a close, or the
    minute's task) takes the marks in batches of 500, and 1,000 more nudges find the queue empty;
    then the others with `check_conversations` (batches of 500: a few reads and one transaction
    per batch).
    Chats per second (wall) and CPU milliseconds per chat (this process; the machine is shared).
(c) The month's sheets: `generate_sheets` for every agent (the KPI facts over the month), seconds.
(d) `kefu serve --no-worker --no-demo` on a free loopback port; a supervisor signs in; GET the month's
    sheet list, one sheet, its print view, the leaderboard and an agent's own sheet (as the agent):
    --samples requests each after three warm-up requests; p50/p95/p99 and the server's CPU per page.
    Last, the month's sheets are all signed and the leaderboard measured again (read from them).

Embedded (SQLite, throwaway KEFU_DATA_DIR) by default; with DATABASE_URL a scratch database on that
server, dropped at the end. Loopback only.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.common import clean_up, row, scratch_postgres  # noqa: E402
from bench.pages.run import PASSWORD, Browser, measure, setup_django  # noqa: E402

BATCH = 2000
LINES = [
    ("visitor", "你好，我想问一下订单什么时候发货"),
    ("agent", "您好，很高兴为您服务，我帮您查一下"),
    ("visitor", "好的，谢谢"),
    ("agent", "您的订单明天发货，感谢您的咨询，祝您生活愉快"),
]


def load(chats: int, agents: int) -> dict:
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from kefu.accounts.models import AgentProfile, User
    from kefu.accounts.roles import Role
    from kefu.conversations.models import (
        Conversation,
        ConversationState,
        Inbox,
        Message,
        SenderKind,
        Visitor,
    )
    from kefu.quality.models import QualitySettings
    from kefu.quality.services.rubric import active_items
    from kefu.tickets.models import Ticket
    from kefu.tickets.services.tickets import create_ticket
    from kefu.tickets.states import TicketState, TicketType

    active_items()  # the rubric of seed 002
    QualitySettings.objects.update_or_create(
        pk=1, defaults={"random_percent": 5, "leaderboard_on": True}
    )
    supervisor = User.objects.create_user("bench_zhuguan", password=PASSWORD, role=Role.SUPERVISOR)
    staff = []
    for n in range(agents):
        user = User.objects.create_user(
            f"bench_agent{n}", password=PASSWORD, role=Role.AGENT, display_name=f"坐席{n:03d}"
        )
        user.date_joined = timezone.now() - dt.timedelta(days=90)
        user.save(update_fields=["date_joined"])
        AgentProfile.objects.get_or_create(user=user)
        staff.append(user)
    inbox = Inbox.objects.create(name="bench", allowed_origins=["http://127.0.0.1"])
    now = timezone.now()
    month_start = timezone.make_aware(
        dt.datetime.combine(timezone.localdate().replace(day=1), dt.time(8))
    )
    span = max(60.0, (now - month_start).total_seconds() - 3600)
    rng = random.Random(14)
    started = time.perf_counter()
    ids = []
    for first in range(0, chats, BATCH):
        size = min(BATCH, chats - first)
        with transaction.atomic():
            visitors = Visitor.objects.bulk_create([Visitor(inbox=inbox) for _ in range(size)])
            conversations = []
            for visitor in visitors:
                opened = month_start + dt.timedelta(seconds=rng.random() * span)
                conversations.append(
                    Conversation(
                        inbox=inbox,
                        visitor=visitor,
                        state=ConversationState.CLOSED,
                        assignee=rng.choice(staff),
                        assigned_at=opened,
                        first_response_at=opened + dt.timedelta(seconds=rng.randint(5, 90)),
                        closed_at=opened + dt.timedelta(minutes=rng.randint(2, 30)),
                        rating=rng.choice([None, None, 5, 4, 3, 2]),
                        last_seq=4,
                    )
                )
            conversations = Conversation.objects.bulk_create(conversations)
            messages = []
            for conversation in conversations:
                k = len(ids) + len(messages) // 4
                lines = list(LINES)
                if k % 20 == 0:
                    lines[3] = ("agent", "说明书上都有，你自己看吧")
                if k % 10 == 1:
                    lines[0] = ("visitor", "太慢了，我要投诉")
                for seq, (sender, body) in enumerate(lines, start=1):
                    messages.append(
                        Message(
                            conversation=conversation,
                            seq=seq,
                            sender=SenderKind.AGENT if sender == "agent" else SenderKind.VISITOR,
                            author=conversation.assignee if sender == "agent" else None,
                            body=body,
                        )
                    )
            Message.objects.bulk_create(messages)
            for conversation in conversations:
                Conversation.objects.filter(pk=conversation.pk).update(
                    created_at=conversation.assigned_at
                )
            ids += [c.pk for c in conversations]
    for n in range(chats // 10):
        agent = staff[n % len(staff)]
        ticket = create_ticket(
            actor=agent, type=TicketType.CONSULTATION, subject="咨询", assignee_id=agent.pk
        )
        Ticket.objects.filter(pk=ticket.pk).update(state=TicketState.CLOSED, closed_at=now)
    return {
        "ids": ids,
        "supervisor": supervisor,
        "agent": staff[0],
        "seconds": time.perf_counter() - started,
    }


def main() -> None:
    from bench.tickets.run import free_port, start_server, stop_server

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=20_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument(
        "--single", type=int, default=1000, help="chats checked one at a time (the rest batched)"
    )
    parser.add_argument(
        "--queued", type=int, default=0, help="chats marked and checked from the queue"
    )
    parser.add_argument("--checks-only", action="store_true", help="stop after the checks")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--case-seconds", type=float, default=60)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-quality-"))
    drop = None
    if os.environ.get("DATABASE_URL"):
        url, drop = scratch_postgres(os.environ["DATABASE_URL"], "quality")
        os.environ["DATABASE_URL"] = url
        mode = "scaled (PostgreSQL)"
    else:
        os.environ.pop("REDIS_URL", None)
        mode = "embedded (SQLite)"
    server = None
    try:
        setup_django(data_dir)
        from django.db import connection
        from django.utils import timezone

        from kefu.quality.models import Inspection, PendingCheck, PerformanceSheet
        from kefu.quality.services.checks import (
            check_conversation,
            check_conversations,
            check_queued,
            queue_checks,
        )
        from kefu.quality.services.performance import generate_sheets

        print(f"$ {' '.join(sys.argv)}  — {mode}, {platform.node()}, load {os.getloadavg()[0]:.1f}")
        ref = load(args.chats, args.agents)
        print(f"loaded {args.chats} chats, {args.agents} agents in {ref['seconds']:.1f} s")

        print()
        print("| step | count | seconds | per second | CPU ms per chat | load |")
        print("|---|---|---|---|---|---|")
        single = ref["ids"][: args.single]
        queued = ref["ids"][args.single : args.single + args.queued]
        rest = ref["ids"][args.single + args.queued :]

        def mark() -> None:
            for pk in queued:
                queue_checks([pk])

        def nudge_empty() -> None:
            for _n in range(1000):
                check_queued()

        for label, run, counted in [
            (
                "automatic checks, one at a time",
                lambda: [check_conversation(pk) for pk in single],
                None,
            ),
            ("closes marked (one insert each)", mark, PendingCheck),
            ("worker: marked chats checked by check_queued", check_queued, None),
            ("nudges finding the queue empty", nudge_empty, 1000),
            ("automatic checks, batched", lambda: check_conversations(rest), None),
        ]:
            before = Inspection.objects.count() if counted is None else PendingCheck.objects.count()
            cpu, started = time.process_time(), time.perf_counter()
            run()
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu
            if counted is None:
                checked = Inspection.objects.count() - before
            elif counted is PendingCheck:
                checked = PendingCheck.objects.count() - before
            else:
                checked = 1000
            if checked:
                print(
                    f"| {label} | {checked} | {seconds:.1f} | {checked / seconds:.0f} "
                    f"| {1000 * cpu / checked:.2f} | {os.getloadavg()[0]:.1f} |"
                )
        if args.checks_only:
            return
        month = timezone.localdate().replace(day=1)
        started = time.perf_counter()
        written = generate_sheets(actor=ref["supervisor"], month=month)
        seconds = time.perf_counter() - started
        print(
            f"| the month's sheets | {written} | {seconds:.2f} | {written / seconds:.0f} | — "
            f"| {os.getloadavg()[0]:.1f} |"
        )
        mine = PerformanceSheet.objects.get(agent=ref["agent"], month=month)
        PerformanceSheet.objects.filter(pk=mine.pk).update(state="signed")
        connection.close()

        port = free_port()
        server = start_server(port, data_dir / "serve.log", 1)
        supervisor = Browser(port)
        supervisor.sign_in(ref["supervisor"].username)
        agent = Browser(port)
        agent.sign_in(ref["agent"].username)
        m = month.strftime("%Y-%m")
        cases = [
            (f"sheet list ({args.agents} agents)", supervisor, f"/quality/performance/?month={m}"),
            ("one sheet", supervisor, f"/quality/performance/{mine.pk}/"),
            ("print view", supervisor, f"/quality/performance/{mine.pk}/?print=1"),
            ("the agent's own sheet", agent, f"/quality/performance/{mine.pk}/"),
            ("leaderboard (computed)", agent, f"/quality/leaderboard/?month={m}"),
            ("Excel of the month", supervisor, f"/quality/performance/export/?month={m}"),
        ]
        print()
        print(
            "| page | status | samples | p50 ms | p95 ms | p99 ms | max ms | server CPU ms/page |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for label, browser, path in cases:
            samples = args.samples if "Excel" not in label else max(5, args.samples // 10)
            status, times = measure(browser, path, samples, args.case_seconds, server.pid)
            cpu = f"{measure.cpu_ms:.1f}" if measure.cpu_ms is not None else "—"
            print(row(label, times, status) + f" {cpu} |")
        # The same board once the month's sheets are final (signed): read, not computed.
        PerformanceSheet.objects.filter(month=month).update(state="signed")
        connection.close()
        label = "leaderboard (signed sheets)"
        path = f"/quality/leaderboard/?month={m}"
        status, times = measure(agent, path, args.samples, args.case_seconds, server.pid)
        cpu = f"{measure.cpu_ms:.1f}" if measure.cpu_ms is not None else "—"
        print(row(label, times, status) + f" {cpu} |")
    finally:
        if server is not None:
            stop_server(server)
        clean_up(data_dir=data_dir, keep=args.keep, drop_database=drop)


if __name__ == "__main__":
    main()
