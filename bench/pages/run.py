"""Pages over HTTP at N rows: the workbench and every list page, one client and eight, and the server's memory.

    .venv/bin/python bench/pages/run.py                        # 100,000 rows of each kind
    .venv/bin/python bench/pages/run.py --rows 1000000         # the issue's size (about 6 min to load on SQLite)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/pages/run.py

(a) Load --rows tickets (bench/tickets' loader: one year, 30 assignees, a two-level category tree), --rows
    customers (bench/customers' loader, one in three given an owner among the 30 agents, a few waiting for
    their first contact), and, made from the tickets with INSERT … SELECT: one timeline entry per ticket
    (tickets.created, so an agent "served" its customer), --rows calls, --rows SMS, --rows chats with one
    message each (mostly closed; some open and waiting), then ANALYZE.
(b) Start `kefu serve --no-worker --no-demo` on a free loopback port, sign in through the sign-in page as a
    supervisor and as an agent (session cookies), and GET each page over keep-alive HTTP connections
    (standard library http.client): the workbench, the ticket list (all, mine), a ticket, the customers,
    the chat lists, the SMS list and the calls. --samples requests per page after three warm-up requests;
    a page stops sampling after --case-seconds.
(c) Concurrency: --clients connections (default 8) ask for the ticket list for --seconds; pages/s and p95.
(d) Statistics pages (complaint table, chat statistics for 7 and for 92 days) three times each, then the
    web process's RSS.

Embedded (SQLite, throwaway KEFU_DATA_DIR) by default; with DATABASE_URL a scratch database on that server,
dropped at the end. Loopback only. `--keep` keeps the data; `--reuse DIR` measures a kept data folder again
without loading (SQLite only).
"""

# ruff: noqa: S608  the SQL below names tables and columns from the models, never from input
from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.common import choose_database, clean_up, cpu_seconds, percentile, row, rss_mb  # noqa: E402

PASSWORD = "Bench2026pass"  # noqa: S105  the bench's own throwaway users


def load() -> float:
    return os.getloadavg()[0]


def setup_django(data_dir: Path) -> None:
    os.environ["KEFU_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kefu.settings"
    os.environ["KEFU_DEMO"] = "0"
    os.environ["KEFU_INSTANCE"] = f"bench-pages-{os.getpid()}"
    os.environ["ALLOWED_HOSTS"] = "localhost,127.0.0.1,[::1],testserver"
    os.environ.setdefault("KEFU_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- (a) data -------------------------------------------------------------------------------------


def load_data(rows: int) -> dict:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from bench.customers import run as customers_bench
    from bench.tickets import run as tickets_bench
    from kefu.conversations.models import Conversation, Inbox, Message, Visitor
    from kefu.core.models import TimelineEntry
    from kefu.customers.models import Customer
    from kefu.sms.models import SmsMessage
    from kefu.telephony.models import Call
    from kefu.tickets.models import Ticket

    timings = {}
    started = time.perf_counter()
    ref = (
        tickets_bench.seed()
    )  # departments, categories, 30 agents (the supervisor is one), 50,000 customers
    if rows > tickets_bench.CUSTOMERS:
        customers_bench.bulk_load(rows - tickets_bench.CUSTOMERS)
    quote = connection.ops.quote_name
    customers = quote(Customer._meta.db_table)
    agents = ref["agents"]
    with transaction.atomic(), connection.cursor() as cursor:
        for i, agent in enumerate(agents):  # one customer in three has an owner
            cursor.execute(
                f"UPDATE {customers} SET owner_id = %s WHERE id %% 90 = %s", [agent, i * 3]
            )
        # The agent who owns a customer captured it (the customers' creator column is indexed, and
        # a column of NULLs only would mislead the planner's statistics about it).
        cursor.execute(
            f"UPDATE {customers} SET created_by_id = owner_id WHERE owner_id IS NOT NULL"
        )
        cursor.execute(  # a few wait for their first contact (the seven-day rule)
            f"UPDATE {customers} SET contact_due_at = created_at WHERE owner_id IS NOT NULL AND id % 97 = 0"
        )
    timings["customers"] = time.perf_counter() - started

    timings["tickets"] = tickets_bench.bulk_load(rows, ref)
    started = time.perf_counter()
    tickets = quote(Ticket._meta.db_table)
    ticket_type = ContentType.objects.get_for_model(Ticket).pk
    pg = connection.vendor == "postgresql"
    true, false = ("true", "false") if pg else ("1", "0")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(TimelineEntry._meta.db_table)} (occurred_at, kind, subject_type_id, subject_id, "
            "actor_id, summary, data, is_internal, customer_id) "
            f"SELECT created_at, 'tickets.created', {ticket_type}, CAST(id AS TEXT), created_by_id, number, "
            f"'{{}}', {false}, customer_id FROM {tickets}"
        )
    timings["timeline"] = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Call._meta.db_table)} (direction, number, customer_id, agent_id, started_at, "
            "answered_at, ended_at, duration_seconds, outcome, recording_url, subject, notes, source, "
            "external_id, created_by_id, created_at, updated_at) "
            "SELECT CASE WHEN id % 3 = 0 THEN 'out' ELSE 'in' END, "
            "CASE WHEN id % 2 = 0 THEN '+8613912345678' ELSE '+8613800001111' END, customer_id, "
            "COALESCE(assignee_id, created_by_id), created_at, created_at, created_at, id % 600, "
            "CASE WHEN id % 7 = 0 THEN 'missed' ELSE 'answered' END, '', subject, '', 'manual', '', "
            f"created_by_id, created_at, created_at FROM {tickets}"
        )
    timings["calls"] = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {quote(SmsMessage._meta.db_table)} ("to", template_code, params, body, provider, '
            "provider_message_id, status, error, customer_id, created_by_id, created_at, sent_at, delivered_at, "
            "report_code, reported_at) "
            "SELECT '+8613912345678', 'notice', '{}', subject, 'console', '', "
            "CASE WHEN id % 50 = 0 THEN 'failed' ELSE 'delivered' END, '', customer_id, created_by_id, "
            f"created_at, created_at, created_at, '', NULL FROM {tickets}"
        )
    timings["sms"] = time.perf_counter() - started

    started = time.perf_counter()
    cs = ref["departments"]["cs"]
    from kefu.accounts.models import AgentProfile, Team, User

    team = Team.objects.create(name="售后组", department_id=cs)
    for profile in AgentProfile.objects.filter(user_id__in=agents):
        profile.teams.add(team)
    inbox = Inbox.objects.create(name="官网", team=team)
    visitors = 20_000
    Visitor.objects.bulk_create(
        [Visitor(inbox=inbox, name=f"访客{i}") for i in range(visitors)], batch_size=5000
    )
    first_visitor = Visitor.objects.order_by("id").values_list("id", flat=True)[0]
    conversations = quote(Conversation._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        # Mostly closed; open ones served by the ticket's assignee; one open unassigned ticket in ten waiting.
        cursor.execute(
            f"INSERT INTO {conversations} (inbox_id, visitor_id, customer_id, state, assignee_id, team_id, "
            "needed_skill_id, last_seq, created_at, assigned_at, first_response_at, awaiting_reply_since, "
            "last_activity_at, closed_at, closed_by_id, close_reason, rating, version) "
            f"SELECT {inbox.pk}, {first_visitor} + id % {visitors}, customer_id, "
            "CASE WHEN state = 'closed' THEN 'closed' WHEN assignee_id IS NOT NULL THEN 'open' "
            "WHEN id % 10 = 0 THEN 'waiting' ELSE 'closed' END, "
            f"assignee_id, {team.pk}, NULL, 1, created_at, created_at, created_at, NULL, "
            "COALESCE(closed_at, created_at), "
            "CASE WHEN state = 'closed' OR (assignee_id IS NULL AND id % 10 <> 0) THEN COALESCE(closed_at, created_at) END, "
            "NULL, CASE WHEN state = 'closed' THEN 'agent' ELSE '' END, NULL, 1 "
            f"FROM {tickets}"
        )
        cursor.execute(
            f"INSERT INTO {quote(Message._meta.db_table)} (conversation_id, seq, sender, author_id, client_key, "
            f"body, is_internal, response_seconds, created_at) "
            f"SELECT id, 1, 'visitor', NULL, NULL, '你好，我想问一下订单的情况', {false}, NULL, created_at "
            f"FROM {conversations}"
        )
    del true
    timings["chats"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    timings["analyze"] = time.perf_counter() - started
    connection.close()
    ref["agent"] = User.objects.get(pk=agents[1]).username
    ref["ticket_id"] = Ticket.objects.order_by("-id").values_list("id", flat=True)[100]
    return {"ref": ref, "timings": timings}


# --- (b) HTTP -------------------------------------------------------------------------------------


class Browser:
    """One keep-alive connection with the cookies a browser would keep."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (
            http.client.RemoteDisconnected,
            ConnectionError,
        ):  # the server closed an idle keep-alive
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, data, response

    def sign_in(self, username: str) -> None:
        status, page, _ = self.request("GET", "/accounts/sign-in/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
        ).encode()
        status, _, _ = self.request(
            "POST",
            "/accounts/sign-in/",
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{self.port}/accounts/sign-in/",
            },
        )
        assert status == 302, f"sign-in of {username} answered {status}"

    def copy(self) -> Browser:
        other = Browser(self.port)
        other.cookies = dict(self.cookies)
        return other


def pages(ref: dict) -> list[tuple[str, str]]:
    return [
        ("workbench", "/"),
        ("tickets: all", "/tickets/"),
        ("tickets: mine", "/tickets/?view=mine"),
        ("tickets: about to breach", "/tickets/?view=about_to_breach"),
        ("a ticket", f"/tickets/{ref['ticket_id']}/"),
        ("customers", "/customers/"),
        ("chats: workspace (mine)", "/conversations/"),
        ("chats: closed list", "/conversations/lists/?list=closed"),
        ("SMS", "/sms/"),
        ("calls", "/telephony/"),
    ]


def measure(browser: Browser, path: str, samples: int, case_seconds: float, pid: int = 0):
    """Latencies of `samples` GETs (after three to warm up); with the server's pid, also its CPU ms
    per request (measure.cpu_ms)."""
    measure.cpu_ms = None
    for _ in range(3):
        status, _body, _ = browser.request("GET", path)
    if status != 200:
        return status, []
    cpu_before = cpu_seconds(pid) if pid else 0.0
    times = []
    deadline = time.perf_counter() + case_seconds
    for _ in range(samples):
        t0 = time.perf_counter()
        status, _body, _ = browser.request("GET", path)
        times.append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() > deadline:
            break
    if pid:
        measure.cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / len(times)
    return status, times


def concurrent(browser: Browser, path: str, clients: int, seconds: float):
    times: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    barrier = threading.Barrier(clients + 1)

    def run() -> None:
        mine = browser.copy()
        mine.request("GET", path)
        barrier.wait(timeout=120)
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            status, _, _ = mine.request("GET", path)
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                times.append(elapsed)
                errors[0] += status != 200

    threads = [threading.Thread(target=run, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    for t in threads:
        t.join(timeout=seconds + 300)
    return time.perf_counter() - started, times, errors[0]


def main() -> None:
    from bench.tickets.run import free_port, start_server, stop_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=100_000, help="rows of each kind (default 100000)"
    )
    parser.add_argument("--samples", type=int, default=200, help="requests per page (default 200)")
    parser.add_argument("--case-seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--seconds", type=float, default=20, help="length of the concurrency case")
    parser.add_argument("--keep", action="store_true", help="keep the data folder (and database)")
    parser.add_argument(
        "--reuse", default="", help="a data folder kept by --keep (SQLite): no loading"
    )
    parser.add_argument("--only", default="", help="comma-separated page labels to measure")
    args = parser.parse_args()
    started = time.perf_counter()

    drop_database = None
    url = os.environ.get("DATABASE_URL", "")
    if args.reuse:
        data_dir = Path(args.reuse)
        mode = "scaled (PostgreSQL)" if url else "embedded (SQLite, WAL)"
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-pages-"))
        mode, drop_database = choose_database("pages")
    server = None
    try:
        print(
            f"# bench/pages — {time.strftime('%Y-%m-%d %H:%M')}, {mode}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        )
        print(f"# command: {' '.join([Path(sys.executable).name, *sys.argv])}", flush=True)
        setup_django(data_dir)
        if args.reuse:
            from kefu.accounts.models import User
            from kefu.tickets.models import Ticket

            ref = {
                "agent": "bench-agent-01",
                "ticket_id": Ticket.objects.order_by("-id").values_list("id", flat=True)[100],
            }
            assert User.objects.filter(username="bench-agent-01").exists()
        else:
            loaded = load_data(args.rows)
            ref = loaded["ref"]
            print(
                f"\nloaded {args.rows:,} rows of each kind: "
                + ", ".join(f"{k} {v:.0f} s" for k, v in loaded["timings"].items())
            )
        from django.db import connection

        connection.close()
        port = free_port()
        server = start_server(port, data_dir / "serve.log", 1)
        rss_start = rss_mb(server.pid)
        browsers = {}
        for role, username in (("supervisor", "bench-supervisor"), ("agent", ref["agent"])):
            browsers[role] = Browser(port)
            browsers[role].sign_in(username)
        only = {s.strip() for s in args.only.split(",") if s.strip()}
        print(
            f"\n**Pages over HTTP** ({args.rows:,} rows of each kind; one web process; load average "
            f"{load():.1f} before)\n"
        )
        print(
            "| page | role | status | samples | p50 ms | p95 ms | p99 ms | max ms | load | server CPU ms/page |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for label, path in pages(ref):
            if only and label not in only:
                continue
            for role, browser in browsers.items():
                status, times = measure(browser, path, args.samples, args.case_seconds, server.pid)
                print(
                    row(label, times, role, status)
                    + (f" {load():.1f} | {measure.cpu_ms:.1f} |" if times else "")
                )
                sys.stdout.flush()
        rss_lists = rss_mb(server.pid)

        cpu_before = cpu_seconds(server.pid)
        elapsed, times, errors = concurrent(
            browsers["supervisor"], "/tickets/", args.clients, args.seconds
        )
        cpu_ms = (cpu_seconds(server.pid) - cpu_before) * 1000 / max(1, len(times))
        print(
            f"\n**Concurrency**: {args.clients} clients on the ticket list for {elapsed:.0f} s: "
            f"{len(times) / elapsed:.1f} pages/s, p50 {statistics.median(times):.0f} ms, "
            f"p95 {percentile(times, 95):.0f} ms, p99 {percentile(times, 99):.0f} ms, {errors} errors, "
            f"server CPU {cpu_ms:.1f} ms/page "
            f"(load average {load():.1f} after)"
        )
        sys.stdout.flush()

        print(
            "\n| statistics page | role | status | runs | p50 ms | p95 ms | p99 ms | max ms | load "
            "| server CPU ms/page |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for label, path in (
            ("complaint statistics", "/tickets/statistics/"),
            ("chat statistics", "/conversations/statistics/"),
            # The longest period the page shows (statistics.MAX_DAYS; an earlier start is cut to it).
            ("chat statistics, 92 days", "/conversations/statistics/?since=2000-01-01"),
        ):
            status, times = measure(browsers["supervisor"], path, 3, 60, server.pid)
            print(
                row(label, times, "supervisor", status)
                + (f" {load():.1f} | {measure.cpu_ms:.1f} |" if times else "")
            )
            sys.stdout.flush()
        rss_stats = rss_mb(server.pid)
        print(
            f"\n**Web process RSS**: {rss_start:.0f} MB after start, {rss_lists:.0f} MB after the lists, "
            f"{rss_stats:.0f} MB after the concurrency and statistics cases"
        )
        stop_server(server)
        server = None
        print(f"\ntotal {time.perf_counter() - started:.0f} s")
    finally:
        if server is not None:
            stop_server(server)
        if args.reuse:
            from django.db import connections

            connections.close_all()
        else:
            clean_up(data_dir=data_dir, keep=args.keep, drop_database=drop_database)


if __name__ == "__main__":
    main()
