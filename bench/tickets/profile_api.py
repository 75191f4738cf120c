"""Where one API POST's time goes (issue 11 item 3, issue 15's posting aim): POST /api/v1/tickets and
/api/v1/orders through Django's test client (the whole middleware stack, the token, the throttle, the
schema, the service), in process, under cProfile, and the SQL statements one request makes.

    .venv/bin/python bench/tickets/profile_api.py --requests 300 [--top 40] [--only tickets|orders|tickets-bulk|orders-bulk]

The bulk cases post --requests // 10 calls of 100 items each; their figures are per item.

Embedded mode (SQLite, a temporary KEFU_DATA_DIR, removed at the end). The rate limits are switched
off for the run (they are measured by the tests, not here). Prints ms per request without and with
the profiler, the statements of one request, and the profile sorted by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BULK = 100  # items per call of the bulk cases (POST /api/v1/tickets/bulk, /api/v1/orders/bulk)
sys.path.insert(0, str(REPO))


def order_body(n: int) -> dict:
    return {
        "platform": "tmall",
        "number": f"PR{n:09d}",
        "buyer_id": f"买家{n % 5000}",
        "amount": "399.00",
        "paid": "399.00",
        "state": "paid",
        "items": [{"sku": "LD-101", "name": "北欧吊灯", "price": "399.00"}],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--only", choices=["tickets", "orders", "tickets-bulk", "orders-bulk"], default=None
    )
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-profile-"))
    os.environ["KEFU_API_RATE_PER_TOKEN"] = ""
    os.environ["KEFU_API_RATE_PER_ADDRESS"] = ""
    try:
        from bench.tickets.run import creation_payloads, seed, setup_django

        setup_django(data_dir)
        ref = seed()
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from kefu.accounts.services import create_api_token

        _token, raw = create_api_token(user=ref["supervisor"], name="profile")
        from kefu.realtime import audiences

        # Under `kefu serve` a push is put in the sockets' loop's outbox and the request goes on; in
        # this process there is no such loop and each push would start a thread and wait for it
        # (audiences._push_now), a cost the server does not have. Queue them as the server does.
        pushed: list[tuple[str, dict]] = []
        audiences.push = lambda group, payload: pushed.append((group, payload))
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        n = args.requests
        bulk = BULK
        calls = max(3, n // 10)  # bulk cases: n // 10 calls of BULK items each
        cases = {
            "tickets": ("/api/v1/tickets", creation_payloads(ref, 3 * n + 30, seed=5), 1),
            "orders": ("/api/v1/orders", [order_body(i) for i in range(3 * n + 30)], 1),
            "tickets-bulk": (
                "/api/v1/tickets/bulk",
                creation_payloads(ref, (3 * calls + 30) * bulk, seed=6),
                bulk,
            ),
            "orders-bulk": (
                "/api/v1/orders/bulk",
                [order_body(10_000_000 + i) for i in range((3 * calls + 30) * bulk)],
                bulk,
            ),
        }
        for name, (url, bodies, per_call) in cases.items():
            if args.only and name != args.only:
                continue
            it = iter(bodies)

            def post(url: str = url, it=it, per_call: int = per_call) -> None:
                if per_call > 1:
                    data = {"items": [next(it) for _ in range(per_call)]}
                    response = client.post(url, json.dumps(data), content_type="application/json")
                    if response.status_code != 200 or response.json()["created"] != per_call:
                        raise SystemExit(
                            f"{url}: {response.status_code} {response.content[:300]!r}"
                        )
                    return
                response = client.post(url, json.dumps(next(it)), content_type="application/json")
                if response.status_code != 201:
                    raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")

            for _ in range(20):  # warm-up
                post()
            with CaptureQueriesContext(connection) as queries:
                post()
            print(f"\n## POST {url}: {len(queries)} statements in one request")
            for q in queries.captured_queries:
                print(f"  {q['sql'][:160]}")
            requests = calls if per_call > 1 else n
            t0 = time.perf_counter()
            cpu0 = time.process_time()
            for _ in range(requests):
                post()
            items = requests * per_call
            wall = (time.perf_counter() - t0) * 1000 / items
            cpu = (time.process_time() - cpu0) * 1000 / items
            print(
                f"\n{requests} requests ({per_call} item(s) each), no profiler: {wall:.2f} ms wall, "
                f"{cpu:.2f} ms CPU per item ({1000 / wall:.0f} items/s; load {os.getloadavg()[0]:.1f})"
            )
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(requests):
                post()
            profiler.disable()
            for key in ("tottime", "cumulative"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(args.top)
                print(f"\n### by {key}\n" + out.getvalue().split("\n", 6)[-1])
        connection.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
