"""Tickets benchmark: list p50/p95 at 100,000 and 1,000,000 tickets, complaint statistics, creation/s.

    .venv/bin/python bench/tickets/run.py                          # 100,000 then 1,000,000 tickets
    .venv/bin/python bench/tickets/run.py --tickets 20000,200000   # a quick run
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/tickets/run.py

(a) Lists: for each size in --tickets, the tickets table is emptied and bulk-loaded with plain
    INSERTs (COPY on PostgreSQL; not through the services): one year of tickets, newest last, with
    a realistic spread of types, states (old tickets mostly closed; the last weeks spread over the
    loop), categories (a two-level tree), responsible departments (by category, as the routing
    rules do), 30 assignees, 50,000 customers, channels and priorities, deadlines and closing
    times (about one in eight over its limit). Then ANALYZE (PostgreSQL's autovacuum does it soon
    after a load; on SQLite the nightly task's PRAGMA optimize) and, per case, --samples requests
    of the first page (and one deep page) of the ticket list page GET /tickets/ (signed in as a
    supervisor who is also one of the 30 assignees) and of GET /api/v1/tickets (Bearer token),
    both through Django's test Client in this process (the whole view, template or JSON included;
    no HTTP server in between). A case stops sampling after --case-seconds and says how many
    samples it took.
(b) Statistics: complaint_table over the year at the largest size (--stats-samples runs).
(c) Creation, on top of the largest size: create_ticket in a loop in this process (tickets/s), then
    `kefu serve --no-worker --no-demo` on a free loopback port with this run's data folder and
    database, a token from `kefu apitoken`, and --clients concurrent keep-alive connections sending
    POST /api/v1/tickets (standard library http.client).

Embedded mode (SQLite in a temporary KEFU_DATA_DIR) by default. With DATABASE_URL set to a
PostgreSQL server, a scratch database is created on it and dropped at the end (no other database
is touched). Nothing leaves the machine; the temporary folder is removed at the end.
`--reuse DIR --only-search` measures the search cases on a kept folder (and, with DATABASE_URL, its
database) whose tickets and search index are loaded already (bench/quiet.py --prepare makes them).
"""

# ruff: noqa: S608  the SQL below names tables and columns from the models, never from input
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.common import (  # noqa: E402
    choose_database,
    clean_up,
    cpu_seconds,
    percentile,
    row,
    rss_mb,
)

CATEGORIES = {  # 客诉分类: root → leaves, with the responsible department's code
    "产品质量": (["外观瑕疵", "功能故障", "配件缺失", "使用寿命短"], "quality"),
    "物流配送": (["延迟送达", "包装破损", "错发漏发", "配送员态度"], "logistics"),
    "售后服务": (["维修超时", "维修质量", "退换货", "安装问题"], "aftersales"),
    "服务态度": (["坐席态度", "门店态度", "承诺未兑现"], "cs"),
    "价格收费": (["价格争议", "重复扣费", "发票问题"], "finance"),
    "账户系统": (["无法登录", "订单异常", "积分问题"], "tech"),
    "营销活动": (["活动规则", "赠品未发放", "虚假宣传"], "marketing"),
}
DEPARTMENTS = [
    ("cs", "客服部", True),
    ("quality", "质检部", False),
    ("logistics", "物流部", False),
    ("aftersales", "售后部", False),
    ("finance", "财务部", False),
    ("tech", "技术部", False),
    ("marketing", "市场部", False),
]
SUBJECTS = [
    "收到的商品有划痕",
    "快递三天没动",
    "申请退货",
    "发票开错了",
    "活动赠品没收到",
    "会员积分不见了",
    "电话打不通",
    "师傅上门迟到",
    "产品说明书看不懂",
    "价格比门店贵",
    "安装后漏水",
    "订单显示已签收但没收到",
    "想咨询保修期",
    "建议增加夜间客服",
    "APP 无法登录",
    "重复扣款",
    "客服态度不好",
    "配件少了一个",
    "维修两周还没修好",
    "询问发货时间",
]
TYPES = [
    ("consultation", 40),
    ("complaint", 25),
    ("suggestion", 5),
    ("after_sales", 15),
    ("dispatch", 8),
    ("feedback", 7),
]
CHANNELS = [
    ("phone", 40),
    ("web_chat", 20),
    ("wechat", 15),
    ("email", 5),
    ("shop", 10),
    ("counter", 5),
    ("api", 3),
    ("other", 2),
]
PRIORITIES = [("low", 10), ("normal", 70), ("high", 15), ("urgent", 5)]
LOOP_OPEN = [
    ("received", 10),
    ("confirmed", 10),
    ("routed", 20),
    ("investigated", 15),
    ("plan_proposed", 10),
    ("plan_approved", 10),
    ("carried_out", 10),
    ("return_visited", 15),
]
SATISFACTION = [5, 4, 4, 3, 2]  # the one scale (kefu.core.satisfaction): 1 非常不满意 … 5 非常满意
AGENTS = 30  # the supervisor is one of them
RSS_EVERY = 600  # API creations between two readings of the server's memory
CUSTOMERS = 50_000
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def setup_django(data_dir: Path) -> None:
    os.environ["KEFU_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kefu.settings"
    os.environ["KEFU_DEMO"] = "0"
    os.environ["KEFU_INSTANCE"] = f"bench-tickets-{os.getpid()}"
    os.environ["ALLOWED_HOSTS"] = "localhost,127.0.0.1,[::1],testserver"
    os.environ.setdefault("KEFU_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- reference data: departments, categories and routing, users, customers -------------------------


def seed() -> dict:
    from django.db import connection, transaction

    from kefu.accounts import services
    from kefu.accounts.models import Department
    from kefu.accounts.roles import Role
    from kefu.customers.models import Customer
    from kefu.tickets.models import RoutingRule, TicketCategory

    departments = {
        code: Department.objects.create(code=code, name=name, is_customer_service=cs)
        for code, name, cs in DEPARTMENTS
    }
    leaves = []  # (leaf id, root id, department id)
    for order, (root_name, (children, code)) in enumerate(CATEGORIES.items()):
        root = TicketCategory.objects.create(name=root_name, sort_order=order)
        RoutingRule.objects.create(category=root, department=departments[code])
        for child_order, child in enumerate(children):
            leaf = TicketCategory.objects.create(name=child, parent=root, sort_order=child_order)
            leaves.append((leaf.pk, root.pk, departments[code].pk))
    supervisor = services.create_user(
        actor=None,
        username="bench-supervisor",
        password="Bench2026pass",  # noqa: S106
        role=Role.SUPERVISOR,
        department=departments["cs"],
        check_password=False,
    )
    agents = [supervisor.pk] + [
        services.create_user(
            actor=None,
            username=f"bench-agent-{i:02d}",
            password="Bench2026pass",  # noqa: S106
            role=Role.AGENT,
            department=departments["cs"],
            check_password=False,
        ).pk
        for i in range(1, AGENTS)
    ]
    staff = services.create_user(
        actor=None,
        username="bench-tech",
        password="Bench2026pass",  # noqa: S106
        role=Role.DEPARTMENT_STAFF,
        department=departments["tech"],
        check_password=False,
    )

    # Customers: plain INSERTs of the required columns (the customers benchmark loads them in full).
    fields = list(Customer._meta.concrete_fields)
    now = dt.datetime.now(dt.UTC)
    template = []
    for f in fields:
        if f.null:
            template.append(None)
        elif f.has_default():
            template.append(f.get_db_prep_save(f.get_default(), connection))
        elif f.get_internal_type() == "DateTimeField":
            template.append(f.get_db_prep_save(now, connection))
        else:
            template.append("")
    position = {f.attname: i for i, f in enumerate(fields)}
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(Customer._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    rng = random.Random(3)
    surnames, given = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗",
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华",
    )
    rows = []
    for i in range(1, CUSTOMERS + 1):
        row = list(template)
        mobile = f"+86139{(i * 7919 + 4242) % 10**8:08d}"
        row[position["id"]] = i
        row[position["name"]] = rng.choice(surnames) + "".join(
            rng.choice(given) for _ in range(rng.choice((1, 2)))
        )
        row[position["mobile"]] = mobile
        row[position["mobile_last4"]] = mobile[-4:]
        rows.append(row)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{Customer._meta.db_table}', 'id'), {CUSTOMERS})"
            )
    return {
        "supervisor": supervisor,
        "staff": staff,
        "agents": agents,
        "leaves": leaves,
        "departments": {code: d.pk for code, d in departments.items()},
    }


# --- (a) bulk load --------------------------------------------------------------------------------


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    cum = []
    total = 0
    for w in weights:
        total += w
        cum.append(total)
    import bisect

    def pick() -> str:
        return values[bisect.bisect(cum, rng.random() * total)]

    return pick


def ticket_rows(count: int, ref: dict, now: dt.datetime, seed: int = 7):
    """Yield (ticket row as a dict of column → value) for `count` tickets over the year before `now`,
    in creation order, and fill ref['counters'] with the last number of each local day."""
    rng = random.Random(seed)
    pick_type, pick_channel, pick_priority = (
        weighted(rng, TYPES),
        weighted(rng, CHANNELS),
        weighted(rng, PRIORITIES),
    )
    pick_loop = weighted(rng, LOOP_OPEN)
    hours = [
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        1,
        4,
        8,
        9,
        8,
        6,
        7,
        8,
        8,
        7,
        6,
        4,
        3,
        3,
        2,
        1,
        0,
    ]  # local hour of day
    hour_pick = weighted(rng, list(enumerate(hours)))
    start = now - dt.timedelta(days=365)
    offsets = []
    for _ in range(count):
        day = rng.randrange(365)
        local_hour = hour_pick()
        offsets.append(
            day * 86400 + (local_hour - 8) * 3600 + rng.random() * 3600
        )  # UTC = local - 8 h
    offsets.sort()
    span_end = (now - start).total_seconds() - 600
    leaves, agents, departments = ref["leaves"], ref["agents"], ref["departments"]
    counters: dict[dt.date, int] = {}
    day_seconds = 86400
    for offset in offsets:
        created = start + dt.timedelta(seconds=min(max(offset, 0), span_end))
        age_days = (now - created).total_seconds() / day_seconds
        ticket_type = pick_type()
        local_day = (created + dt.timedelta(hours=8)).date()
        counters[local_day] = counters.get(local_day, 0) + 1
        leaf = (
            rng.choice(leaves)
            if (ticket_type == "complaint" and rng.random() < 0.98) or rng.random() < 0.7
            else None
        )
        closed_share = 0.95 if age_days > 21 else age_days / 21 * 0.9
        closed = rng.random() < closed_share
        if ticket_type == "complaint":
            state = "closed" if closed else pick_loop()
        else:
            state = "closed" if closed else ("answered" if rng.random() < 0.4 else "received")
        r = {
            "number": f"TS{local_day:%Y%m%d}-{counters[local_day]:04d}",
            "type": ticket_type,
            "state": state,
            "customer_id": rng.randint(1, CUSTOMERS) if rng.random() < 0.85 else None,
            "channel": pick_channel(),
            "priority": pick_priority(),
            "subject": rng.choice(SUBJECTS),
            "category_id": leaf[0] if leaf else None,
            "created_at": created,
            "created_by_id": rng.choice(agents),
            "first_response_due_at": created + dt.timedelta(hours=1),
            "stage_started_at": created,
            "stage_due_at": created + dt.timedelta(days=1),
            "resolve_due_at": created + dt.timedelta(days=4),
            "version": 1,
        }
        unassigned = (state == "received" and rng.random() < 0.5) or rng.random() < 0.03
        r["assignee_id"] = None if unassigned else rng.choice(agents)
        if state != "received":
            r["first_responded_at"] = created + dt.timedelta(minutes=rng.randint(2, 90))
            r["version"] = rng.randint(2, 9)
        routed = ticket_type == "complaint" and state not in ("received", "confirmed")
        if ticket_type == "complaint" and state != "received":
            r["restatement"] = "已向客户复述并确认"
        if ticket_type == "complaint":
            r["complainant"] = "客户本人"
            r["complained_at"] = created
            r["content"] = "客户来电反映：" + r["subject"]
        if closed:
            delay = min(rng.lognormvariate(0.7, 0.9), max(age_days - 0.01, 0.01))
            r["closed_at"] = created + dt.timedelta(days=delay)
            r["stage_started_at"] = r["stage_due_at"] = None
            if ticket_type == "complaint":
                routed = rng.random() < 0.8
                if not routed:
                    r["validity"] = "invalid"
                    r["invalid_reason"] = "经核实不属于我司责任"
                    r["reply_to_customer"] = "感谢您的反馈，经核实……"
        if routed:
            r["validity"] = "valid"
            r["department_id"] = leaf[2] if leaf else departments["quality"]
            if state not in ("routed",):
                r["cause"] = "仓库出库检查遗漏"
            if state not in ("routed", "investigated"):
                r["resolution_plan"] = "补发配件并致歉"
            if state in ("return_visited", "closed"):
                r["return_visit_outcome"] = "客户已收到补发，表示满意"
                r["satisfaction"] = rng.choice(SATISFACTION)
                r["return_visited_at"] = r.get("closed_at", created + dt.timedelta(days=2))
        elif ticket_type in ("after_sales", "dispatch") and leaf and rng.random() < 0.5:
            r["department_id"] = leaf[2]
        if state == "answered" or (closed and ticket_type != "complaint"):
            r["answer"] = "已答复客户"
        if rng.random() < 0.02 and not closed:
            r["reopen_count"] = 1
        r["updated_at"] = r.get("closed_at") or created
        yield r
    ref["counters"] = counters


def bulk_load(count: int, ref: dict) -> float:
    """Empty the tickets table and load `count` tickets; returns seconds taken."""
    from django.db import connection, transaction

    from kefu.core.models import TimelineEntry
    from kefu.tickets.models import SlaAlert, Ticket, TicketNumberCounter

    quote = connection.ops.quote_name
    table = Ticket._meta.db_table
    pg = connection.vendor == "postgresql"
    started = time.perf_counter()
    documents = []
    try:  # the search index's documents point at tickets (kefu.core.search)
        from kefu.tickets.models import TicketSearchDocument

        documents.append(TicketSearchDocument._meta.db_table)
    except ImportError:
        pass
    with transaction.atomic(), connection.cursor() as cursor:
        for documents_table in documents:
            cursor.execute(f"DELETE FROM {quote(documents_table)}")
        cursor.execute(f"DELETE FROM {quote(TimelineEntry._meta.db_table)}")
        cursor.execute(f"DELETE FROM {quote(SlaAlert._meta.db_table)}")
        cursor.execute(f"DELETE FROM {quote(Ticket.watchers.through._meta.db_table)}")
        cursor.execute(f"DELETE FROM {quote(table)}")
        cursor.execute(f"DELETE FROM {quote(TicketNumberCounter._meta.db_table)}")
    if not pg:
        with connection.cursor() as cursor:
            cursor.execute(
                "PRAGMA cache_size=-1000000"
            )  # this connection only; closed after the load

    fields = [f for f in Ticket._meta.concrete_fields if f.attname != "id"]
    defaults = {}
    for f in fields:
        defaults[f.attname] = None if f.null else (f.get_default() if f.has_default() else "")
    columns = [f.attname for f in fields]
    dates = {f.attname for f in fields if f.get_internal_type() == "DateTimeField"}
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def value(name, v):
        if v is None or name not in dates:
            return v
        return (
            v if pg else str(v.replace(tzinfo=None))
        )  # Django keeps SQLite datetimes as naive UTC text

    batch: list[tuple] = []

    def flush() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            if pg:
                with cursor.cursor.copy(
                    f"COPY {quote(table)} ({', '.join(quote(c) for c in [f.column for f in fields])}) FROM STDIN"
                ) as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                cursor.executemany(sql, batch)
        batch.clear()

    for r in ticket_rows(count, ref, now):
        batch.append(tuple(value(c, r.get(c, defaults[c])) for c in columns))
        if len(batch) >= 20_000:
            flush()
    if batch:
        flush()
    TicketNumberCounter.objects.bulk_create(
        [TicketNumberCounter(day=d, last=n) for d, n in ref["counters"].items()]
    )
    # What the sweep would have recorded: a resolution breach for each ticket closed after its
    # deadline or still open past it (the statistics count 超时 from these rows).
    alerts, tickets_table = quote(SlaAlert._meta.db_table), quote(table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {alerts} (ticket_id, clock, level, due_at, department_id, assignee_id, "
            f"recorded_at) SELECT id, 'resolution', 'breach', resolve_due_at, department_id, "
            f"assignee_id, resolve_due_at FROM {tickets_table} WHERE resolve_due_at IS NOT NULL "
            f"AND ((closed_at IS NOT NULL AND closed_at > resolve_due_at) "
            f"OR (closed_at IS NULL AND resolve_due_at < %s))",
            [value("resolve_due_at", now)],
        )
        cursor.execute(  # the ticket's own mark of its first breach (services/sla.py)
            f"UPDATE {tickets_table} SET first_breach_at = resolve_due_at WHERE id IN "
            f"(SELECT ticket_id FROM {alerts})"
        )
    with connection.cursor() as cursor:
        if pg:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {quote(table)}))"
            )
            cursor.execute(f"ANALYZE {quote(table)}")
            cursor.execute(f"ANALYZE {alerts}")
        else:
            cursor.execute("ANALYZE")
    connection.close()
    return time.perf_counter() - started


# --- (a) lists ------------------------------------------------------------------------------------


def list_cases(ref: dict) -> list[tuple[str, dict]]:
    from kefu.tickets.models import Ticket

    root = next(iter(CATEGORIES))
    from kefu.tickets.models import TicketCategory

    root_id = TicketCategory.objects.get(name=root, parent=None).pk
    leaf_id = TicketCategory.objects.get(name="重复扣费").pk
    ids = list(Ticket.objects.order_by("-id").values_list("id", flat=True)[:1])
    middle = ids[0] // 2 if ids else 1
    return [
        ("all (first page)", {}),
        ("all, a page deep in (cursor at half)", {"cursor": middle}),
        ("view mine", {"view": "mine"}),
        ("view unassigned", {"view": "unassigned"}),
        ("view about_to_breach", {"view": "about_to_breach"}),
        ("view awaiting_approval", {"view": "awaiting_approval"}),
        ("state = investigated", {"state": "investigated"}),
        ("state = open", {"state": "open"}),
        ("category (root, with subcategories)", {"category": root_id}),
        ("category (leaf)", {"category": leaf_id}),
        ("type complaint + state open", {"type": "complaint", "state": "open"}),
    ]


def bench_lists(ref: dict, token: str, samples: int, case_seconds: float) -> list[tuple]:
    from django.db import connection
    from django.test import Client

    page_client = Client()
    page_client.force_login(ref["supervisor"])
    api_client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    staff_client = Client()
    staff_client.force_login(ref["staff"])
    results = []
    cases = list_cases(ref)
    targets = [("page", page_client, "/tickets/"), ("API", api_client, "/api/v1/tickets")]
    for label, params in [*cases, ("department staff: my_department", {"view": "my_department"})]:
        for kind, client, path in targets:
            if label.startswith("department staff"):
                client = (
                    staff_client
                    if kind == "page"
                    else Client(HTTP_AUTHORIZATION=f"Bearer {ref['staff_token']}")
                )
            for _ in range(3):  # warm the caches the way a running server has them
                response = client.get(path, params)
                assert response.status_code == 200, (
                    path,
                    params,
                    response.status_code,
                    response.content[:300],
                )
            found = (
                len(response.json()["items"])
                if kind == "API"
                else response.content.count(b'data-state="')
            )
            times = []
            deadline = time.perf_counter() + case_seconds
            for _ in range(samples):
                t0 = time.perf_counter()
                response = client.get(path, params)
                times.append((time.perf_counter() - t0) * 1000)
                if time.perf_counter() > deadline:
                    break
            results.append((label, kind, found, times))
        connection.close()
    return results


def explain(ref: dict, labels: set[str]) -> list[str]:
    """The list query's plan (the API's select_related) for the cases that missed the aim."""
    from kefu.tickets.search import search_tickets

    plans = []
    for label, params in list_cases(ref):
        if label not in labels:
            continue
        filters = {k: v for k, v in params.items() if k != "cursor"}
        qs = search_tickets(user=ref["supervisor"], **filters).select_related("category__parent")
        if "cursor" in params:
            qs = qs.filter(id__lt=params["cursor"])
        plans.append(
            f"{label}: " + " | ".join(line.strip() for line in qs[:51].explain().splitlines())
        )
    return plans


# --- (b) statistics -------------------------------------------------------------------------------


def bench_stats(runs: int) -> tuple[list[float], int, int]:
    from django.utils import timezone

    from kefu.tickets.statistics import complaint_table

    now = timezone.now()
    since, until = now - dt.timedelta(days=366), now + dt.timedelta(days=1)
    times, table = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        table = complaint_table(since=since, until=until)
        times.append((time.perf_counter() - t0) * 1000)
    return times, len(table), sum(r.total for r in table)


# --- (c) creation ---------------------------------------------------------------------------------


def creation_payloads(ref: dict, count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    pick_type, pick_priority = weighted(rng, TYPES), weighted(rng, PRIORITIES)
    payloads = []
    for _ in range(count):
        ticket_type = pick_type()
        leaf = (
            rng.choice(ref["leaves"]) if ticket_type == "complaint" or rng.random() < 0.7 else None
        )
        payloads.append(
            {
                "type": ticket_type,
                "subject": rng.choice(SUBJECTS),
                "content": "客户来电反映的问题，已记录。",
                "customer_id": rng.randint(1, CUSTOMERS) if rng.random() < 0.85 else None,
                "category_id": leaf[0] if leaf else None,
                "priority": pick_priority(),
            }
        )
    return payloads


def bench_create_service(ref: dict, count: int) -> tuple[float, list[float]]:
    from django.db import connection

    from kefu.tickets.services.tickets import create_ticket

    payloads = creation_payloads(ref, count + 20, seed=21)
    supervisor = ref["supervisor"]
    for p in payloads[:20]:  # warm-up
        create_ticket(actor=supervisor, channel="phone", **p)
    times = []
    started = time.perf_counter()
    for p in payloads[20:]:
        t0 = time.perf_counter()
        create_ticket(actor=supervisor, channel="phone", **p)
        times.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed, times


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, log: Path, web_processes: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "kefu.cli",
        "serve",
        "--no-worker",
        "--no-demo",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--web-processes",
        str(web_processes),
    ]
    env = {**os.environ, "KEFU_LOG_LEVEL": "warning"}
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603
            command,
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(
                f"kefu serve stopped ({server.returncode}):\n{log.read_text()[-2000:]}"
            )
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")  # any answer will do
            conn.getresponse().read()
            conn.close()
            return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit("kefu serve did not answer within 120 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


def api_token(username: str) -> str:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kefu.cli", "apitoken", username, "--name", "bench"],
        cwd=REPO,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def bench_create_api(
    ref: dict,
    port: int,
    token: str,
    count: int,
    clients: int,
    server_pid: int | None = None,
    batch: int = 1,
) -> tuple[float, list[float], int]:
    """POST count tickets over `clients` connections (`batch` > 1: that many a call to POST
    /api/v1/tickets/bulk; the times are then per call). With server_pid, print the server's resident
    memory after every RSS_EVERY calls (a leak grows without end; a cache levels off)."""
    payloads = creation_payloads(ref, count + 10 * clients, seed=33)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    lock = threading.Lock()
    times: list[float] = []
    rss: list[tuple[int, float]] = [(0, rss_mb(server_pid))] if server_pid else []
    errors = [0]
    queue = iter(payloads)
    barrier = threading.Barrier(clients + 1)
    warm = 10

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(warm):  # warm-up: connection, caches
            with lock:
                body = next(queue)
            conn.request("POST", "/api/v1/tickets", body=json.dumps(body).encode(), headers=headers)
            conn.getresponse().read()
        barrier.wait(timeout=120)
        while True:
            with lock:
                bodies = [b for b in (next(queue, None) for _ in range(batch)) if b is not None]
            if not bodies:
                break
            t0 = time.perf_counter()
            if batch > 1:
                data = json.dumps({"items": bodies}).encode()
                conn.request("POST", "/api/v1/tickets/bulk", body=data, headers=headers)
            else:
                conn.request(
                    "POST", "/api/v1/tickets", body=json.dumps(bodies[0]).encode(), headers=headers
                )
            response = conn.getresponse()
            answer = response.read()
            elapsed = (time.perf_counter() - t0) * 1000
            if batch > 1:
                bad = (
                    sum(r["status"] != 201 for r in json.loads(answer)["results"])
                    if response.status == 200
                    else len(bodies)
                )
            else:
                bad = int(response.status != 201)
            with lock:
                times.append(elapsed)
                errors[0] += bad
                if server_pid and len(times) % RSS_EVERY == 0:
                    rss.append((len(times), rss_mb(server_pid)))
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    for t in threads:
        t.join(timeout=600)
    elapsed = time.perf_counter() - started
    if rss:
        print(
            f"  server RSS over {clients} client(s), MB after n calls: "
            + ", ".join(f"{n:,}: {mb:.0f}" for n, mb in rss),
            flush=True,
        )
    return elapsed, times, errors[0]


# --- main -----------------------------------------------------------------------------------------


def search_reused(args, started: float) -> None:
    """--reuse: the search cases over HTTP (and query only) on a kept data folder, nothing loaded or
    rebuilt; the data folder and database are kept."""
    from bench.tickets import search_cases

    data_dir = Path(args.reuse)
    url = os.environ.get("DATABASE_URL", "")
    scaled = url.startswith(("postgres://", "postgresql://"))
    if not scaled:
        os.environ.pop("DATABASE_URL", None)
    mode = "scaled (PostgreSQL), reused database" if scaled else "embedded (SQLite, WAL), reused"
    print(
        f"# bench/tickets — {time.strftime('%Y-%m-%d %H:%M')}, {mode}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(f"# command: {' '.join([Path(sys.executable).name, *sys.argv])}", flush=True)
    setup_django(data_dir)
    from django.db import connection

    from kefu.accounts.models import User
    from kefu.tickets.models import Ticket

    ref = {
        "supervisor": User.objects.get(username="bench-supervisor"),
        "staff": User.objects.get(username="bench-tech"),
    }
    print(f"\n{Ticket.objects.count():,} tickets in the kept data", flush=True)
    connection.close()
    token = api_token("bench-supervisor")
    staff_token = api_token("bench-tech")
    try:
        for line in search_cases.run(
            ref,
            token=token,
            staff_token=staff_token,
            samples=args.search_samples,
            case_seconds=args.case_seconds,
            data_dir=data_dir,
            start_server=start_server,
            stop_server=stop_server,
            free_port=free_port,
            build=False,
        ):
            print(line)
    finally:
        connection.close()
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tickets",
        default="100000,1000000",
        help="sizes to measure the lists at (default 100000,1000000)",
    )
    parser.add_argument(
        "--samples", type=int, default=200, help="requests per list case and endpoint (default 200)"
    )
    parser.add_argument(
        "--case-seconds", type=float, default=20, help="stop sampling one case after this long"
    )
    parser.add_argument(
        "--stats-samples", type=int, default=3, help="complaint_table runs (default 3)"
    )
    parser.add_argument(
        "--create",
        type=int,
        default=2000,
        help="tickets created through the service layer (default 2000)",
    )
    parser.add_argument(
        "--api-create",
        type=int,
        default=3000,
        help="tickets created through the API (default 3000)",
    )
    parser.add_argument("--clients", type=int, default=4, help="concurrent API clients (default 4)")
    parser.add_argument(
        "--batch",
        type=int,
        default=0,
        help="> 1: also create --api-create tickets in bulk calls of this size (POST /tickets/bulk)",
    )
    parser.add_argument(
        "--web-processes",
        type=int,
        default=1,
        help="kefu serve --web-processes (more need REDIS_URL)",
    )
    parser.add_argument(
        "--search-samples",
        type=int,
        default=100,
        help="requests per search case and endpoint, over HTTP (default 100)",
    )
    parser.add_argument("--skip-lists", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument(
        "--only-search",
        action="store_true",
        help="load and measure the search cases only (no list cases, statistics or creation)",
    )
    parser.add_argument("--skip-create", action="store_true")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the data folder (and scratch database) to look at plans",
    )
    parser.add_argument(
        "--reuse",
        default="",
        help="a kept data folder (with DATABASE_URL: its database) whose tickets and search index "
        "are loaded (bench/quiet.py --prepare): measure the search cases only, no loading",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.tickets.split(",") if s.strip()]
    started = time.perf_counter()
    if args.reuse:
        search_reused(args, started)
        return

    data_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-tickets-"))
    mode, drop_database = choose_database("tickets")
    server = None
    try:
        print(
            f"# bench/tickets — {time.strftime('%Y-%m-%d %H:%M')}, {mode}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        )
        print(f"# command: {' '.join([Path(sys.executable).name, *sys.argv])}", flush=True)
        setup_django(data_dir)
        ref = seed()
        token = api_token("bench-supervisor")
        ref["staff_token"] = api_token("bench-tech")
        from django.db import connection

        from kefu.tickets.models import Ticket

        last = 0
        if not args.skip_lists:
            for size in sizes:
                seconds = bulk_load(size, ref)
                last = Ticket.objects.count()
                print(
                    f"\nbulk-loaded {size:,} tickets over one year in {seconds:.1f} s (then ANALYZE); "
                    f"{Ticket.objects.filter(state='closed').count() / last:.0%} closed, "
                    f"{Ticket.objects.exclude(state='closed').filter(assignee__isnull=True).count():,} open and unassigned"
                )
                load_before = os.getloadavg()[0]
                results = (
                    bench_lists(ref, token, args.samples, args.case_seconds)
                    if not args.only_search
                    else []
                )
                print(
                    f"\n**{size:,} tickets** — first page of 50, newest first (rows = rows on the page; "
                    f"1-minute load average {load_before:.1f} before the cases, {os.getloadavg()[0]:.1f} after)\n"
                )
                print("| list | via | rows | samples | p50 ms | p95 ms | p99 ms | max ms |")
                print("|---|---|---:|---:|---:|---:|---:|---:|")
                slow = set()
                for label, kind, found, times in results:
                    print(row(label, times, kind, found))
                    if percentile(times, 95) >= 50:
                        slow.add(label)
                if slow:
                    print("\nplans of the cases with a p95 of 50 ms or more:")
                    for line in explain(ref, slow):
                        print(f"  {line}")
                sys.stdout.flush()
                if not args.skip_search:
                    from bench.tickets import search_cases

                    for line in search_cases.run(
                        ref,
                        token=token,
                        staff_token=ref["staff_token"],
                        samples=args.search_samples,
                        case_seconds=args.case_seconds,
                        data_dir=data_dir,
                        start_server=start_server,
                        stop_server=stop_server,
                        free_port=free_port,
                    ):
                        print(line)
                    sys.stdout.flush()
            if not args.only_search:
                times, groups, total = bench_stats(args.stats_samples)
                print(
                    f"\ncomplaint_table over one year ({last:,} tickets, {total:,} complaints, {groups:,} rows): "
                    f"{len(times)} runs, median {statistics.median(times) / 1000:.2f} s, max {max(times) / 1000:.2f} s"
                )
            connection.close()
        if not args.skip_create and not args.only_search:
            present = Ticket.objects.count()
            connection.close()
            load_before = os.getloadavg()[0]
            elapsed, times = bench_create_service(ref, args.create)
            print(
                f"\n**Creation** (with {present:,} tickets already in the table; 1-minute load average "
                f"{load_before:.1f} before)\n"
            )
            print("| how | clients | tickets | seconds | tickets/s | p50 ms | p95 ms | p99 ms |")
            print("|---|---:|---:|---:|---:|---:|---:|---:|")
            print(
                f"| create_ticket (service, in process) | 1 | {len(times):,} | {elapsed:.1f} | {len(times) / elapsed:,.0f} | "
                f"{statistics.median(times):.1f} | {percentile(times, 95):.1f} | {percentile(times, 99):.1f} |"
            )
            sys.stdout.flush()
            port = free_port()
            server = start_server(port, data_dir / "serve.log", args.web_processes)
            cases = [(n, 1) for n in sorted({1, args.clients})]
            if args.batch > 1:
                cases.append((args.clients, args.batch))
            for clients, batch in cases:
                cpu_before = cpu_seconds(server.pid)
                load = os.getloadavg()[0]
                elapsed, times, errors = bench_create_api(
                    ref, port, token, args.api_create, clients, server.pid, batch=batch
                )
                made = args.api_create
                cpu_ms = (cpu_seconds(server.pid) - cpu_before) * 1000 / max(1, made)
                what = (
                    f"POST /api/v1/tickets/bulk ({batch} a call; p50/p95/p99 per call)"
                    if batch > 1
                    else "POST /api/v1/tickets"
                )
                print(
                    f"| {what} (HTTP, kefu serve, {args.web_processes} web process) | {clients} | "
                    f"{made:,} | {elapsed:.1f} | {made / elapsed:,.0f} | {statistics.median(times):.1f} | "
                    f"{percentile(times, 95):.1f} | {percentile(times, 99):.1f} |"
                    + f" server CPU {cpu_ms:.2f} ms/ticket, load {load:.1f}"
                    + (f" {errors} errors" if errors else "")
                )
                sys.stdout.flush()
            stop_server(server)
            server = None
            numbers = Ticket.objects.values("number").count()
            distinct = Ticket.objects.values("number").distinct().count()
            print(f"\n{numbers:,} tickets, {distinct:,} distinct numbers")
        print(f"\ntotal {time.perf_counter() - started:.0f} s")
    finally:
        if server is not None:
            stop_server(server)
        clean_up(data_dir=data_dir, keep=args.keep, drop_database=drop_database)


if __name__ == "__main__":
    main()
