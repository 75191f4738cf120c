"""Return visits benchmark: issuing a month's plan over many customers, and an agent's today list over
HTTP.

    .venv/bin/python bench/visits/run.py                          # 100,000 customers, 20 agents
    .venv/bin/python bench/visits/run.py --customers 20000        # a quick run
    .venv/bin/python bench/visits/run.py --customers 1000000 --range --skip-http
                                                # the archive of 1,000,000, a range selecting 1 in 5
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/visits/run.py

(a) Issue: --customers members bulk-loaded (bulk_create, not through the services), --agents agents
    (a third of the customers owned by one). A plan over the members is drafted, submitted and
    approved through the services, then `issue_campaign` (the Huey task's work, in this process)
    makes one visit per customer: seconds, visits/s, the progress it reported (issued_count read
    every few seconds from a second connection is not possible on SQLite's one writer, so the
    chunk count is printed) and the peak of Python's traced memory (tracemalloc), to see that it is
    flat in N.
    With --range the archive is mixed (half members, two provinces in five 浙江省) and the plan's
    range is members in 浙江省 (1 in 5 of the archive: 200,000 of 1,000,000): its preview (the
    counts shown before issuing: total, by level, with an owner, with an open visit) is timed,
    then the selection is issued.
(b) Today list: `kefu serve --no-worker --no-demo` on a free loopback port; one agent signs in
    through the sign-in page and GETs /visits/ (their list for today, 50 a page, from
    customers/agents open visits) --samples times; p50/p95/p99 from the raw samples. Also the API
    /api/v1/visits/today.

Embedded mode (SQLite in a temporary KEFU_DATA_DIR) by default; with DATABASE_URL a scratch database
is created on that server and dropped at the end. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.common import choose_database, clean_up, row, rss_mb  # noqa: E402

PASSWORD = "Bench2026pass"  # noqa: S105  the bench's own throwaway users


def setup_django(data_dir: Path) -> None:
    os.environ["KEFU_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kefu.settings"
    os.environ["KEFU_DEMO"] = "0"
    os.environ["KEFU_INSTANCE"] = f"bench-visits-{os.getpid()}"
    os.environ["ALLOWED_HOSTS"] = "localhost,127.0.0.1,[::1],testserver"
    os.environ.setdefault("KEFU_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


RANGE_RULE = {"levels": ["member"], "region": "浙江省"}
PROVINCES = ("浙江省", "浙江省", "江苏省", "上海市", "安徽省")


def load(customers: int, agents: int, *, mixed: bool = False) -> dict:
    from django.db import transaction

    from kefu.accounts import services
    from kefu.accounts.models import Department
    from kefu.accounts.roles import Role
    from kefu.customers.models import Customer, Level

    cs = Department.objects.create(code="cs", name="客服部", is_customer_service=True)

    def user(username: str, role: str) -> int:
        return services.create_user(
            actor=None,
            username=username,
            password=PASSWORD,
            role=role,
            department=cs,
            check_password=False,
        ).pk

    supervisor = user("bench-supervisor", Role.SUPERVISOR)
    manager = user("bench-manager", Role.MANAGER)
    agent_ids = [user(f"bench-agent-{i:02d}", Role.AGENT) for i in range(1, agents + 1)]
    started = time.perf_counter()
    chunk = 5000
    for start in range(0, customers, chunk):
        with transaction.atomic():
            Customer.objects.bulk_create(
                [
                    Customer(
                        name=f"客户{n}",
                        level=Level.MEMBER if not mixed or n % 2 == 0 else Level.REGULAR,
                        region=PROVINCES[n % len(PROVINCES)] if mixed else "",
                        owner_id=agent_ids[n % len(agent_ids)] if n % 3 == 0 else None,
                    )
                    for n in range(start, min(customers, start + chunk))
                ]
            )
    return {
        "supervisor": supervisor,
        "manager": manager,
        "agents": agent_ids,
        "load_seconds": time.perf_counter() - started,
    }


def issue(ref: dict, *, rules: dict) -> dict:
    from django.utils import timezone

    from kefu.accounts.models import User
    from kefu.visits import selectors, services
    from kefu.visits.models import CampaignState, ReturnVisit, VisitCampaign

    supervisor = User.objects.get(pk=ref["supervisor"])
    manager = User.objects.get(pk=ref["manager"])
    today = timezone.localdate()
    plan = services.create_campaign(
        actor=supervisor,
        title="会员回访",
        purpose="满意度回访",
        period_start=today,
        period_end=today + dt.timedelta(days=30),
        rules=rules,
    )
    started = time.perf_counter()
    previewed = selectors.preview(plan)
    preview_seconds = time.perf_counter() - started
    started = time.perf_counter()
    plan = services.submit_campaign(actor=supervisor, campaign_id=plan.pk)
    counted = time.perf_counter() - started
    services.decide_campaign(actor=manager, campaign_id=plan.pk, approve=True)
    services.start_issuing(actor=supervisor, campaign_id=plan.pk)
    tracemalloc.start()
    started = time.perf_counter()
    services.issue_campaign(campaign_id=plan.pk)
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    plan = VisitCampaign.objects.get(pk=plan.pk)
    assert plan.state == CampaignState.ISSUED, plan.state
    made = ReturnVisit.objects.filter(campaign=plan).count()
    return {
        "preview": previewed,
        "preview_seconds": preview_seconds,
        "selected": plan.selected_count,
        "count_seconds": counted,
        "visits": made,
        "seconds": seconds,
        "peak_mb": peak / 1024 / 1024,
        "chunks": -(-made // services.ISSUE_CHUNK),
    }


def in_process(agent_username: str, samples: int = 20) -> None:
    """The today page rendered in this process (Django's test client, signed in): its SQL statements
    with their time, the EXPLAIN of the list's query, and the CPU of a page split into SQL and the
    rest (view, template, middleware)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kefu.accounts.models import User
    from kefu.visits import selectors

    agent = User.objects.get(username=agent_username)
    client = Client()
    client.force_login(agent)
    for _ in range(3):
        assert client.get("/visits/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get("/visits/")
    print(f"\nIn process: /visits/ runs {len(queries.captured_queries)} SQL statements:\n")
    for q in queries.captured_queries:
        print(f"    {q['time']} s  {q['sql'][:160]}")
    sql, params = selectors.today_list(agent)[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
        cursor.execute(prefix + sql, params)
        print("\n    EXPLAIN of the list's page:")
        for line in cursor.fetchall():
            print("     ", line[-1])
    cpu0, sql_seconds = time.process_time(), 0.0
    for _ in range(samples):
        with CaptureQueriesContext(connection) as queries:
            client.get("/visits/")
        sql_seconds += sum(float(q["time"]) for q in queries.captured_queries)
    cpu = (time.process_time() - cpu0) / samples * 1000
    print(
        f"\n    CPU per page {cpu:.1f} ms in process, of which SQL (wall) "
        f"{sql_seconds / samples * 1000:.1f} ms; load {os.getloadavg()[0]:.1f}"
    )


def _today_pages(browser, pid: int, args, what: str) -> None:
    """The today list's page (first and 20th) and the API, each --samples times: latency, and the
    server's CPU per request (what the page costs, whatever the machine's load)."""
    from bench.pages.run import measure

    print(f"\nToday list over HTTP ({what}); server RSS {rss_mb(pid):.0f} MB\n")
    print(
        "| page | status | load | server CPU ms/request | n | p50 ms | p95 ms | p99 ms | max ms |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    for label, path in (
        ("/visits/ (my visits today)", "/visits/"),
        ("/visits/?page=20", "/visits/?page=20"),
        ("/api/v1/visits/today", "/api/v1/visits/today"),
    ):
        status, times = measure(browser, path, args.samples, args.case_seconds, pid)
        cpu = f"{measure.cpu_ms:.1f}" if measure.cpu_ms is not None else "—"
        print(row(label, times, status, f"{os.getloadavg()[0]:.1f}", cpu), flush=True)


def main() -> None:
    from bench.pages.run import Browser
    from bench.tickets.run import free_port, start_server, stop_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--case-seconds", type=float, default=60)
    parser.add_argument(
        "--range",
        action="store_true",
        help="a mixed archive and a plan over members in one province (1 in 5 of --customers)",
    )
    parser.add_argument("--skip-http", action="store_true", help="no today-list measurement")
    parser.add_argument("--keep", action="store_true", help="keep the data folder (and database)")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-visits-"))
    mode, drop_database = choose_database("visits")
    if drop_database is None:
        os.environ.pop("REDIS_URL", None)
    server = None
    try:
        print(
            f"# bench/visits — {time.strftime('%Y-%m-%d %H:%M')}, {mode}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        )
        print(f"# command: {' '.join([Path(sys.executable).name, *sys.argv])}", flush=True)
        setup_django(data_dir)
        ref = load(args.customers, args.agents, mixed=args.range)
        print(
            f"\nloaded {args.customers:,} customers in {ref['load_seconds']:.1f} s"
            + (" (half members, 2 in 5 in 浙江省)" if args.range else " (all members)"),
            flush=True,
        )
        rules = RANGE_RULE if args.range else {"levels": ["member"]}
        issued = issue(ref, rules=rules)
        counts = issued["preview"]
        print(
            f"\nrange {rules}: preview total {counts['total']:,}, by level {counts['levels']},"
            f" with an owner {counts['with_owner']:,}, with an open visit"
            f" {counts['with_open_visit']:,}",
            flush=True,
        )
        print(
            "\n| case | customers | visits | seconds | visits/s | peak traced MB | chunks |\n"
            "|---|---|---|---|---|---|---|\n"
            f"| preview (the counts before issuing) | {counts['total']:,} of"
            f" {args.customers:,} | — | {issued['preview_seconds']:.2f} | — | — | — |\n"
            f"| submit (count the selection) | {issued['selected']:,} | — | "
            f"{issued['count_seconds']:.2f} | — | — | — |\n"
            f"| issue_campaign | {issued['selected']:,} | {issued['visits']:,} | "
            f"{issued['seconds']:.1f} | {issued['visits'] / issued['seconds']:,.0f} | "
            f"{issued['peak_mb']:.1f} | {issued['chunks']} |",
            flush=True,
        )
        in_process("bench-agent-01")
        if args.skip_http:
            return
        from django.db import connection

        connection.close()
        port = free_port()
        server = start_server(port, data_dir / "serve.log", 1)
        browser = Browser(port)
        browser.sign_in("bench-agent-01")
        _today_pages(
            browser,
            server.pid,
            args,
            f"{issued['visits'] // args.agents:,} open visits for the agent today, "
            f"{issued['visits']:,} in all",
        )
        if args.agents > 1:
            # the worst case: every open task is this agent's (one UPDATE, outside the services)
            from kefu.accounts.models import User
            from kefu.visits.models import ReturnVisit

            agent = User.objects.get(username="bench-agent-01")
            ReturnVisit.objects.update(assignee=agent)
            # What autovacuum's analyse does within a minute of a change this size: without it,
            # PostgreSQL still thinks the agent has 2 open visits and sorts all of them for a page
            # (404 ms p95 at 200,000, bench/README.md).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE visits_returnvisit")
            in_process("bench-agent-01")
            connection.close()
            _today_pages(
                browser, server.pid, args, f"all {issued['visits']:,} open visits the agent's today"
            )
    finally:
        if server is not None:
            stop_server(server)
        clean_up(data_dir=data_dir, keep=args.keep, drop_database=drop_database)


if __name__ == "__main__":
    main()
