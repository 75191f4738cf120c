"""Reports over HTTP at N tickets: the reports page, figure pages, the region view, the service analysis,
the live board, and the generation of the daily, weekly and monthly pack.

    .venv/bin/python bench/reports/run.py                       # 100,000 tickets, customers and chats
    .venv/bin/python bench/reports/run.py --rows 1000000        # the issue's size
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/reports/run.py

(a) Data: bench/pages' loader (bench/tickets' one year of tickets with categories, responsible departments,
    30 agents and closing times; bench/customers' customers with their province and street; a chat, a
    call, an SMS and a timeline entry per ticket), plus --messages messages per chat in all (the issue's
    five million messages for a million tickets), then ANALYZE.
(b) The pack, in this process as the scheduler's task runs it (kefu.reports.services.issue_pack, not
    announced): the daily report of each of the last three days, last week's and last month's; seconds each.
(c) `kefu serve --no-worker --no-demo` on a free loopback port, signed in through the sign-in page as the
    supervisor; each page --samples times (after three warm-up requests, stopping after --case-seconds)
    over a keep-alive connection: latency p50/p95/p99 and the web process's CPU per page.

Aims (issue 13, Benchmark): p95 ≤ 1 s per report page, ≤ 100 ms for the live board, the daily pack in
under 60 s. Embedded (SQLite, throwaway KEFU_DATA_DIR) by default; with DATABASE_URL a scratch database on
that server, dropped at the end. Loopback only. `--keep` keeps the data; `--reuse DIR` measures a kept data
folder again (SQLite; or PostgreSQL when DATABASE_URL names the kept database: the issued reports are deleted and
issued again, or with `--no-pack` kept and not timed — bench/quiet.py prepares such folders).
"""

# ruff: noqa: S608  the SQL below names tables and columns from the models, never from input
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.common import choose_database, clean_up, percentile, row, rss_mb  # noqa: E402


def load() -> float:
    return os.getloadavg()[0]


def more_messages(per_chat: int) -> float:
    """Messages 2…per_chat of every chat (bench/pages gives each one), by INSERT … SELECT."""
    from django.db import connection, transaction

    from kefu.conversations.models import Conversation, Message

    started = time.perf_counter()
    quote = connection.ops.quote_name
    false = "false" if connection.vendor == "postgresql" else "0"
    for seq in range(2, per_chat + 1):
        sender = "'agent'" if seq % 2 == 0 else "'visitor'"
        author = "assignee_id" if seq % 2 == 0 else "NULL"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(Message._meta.db_table)} (conversation_id, seq, sender, author_id, "
                "client_key, body, is_internal, response_seconds, created_at) "
                f"SELECT id, {seq}, {sender}, {author}, NULL, '好的，我帮您查一下订单', {false}, NULL, "
                f"created_at FROM {quote(Conversation._meta.db_table)}"
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    return time.perf_counter() - started


def pack_timings() -> list[tuple[str, float, int]]:
    """(label, seconds, figures) for each report of the pack, issued as the scheduler would."""
    from django.utils import timezone

    from kefu.reports import services
    from kefu.reports.models import PackKind

    today = timezone.localdate()
    cases = [
        (f"daily, {today - dt.timedelta(days=d)}", PackKind.DAILY, today - dt.timedelta(days=d - 1))
        for d in (1, 2, 3)
    ]
    cases += [
        ("weekly, last week", PackKind.WEEKLY, today),
        ("monthly, last month", PackKind.MONTHLY, today),
    ]
    results = []
    for label, kind, as_of in cases:
        since, until = services.latest_period(kind, as_of)
        started = time.perf_counter()
        report, new = services.issue_pack(kind=kind, since=since, until=until, announce=False)
        assert new, f"{label} was issued already"
        results.append((label, time.perf_counter() - started, len(report.content)))
    return results


def pages(ref: dict) -> list[tuple[str, str, float]]:
    """(label, path, aim in ms)."""
    street, tech, issued = ref["street"], ref["tech"], ref["issued"]
    return [
        ("reports page (all figures), last 30 days", "/reports/", 1000),
        ("reports page (all figures), this year", "/reports/?period=year", 1000),
        ("figure: complaints, last 30 days (by day)", "/reports/complaints/?period=30d", 1000),
        (
            "figure: consultations, this year (by month)",
            "/reports/consultations/?period=year",
            1000,
        ),
        ("figure: workload by agent, last month", "/reports/workload/?period=last_month", 1000),
        ("figure: time limits met, this year", "/reports/time_limits/?period=year", 1000),
        (
            "figure: complaints of one street, this year",
            f"/reports/complaints/?period=year&street={street}&by=category",
            1000,
        ),
        ("drill-down: complaints, last 30 days", "/reports/complaints/records/?period=30d", 1000),
        ("region view by province, last 30 days", "/reports/regions/?period=30d", 1000),
        ("region view by street, this year", "/reports/regions/?place=street&period=year", 1000),
        (
            "service analysis of a department, last month",
            f"/reports/departments/{tech}/?period=last_month",
            1000,
        ),
        ("issued daily report", f"/reports/issued/{issued}/", 1000),
        ("API: complaints, this year", "/api/v1/reports/complaints?period=year", 1000),
        ("live board", "/reports/board/", 100),
        ("live board: the pushed refresh (fragment)", "/reports/board/live/", 100),
    ]


def references(ref: dict) -> dict:
    from django.db.models import Count

    from kefu.customers.models import Customer
    from kefu.reports.models import IssuedReport, PackKind

    busiest = (
        Customer.objects.exclude(street="")
        .values("street")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    return {
        "street": busiest["street"] if busiest else "",
        "tech": ref["departments"]["tech"],
        "issued": IssuedReport.objects.filter(kind=PackKind.DAILY).values_list("pk", flat=True)[0],
    }


def main() -> None:
    import urllib.parse

    from bench.pages import run as pages_bench
    from bench.tickets.run import free_port, start_server, stop_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=100_000, help="tickets, customers, chats (100000)"
    )
    parser.add_argument(
        "--messages", type=int, default=5, help="messages per chat in all (default 5)"
    )
    parser.add_argument("--samples", type=int, default=30, help="requests per page (default 30)")
    parser.add_argument(
        "--board-samples", type=int, default=200, help="requests of the board (200)"
    )
    parser.add_argument("--case-seconds", type=float, default=60)
    parser.add_argument("--keep", action="store_true", help="keep the data folder (and database)")
    parser.add_argument(
        "--only",
        default="",
        help="measure only the pages whose label has this (several: separated by |)",
    )
    parser.add_argument(
        "--reuse",
        default="",
        help="a data folder kept by --keep (with DATABASE_URL: its kept database): no loading",
    )
    parser.add_argument(
        "--no-pack",
        action="store_true",
        help="with --reuse: keep the issued reports, do not time the pack",
    )
    args = parser.parse_args()
    started = time.perf_counter()

    drop_database = None
    data_dir = Path(args.reuse or tempfile.mkdtemp(prefix="kefu-bench-reports-"))
    if args.reuse:
        mode = (
            "scaled (PostgreSQL), reused database"
            if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
            else "embedded (SQLite, WAL), reused data folder"
        )
        if not mode.startswith("scaled"):
            os.environ.pop("DATABASE_URL", None)
    else:
        mode, drop_database = choose_database("reports")
    server = None
    try:
        print(
            f"# bench/reports — {time.strftime('%Y-%m-%d %H:%M')}, {mode}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        )
        print(f"# command: {' '.join([Path(sys.executable).name, *sys.argv])}", flush=True)
        pages_bench.setup_django(data_dir)
        if args.reuse:
            from kefu.accounts.models import Department
            from kefu.reports.models import IssuedReport

            if not args.no_pack:
                IssuedReport.objects.all().delete()  # issued again below, and timed
            loaded = {"ref": {"departments": {"tech": Department.objects.get(code="tech").pk}}}
        else:
            loaded = pages_bench.load_data(args.rows)
            timings = loaded["timings"]
            if args.messages > 1:
                timings["messages"] = more_messages(args.messages)
            print(
                f"\nloaded {args.rows:,} tickets, customers and chats, "
                f"{args.rows * max(1, args.messages):,} messages: "
                + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()),
                flush=True,
            )

        if not (args.reuse and args.no_pack):
            print(
                f"\n**The pack** (in process, as the scheduler's task; load average {load():.1f} before)\n"
            )
            print("| report | figures | seconds | load |")
            print("|---|---:|---:|---:|")
            for label, seconds, figures in pack_timings():
                print(f"| {label} | {figures} | {seconds:.1f} | {load():.1f} |", flush=True)

        ref = references(loaded["ref"])
        from django.db import connection

        connection.close()
        port = free_port()
        server = start_server(port, data_dir / "serve.log", 1)
        rss_start = rss_mb(server.pid)
        browser = pages_bench.Browser(port)
        browser.sign_in("bench-supervisor")
        print(
            f"\n**Pages over HTTP** as the supervisor ({args.rows:,} tickets; one web process; "
            f"load average {load():.1f} before)\n"
        )
        print(
            "| page | status | samples | p50 ms | p95 ms | p99 ms | max ms | aim p95 ms | met | load "
            "| server CPU ms/page |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
        for label, path, aim in pages(ref):
            if not any(part in label for part in args.only.split("|")):
                continue
            path = urllib.parse.quote(path, safe="/?=&")
            samples = args.board_samples if aim <= 100 else args.samples
            status, times = pages_bench.measure(
                browser, path, samples, args.case_seconds, server.pid
            )
            if not times:
                print(f"| {label} | {status} | 0 |")
                continue
            p95 = percentile(times, 95)
            print(
                row(label, times, status)
                + f" {aim} | {'yes' if p95 <= aim else 'no'} | {load():.1f} | "
                f"{pages_bench.measure.cpu_ms:.1f} |",
                flush=True,
            )
        print(
            f"\n**Web process RSS**: {rss_start:.0f} MB after start, {rss_mb(server.pid):.0f} MB after "
            "the pages"
        )
        stop_server(server)
        server = None
        print(f"\ntotal {time.perf_counter() - started:.0f} s")
    finally:
        if server is not None:
            stop_server(server)
        clean_up(data_dir=data_dir, keep=args.keep or bool(args.reuse), drop_database=drop_database)


if __name__ == "__main__":
    main()
