"""Dispatch benchmark: the dispatch board p50/p95 with many work orders, and telling the reporters of
a fixed problem.

    .venv/bin/python bench/dispatch/run.py                                  # 100,000 orders, 10,000 reporters
    .venv/bin/python bench/dispatch/run.py --orders 20000 --reporters 1000  # a quick run
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/dispatch/run.py

(a) Board: --orders work orders bulk-loaded (bulk_create, not through the services) over 90 days
    around today, 20 technicians, 10 areas, states by age (old ones done or visited, today's
    spread over the flow). Then `kefu serve --no-worker --no-demo` on a free loopback port, a
    supervisor signs in, and --samples GETs of /dispatch/board/ for today (unfiltered, by
    technician, by area, late only) over HTTP after three to warm up: p50/p95/p99 and the server's
    CPU ms per page.
(b) Telling: --reporters reports grouped into one problem (one in ten by e-mail only), then the
    problem is fixed and `tell_reporters` runs (the task's work, in this process, with Huey
    immediate; the console SMS and e-mail backends): seconds until every notice is recorded and
    its SMS/e-mail queued, then seconds to send them, and a check that each reporter was told
    exactly once (a second run tells nobody, no second SMS).

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
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.common import clean_up, row, scratch_postgres  # noqa: E402
from bench.pages.run import PASSWORD  # noqa: E402


def setup_django(data_dir: Path) -> None:
    os.environ["KEFU_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kefu.settings"
    os.environ["KEFU_DEMO"] = "0"
    os.environ["KEFU_INSTANCE"] = f"bench-dispatch-{os.getpid()}"
    os.environ["ALLOWED_HOSTS"] = "localhost,127.0.0.1,[::1],testserver"
    os.environ.setdefault("KEFU_LOG_LEVEL", "WARNING")
    os.environ["KEFU_HUEY_IMMEDIATE"] = "1"  # the telling tasks run here, in this process
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
    supervisor.set_password(PASSWORD)
    supervisor.save(update_fields=["password"])
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


def reused_orders() -> dict:
    from kefu.accounts.models import User

    return {
        "supervisor": User.objects.get(username="zhuguan"),
        "technician": User.objects.get(username="tech0"),
        "area": "区0",
    }


def measure_board(ref: dict, samples: int, data_dir: Path) -> list[str]:
    from django.db import connection

    from bench.common import cpu_seconds
    from bench.pages.run import Browser, measure
    from bench.tickets.run import free_port, start_server, stop_server

    connection.close()
    cases = {
        "board, today": "/dispatch/board/",
        "board, one technician": f"/dispatch/board/?technician={ref['technician'].pk}",
        "board, one area": f"/dispatch/board/?area={urllib.parse.quote(ref['area'])}",
        "board, late only": "/dispatch/board/?late=1",
    }
    lines = []
    server = start_server(free_port(), data_dir / "serve.log", 1)
    try:
        port = int(server.args[server.args.index("--port") + 1])
        browser = Browser(port)
        browser.sign_in(ref["supervisor"].username)
        cpu_before = cpu_seconds(server.pid)
        for label, url in cases.items():
            status, timings = measure(browser, url, samples, 120, server.pid)
            assert status == 200, (url, status)
            lines.append(row(label, timings) + f" {measure.cpu_ms:.1f} |")
        lines.append(
            f"\nserver CPU for all the board requests: {cpu_seconds(server.pid) - cpu_before:.1f} s"
        )
    finally:
        stop_server(server)
    return lines


def sms_ids(problem) -> list[int]:
    from kefu.feedback.models import ReporterNotice

    if not hasattr(ReporterNotice, "sms"):  # before the batches: every SMS is the problem's
        from kefu.sms.models import SmsMessage

        return list(SmsMessage.objects.values_list("pk", flat=True))
    return list(
        ReporterNotice.objects.filter(report__problem=problem, sms__isnull=False).values_list(
            "sms_id", flat=True
        )
    )


def measure_telling(reporters: int) -> list[str]:
    from kefu.accounts.models import Department, User
    from kefu.accounts.roles import Role
    from kefu.customers.models import Customer
    from kefu.feedback import services as feedback_services
    from kefu.feedback.models import FeedbackReport, Problem, ReporterNotice
    from kefu.feedback.services import change_problem_state, tell_reporters
    from kefu.sms.models import SmsMessage, SmsTemplate

    SmsTemplate.objects.get_or_create(
        code="feedback_update", defaults={"name": "反馈", "body": "{name}：{title} {result}"}
    )
    developer, _new = User.objects.get_or_create(
        username="dev",
        defaults={"role": Role.DEPARTMENT_STAFF, "department": Department.objects.get(code="tech")},
    )
    sms_before = SmsMessage.objects.count()
    problem = Problem.objects.create(title="登录闪退", category="bug", severity="high")
    customers = Customer.objects.bulk_create(
        [
            Customer(name=f"玩家{i}", mobile=f"+86139{i:08d}")
            if i % 10
            else Customer(name=f"玩家{i}", email=f"player{i}@example.com")
            for i in range(reporters)
        ]
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
    from django.conf import settings
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # kept in memory
    mail.outbox = []
    cpu_began, began = time.process_time(), time.perf_counter()
    queued = None
    if hasattr(feedback_services, "record_notices"):  # batched: record and queue, then send
        told = 0
        batches = list(feedback_services.notice_batches(problem_id=problem.pk))
        for batch in batches:
            told += len(feedback_services.record_notices(problem_id=problem.pk, report_ids=batch))
        queued = (time.perf_counter() - began, time.process_time() - cpu_began)
        for batch in batches:  # sends the batch's notices still pending
            feedback_services.send_notices(problem_id=problem.pk, report_ids=batch)
    else:
        told = tell_reporters(problem_id=problem.pk)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    again = tell_reporters(problem_id=problem.pk)
    notices = ReporterNotice.objects.filter(report__problem=problem).count()
    sms = SmsMessage.objects.count() - sms_before
    sent = SmsMessage.objects.filter(status="sent", pk__in=sms_ids(problem)).count()
    mails = len(mail.outbox)
    to = sorted(m.to[0] for m in mail.outbox)
    assert len(set(to)) == len(to), "an e-mail sent twice"
    lines = []
    if queued:
        lines.append(
            f"| telling {reporters} reporters: notices recorded, SMS/e-mail queued | "
            f"{queued[0]:.1f} s | CPU {queued[1]:.1f} s, load {os.getloadavg()[0]:.1f} |"
        )
    lines.append(
        f"| telling {reporters} reporters: all sent | {seconds:.1f} s | CPU {cpu:.1f} s, "
        f"load {os.getloadavg()[0]:.1f}; told {told}, notices {notices}, SMS {sms} ({sent} sent), "
        f"e-mails {mails}; a second run told {again} |"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--reporters", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--data-dir", help="a KEFU_DATA_DIR kept (--keep) by an earlier run: its orders are reused"
    )
    args = parser.parse_args()
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="kefu-bench-dispatch-"))
    drop = None
    if os.environ.get("DATABASE_URL"):
        url, drop = scratch_postgres(os.environ["DATABASE_URL"], "dispatch")
        os.environ["DATABASE_URL"] = url
    mode = "scaled (PostgreSQL)" if drop else "embedded (SQLite)"
    try:
        setup_django(data_dir)
        rng = random.Random(2026)
        began = time.perf_counter()
        ref = reused_orders() if args.data_dir else load_orders(args.orders, rng)
        loaded = time.perf_counter() - began
        print(f"`{' '.join(sys.argv)}` — {mode}, {platform.node()}, {os.cpu_count()} cores")
        print(f"\n{args.orders} work orders loaded in {loaded:.1f} s\n", flush=True)
        print(f"load average before the board: {os.getloadavg()[0]:.1f}\n")
        print(
            "| case | n | p50 ms | p95 ms | p99 ms | max ms | server CPU ms/page |\n"
            "|---|---|---|---|---|---|---|"
        )
        for line in measure_board(ref, args.samples, data_dir):
            print(line, flush=True)
        if args.reporters:
            print("\n| case | time | result |\n|---|---|---|")
            for line in measure_telling(args.reporters):
                print(line)
    finally:
        clean_up(data_dir=data_dir, keep=args.keep or bool(args.data_dir), drop_database=drop)


if __name__ == "__main__":
    main()
