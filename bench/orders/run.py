"""Orders benchmark (issue 15): order import rows/s, order posting orders/s, and the customer pane's
order look-up p50/p95 over many orders.

    .venv/bin/python bench/orders/run.py                          # 100,000 rows, 1,000,000 orders
    .venv/bin/python bench/orders/run.py --rows 5000 --posts 2000 --orders 100000   # a minute

(a) Import: a CSV of N item rows (two items per order) through the real services
    (check_order_file, the dry run; confirm_order_import, one transaction).
(b) Posting: `--posts` orders through the API's service path (clean_order + record_order) from
    `--clients` threads, each order once and then every tenth again (idempotent re-posts), in-process:
    not over HTTP, so it bounds what the API can do, it is not the API's figure.
(b2) Posting over HTTP (`--http-posts N`, 0 to skip): starts `kefu serve --no-worker --no-demo` on a
    free loopback port, a supervisor's API token, and posts through bench/orders/http_post.py with 1
    and `--clients` keep-alive clients; prints posts/s, p50/p95, the 1-minute load average and the
    server's CPU ms per request. The rate limits are the settings' defaults unless
    KEFU_API_RATE_PER_TOKEN / KEFU_API_RATE_PER_ADDRESS are set (empty: no limit). `--batch 100`
    adds the same posting in bulk calls (POST /api/v1/orders/bulk, 100 orders a call, `--clients`).
(c) Pane: bulk-loads `--orders` orders (plain INSERTs, not the services) for 10,000 customers, then
    times `--queries` calls of selectors.customer_orders (the pane's query, items prefetched).

Embedded mode (SQLite in a temporary KEFU_DATA_DIR), removed at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.common import percentile  # noqa: E402


def setup_django(data_dir: Path) -> None:
    os.environ["KEFU_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kefu.settings"
    os.environ["KEFU_DEMO"] = "0"
    os.environ["KEFU_INSTANCE"] = f"bench-orders-{os.getpid()}"
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def supervisor():
    from kefu.accounts.models import User
    from kefu.accounts.roles import Role

    return User.objects.create(username="bench", role=Role.SUPERVISOR)


def bench_import(actor, rows: int, folder: Path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kefu.orders.services import importing

    header = "平台,订单号,买家旺旺,手机,收货地址,商品编码,商品名称,属性,数量,单价,订单金额,实付金额,状态\n"
    lines = [header]
    for i in range(rows):
        order = i // 2
        lines.append(
            f"淘宝,I{order:09d},买家{order % 5000},1380000{order % 10000:04d},广西南宁市青秀区{order}号,"
            f"LD-{i % 2},北欧吊灯,颜色分类:暖白,1,128.00,256.00,256.00,已付款\n"
        )
    data = "".join(lines).encode("gb18030")
    upload = SimpleUploadedFile("orders.csv", data)
    t0 = time.perf_counter()
    job = importing.check_order_file(actor=actor, upload=upload)
    t1 = time.perf_counter()
    job = importing.confirm_order_import(actor=actor, job=job, order_count=job.order_count)
    if job.status == "importing":  # queued for a worker: run the task's body here
        importing.run_order_import(job_id=job.pk, actor=actor)
    t2 = time.perf_counter()
    print(f"| import dry run | {rows:,} rows | {rows / (t1 - t0):,.0f} rows/s | {t1 - t0:.1f} s |")
    print(
        f"| import confirm | {rows:,} rows ({job.order_count:,} orders) | {rows / (t2 - t1):,.0f} rows/s | {t2 - t1:.1f} s |"
    )


def bench_posting(actor, posts: int, clients: int) -> None:
    from django.db import close_old_connections

    from kefu.orders.services.orders import clean_order, record_order

    def body(n: int) -> dict:
        return {
            "platform": "tmall",
            "number": f"P{n:09d}",
            "buyer_id": f"买家{n % 5000}",
            "amount": "399.00",
            "paid": "399.00",
            "state": "paid",
            "items": [{"sku": "LD-101", "name": "北欧吊灯", "price": "399.00"}],
        }

    work = list(range(posts)) + list(range(0, posts, 10))
    chunks = [work[i::clients] for i in range(clients)]
    errors: list[str] = []

    def run(chunk: list[int]) -> None:
        try:
            for n in chunk:
                record_order(actor=actor, data=clean_order(body(n)))
        except Exception as error:
            errors.append(repr(error))
        finally:
            close_old_connections()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    from kefu.orders.models import Order

    made = Order.objects.filter(number__startswith="P").count()
    print(
        f"| posting ({clients} threads, in-process) | {len(work):,} posts, {made:,} orders | "
        f"{len(work) / elapsed:,.0f} posts/s | {elapsed:.1f} s{' ERRORS: ' + errors[0] if errors else ''} |"
    )


def bench_posting_http(data_dir: Path, posts: int, clients: int, batch: int = 1) -> None:
    from django.db import connection

    from bench.common import cpu_seconds
    from bench.orders.http_post import post_orders
    from bench.tickets.run import api_token, free_port, start_server, stop_server

    connection.close()
    token = api_token("bench")
    port = free_port()
    server = start_server(port, data_dir / "serve.log", 1)
    try:
        cases = [(n, 1) for n in sorted({1, clients})]
        if batch > 1:
            cases += [(clients, batch)]
        for n, size in cases:
            load = os.getloadavg()[0]
            cpu = cpu_seconds(server.pid)
            elapsed, times, statuses, requests = post_orders(
                f"http://127.0.0.1:{port}", token, posts, n, batch=size
            )
            cpu_ms = (cpu_seconds(server.pid) - cpu) * 1000 / max(1, requests)
            how = f"bulk, {size} a call" if size > 1 else "one by one"
            print(
                f"| posting over HTTP ({how}; kefu serve, 1 web process, {n} client{'s' if n > 1 else ''}) | "
                f"{requests:,} orders {statuses} | {requests / elapsed:,.0f} orders/s, p50 "
                f"{percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms a call, server CPU "
                f"{cpu_ms:.2f} ms/order, load {load:.1f} | {elapsed:.1f} s |",
                flush=True,
            )
    finally:
        stop_server(server)


def bench_pane(total: int, queries: int) -> None:
    time_pane(load_pane_orders(total), total, queries)


def load_pane_orders(total: int) -> list[int]:
    """Bulk-load `total` orders for 10,000 new customers; returns the customers' ids."""
    from django.db import connection, transaction

    from kefu.customers.models import Customer

    customers = 10_000
    with transaction.atomic():
        Customer.objects.bulk_create(
            [Customer(name=f"顾客{i}") for i in range(customers)], batch_size=2000
        )
    first = Customer.objects.order_by("id").values_list("id", flat=True).first()
    ids = list(range(first, first + customers))
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        batch = 5000
        for start in range(0, total, batch):
            rows = [
                (
                    "taobao",
                    f"B{n:09d}",
                    "",
                    ids[n % customers],
                    "",
                    "",
                    "",
                    25600,
                    25600,
                    "",
                    "paid",
                    "",
                    "",
                    False,
                    1,
                )
                for n in range(start, min(start + batch, total))
            ]
            cursor.executemany(
                "INSERT INTO orders_order (platform, number, buyer_id, customer_id, receiver_name, "
                "receiver_mobile, address, amount_fen, paid_fen, payment_method, state, "
                "logistics_company, tracking_number, remarks_pending, version, created_at, updated_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                rows,
            )
        cursor.execute("ANALYZE")
    print(f"| bulk load | {total:,} orders | {total / (time.perf_counter() - t0):,.0f} rows/s | |")
    return ids


def time_pane(ids: list[int], total: int, queries: int) -> None:
    """`queries` calls of the pane's query for customers drawn from `ids`."""
    from kefu.orders import selectors

    samples = []
    rng = random.Random(15)
    for _ in range(queries):
        customer_id = rng.choice(ids)
        t = time.perf_counter()
        selectors.customer_orders(customer_id, limit=5)
        samples.append((time.perf_counter() - t) * 1000)
    print(
        f"| pane look-up | {total:,} orders, {queries:,} queries | p50 {percentile(samples, 50):.2f} ms, "
        f"p95 {percentile(samples, 95):.2f} ms | |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--http-posts", type=int, default=2_000, help="0: skip the HTTP case")
    parser.add_argument(
        "--batch", type=int, default=0, help="> 1: also post over HTTP in bulk calls of this size"
    )
    parser.add_argument(
        "--only-http", action="store_true", help="the posting over HTTP only (no import, no pane)"
    )
    parser.add_argument(
        "--only-pane", action="store_true", help="the pane's look-up only (no import, no posting)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the data folder (printed at the end)"
    )
    parser.add_argument(
        "--reuse",
        default="",
        help="a data folder kept by --only-pane --keep (or bench/quiet.py --prepare): time the "
        "pane on its orders, no loading",
    )
    args = parser.parse_args()
    if args.reuse:
        pane_reused(Path(args.reuse), args.queries)
        return
    data_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-orders-"))
    try:
        setup_django(data_dir)
        actor = supervisor()
        print(
            f"# bench/orders — {time.strftime('%Y-%m-%d %H:%M')}, embedded (SQLite, WAL), {os.cpu_count()} cores"
        )
        print(f"# command: {' '.join([Path(sys.executable).name, *sys.argv])}")
        print("| step | size | rate | time |\n|---|---|---|---|")
        if not args.only_http and not args.only_pane:
            bench_import(actor, args.rows, data_dir)
            bench_posting(actor, args.posts, args.clients)
        if args.http_posts and not args.only_pane:
            bench_posting_http(data_dir, args.http_posts, args.clients, args.batch)
        if not args.only_http:
            bench_pane(args.orders, args.queries)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept: KEFU_DATA_DIR={data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def pane_reused(data_dir: Path, queries: int) -> None:
    """--reuse: the pane's look-up on a kept folder's orders (its customers are the pane's)."""
    setup_django(data_dir)
    from django.db import connections

    from kefu.customers.models import Customer
    from kefu.orders.models import Order

    print(
        f"# bench/orders — {time.strftime('%Y-%m-%d %H:%M')}, embedded (SQLite, WAL), reused data folder, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"# command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print("| step | size | rate | time |\n|---|---|---|---|")
    ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
    try:
        time_pane(ids, Order.objects.count(), queries)
    finally:
        connections.close_all()


if __name__ == "__main__":
    main()
