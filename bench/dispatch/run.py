"""Dispatch benchmark: the dispatch board p50/p95 with many work orders, and telling the reporters of
a fixed problem.

    .venv/bin/python bench/dispatch/run.py                                  # 100,000 orders, 10,000 reporters
    .venv/bin/python bench/dispatch/run.py --orders 20000 --reporters 1000  # a quick run
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/dispatch/run.py

(a) Board: --orders work orders bulk-loaded (bulk_create, not through the services) over 90 days
    around today, 20 technicians, 10 areas, states by age (old ones done or visited, today's
    spread over the flow). Then --samples requests of GET /dispatch/board/ for today (unfiltered,
    by technician, by area, late only), signed in as a supervisor, through Django's test Client
    (the whole view and template).
(b) Telling: --reporters reports grouped into one problem, then the problem is fixed and
    `tell_reporters` runs (the task's work, in this process, the console SMS backend): seconds,
    and a check that each reporter was told exactly once (a second run tells nobody).

Embedded mode (SQLite in a temporary KEFU_DATA_DIR) by default; with DATABASE_URL a scratch
database is created on that server and dropped at the end. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
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


def setup_django(data_dir: Path) -> None:
    os.environ["KEFU_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kefu.settings"
    os.environ["KEFU_DEMO"] = "0"
    os.environ["KEFU_INSTANCE"] = f"bench-dispatch-{os.getpid()}"
    os.environ["ALLOWED_HOSTS"] = "localhost,127.0.0.1,[::1],testserver"
    os.environ.setdefault("KEFU_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load_orders(count: int, rng: random.Random) -> dict:
    from django.utils import timezone

    from kefu.accounts.models import Department, User
    from kefu.accounts.roles import Role
    from kefu.customers.models import Customer
    from kefu.dispatch.models import WorkOrder, WorkOrderState

    tech = Department.objects.create(code="tech", name="技术部")
    cs = Department.objects.create(code="cs", name="客服部", is_customer_service=True)
    supervisor = User.objects.create(username="zhuguan", role=Role.SUPERVISOR, department=cs)
    technicians = [
        User.objects.create(username=f"tech{i}", role=Role.DEPARTMENT_STAFF, department=tech)
        for i in range(20)
    ]
    customers = Customer.objects.bulk_create(
        [Customer(name=f"客户{i}", mobile=f"+86138{i:08d}") for i in range(5000)]
    )
    areas = [f"区{i}" for i in range(10)]
    today = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0)
    batch = []
    for i in range(count):
        day_offset = rng.randint(-80, 10) if i % 50 else 0
        start = today + dt.timedelta(days=day_offset, hours=rng.randint(0, 10))
        end = start + dt.timedelta(hours=2)
        if day_offset < 0:
            state = rng.choice(
                [WorkOrderState.VISITED] * 6 + [WorkOrderState.DONE, WorkOrderState.CANCELLED]
            )
        elif day_offset == 0:
            state = rng.choice(list(WorkOrderState)[:6])
        else:
            state = WorkOrderState.ASSIGNED
        batch.append(
            WorkOrder(
                number=f"PG{i:010d}",
                state=state,
                customer=rng.choice(customers),
                address="南宁市民族大道1号",
                area=rng.choice(areas),
                problem="空调不制冷",
                appointment_start=start,
                appointment_end=end,
                arrival_due_at=end,
                completion_due_at=end + dt.timedelta(hours=4),
                technician=rng.choice(technicians),
                completed_at=end
                if state in (WorkOrderState.DONE, WorkOrderState.VISITED)
                else None,
                arrived_at=start
                if state in (WorkOrderState.DONE, WorkOrderState.VISITED)
                else None,
            )
        )
        if len(batch) == 5000:
            WorkOrder.objects.bulk_create(batch)
            batch = []
    WorkOrder.objects.bulk_create(batch)
    return {"supervisor": supervisor, "technician": technicians[0], "area": areas[0]}


def measure_board(ref: dict, samples: int) -> list[str]:
    from django.test import Client

    client = Client()
    client.force_login(ref["supervisor"])
    cases = {
        "board, today": "/dispatch/board/",
        "board, one technician": f"/dispatch/board/?technician={ref['technician'].pk}",
        "board, one area": f"/dispatch/board/?area={ref['area']}",
        "board, late only": "/dispatch/board/?late=1",
    }
    lines = []
    for label, url in cases.items():
        client.get(url)  # warm
        timings = []
        for _ in range(samples):
            began = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        lines.append(row(label, timings))
    return lines


def measure_telling(reporters: int) -> list[str]:
    from kefu.accounts.models import Department, User
    from kefu.accounts.roles import Role
    from kefu.customers.models import Customer
    from kefu.feedback.models import FeedbackReport, Problem, ReporterNotice
    from kefu.feedback.services import change_problem_state, tell_reporters
    from kefu.sms.models import SmsMessage, SmsTemplate

    SmsTemplate.objects.create(code="feedback_update", name="反馈", body="{name}：{title} {result}")
    developer = User.objects.create(
        username="dev", role=Role.DEPARTMENT_STAFF, department=Department.objects.get(code="tech")
    )
    problem = Problem.objects.create(title="登录闪退", category="bug", severity="high")
    customers = Customer.objects.bulk_create(
        [Customer(name=f"玩家{i}", mobile=f"+86139{i:08d}") for i in range(reporters)]
    )
    FeedbackReport.objects.bulk_create(
        [
            FeedbackReport(
                customer=c,
                channel="phone",
                category="bug",
                severity="high",
                title="登录闪退",
                problem=problem,
            )
            for c in customers
        ]
    )
    from kefu.core.events import muted

    with muted():
        change_problem_state(
            actor=developer, problem_id=problem.pk, move="fix", fixed_version="2.3.1"
        )
    began = time.perf_counter()
    told = tell_reporters(problem_id=problem.pk)
    seconds = time.perf_counter() - began
    again = tell_reporters(problem_id=problem.pk)
    notices = ReporterNotice.objects.count()
    sms = SmsMessage.objects.count()
    return [
        f"| telling {reporters} reporters | {seconds:.1f} s | told {told}, "
        f"notices {notices}, SMS {sms}, a second run told {again} |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--reporters", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-dispatch-"))
    drop = None
    if os.environ.get("DATABASE_URL"):
        url, drop = scratch_postgres(os.environ["DATABASE_URL"], "dispatch")
        os.environ["DATABASE_URL"] = url
    mode = "scaled (PostgreSQL)" if drop else "embedded (SQLite)"
    try:
        setup_django(data_dir)
        rng = random.Random(2026)
        began = time.perf_counter()
        ref = load_orders(args.orders, rng)
        loaded = time.perf_counter() - began
        print(f"`{' '.join(sys.argv)}` — {mode}, {platform.node()}, {os.cpu_count()} cores")
        print(f"\n{args.orders} work orders loaded in {loaded:.1f} s\n")
        print("| case | n | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|---|")
        for line in measure_board(ref, args.samples):
            print(line)
        print("\n| case | time | result |\n|---|---|---|")
        for line in measure_telling(args.reporters):
            print(line)
    finally:
        clean_up(data_dir=data_dir, keep=args.keep, drop_database=drop)


if __name__ == "__main__":
    main()
