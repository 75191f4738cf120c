"""Order posting over HTTP (issue 15's aim: ≥ 500 orders/s through the API with 4 clients): POST
/api/v1/orders against a running `kefu serve`, from `--clients` threads, each order once and every
tenth again (idempotent re-posts, answered 200). Keep-alive connections, a supervisor's API token.
`bench/orders/run.py --http-posts N` starts the server itself and calls `post_orders`; by hand:

    KEFU_DATA_DIR=/tmp/bench-data kefu serve --port 8816 --no-demo &
    kefu apitoken SUPERVISOR > token.txt
    .venv/bin/python bench/orders/http_post.py --url http://127.0.0.1:8816 --token-file token.txt
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
import urllib.parse
import uuid
from pathlib import Path


def post_orders(
    url: str, token: str, posts: int, clients: int, warm: int = 10, batch: int = 1
) -> tuple[float, list[float], dict[int, int], int]:
    """Posts `posts` orders (and every tenth again) from `clients` keep-alive connections after
    `warm` posts each. `batch` > 1: `batch` orders per call to POST /api/v1/orders/bulk (the
    statuses are then the items'). Returns (seconds, per-request ms, statuses, orders posted)."""
    target = urllib.parse.urlparse(url)
    run = uuid.uuid4().hex[:6]
    work = list(range(posts)) + list(range(0, posts, 10))
    chunks = [work[i::clients] for i in range(clients)]
    statuses: dict[int, int] = {}
    times: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def order(prefix: str, n: int) -> dict[str, object]:
        return {
            "platform": "tmall",
            "number": f"{prefix}{run}{n:07d}",
            "buyer_id": f"买家{n % 5000}",
            "amount": "399.00",
            "paid": "399.00",
            "state": "paid",
            "items": [{"sku": "LD-101", "name": "北欧吊灯", "price": "399.00"}],
        }

    def body(prefix: str, n: int) -> bytes:
        return json.dumps(order(prefix, n)).encode()

    def many(prefix: str, ns: list[int]) -> bytes:
        return json.dumps({"items": [order(prefix, n) for n in ns]}).encode()

    def client(index: int, chunk: list[int]) -> None:
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        for n in range(warm):  # warm-up: the connection, the server's caches
            conn.request("POST", "/api/v1/orders", body=body(f"W{index}", n), headers=headers)
            conn.getresponse().read()
        barrier.wait(timeout=120)
        for start in range(0, len(chunk), batch):
            ns = chunk[start : start + batch]
            t0 = time.perf_counter()
            if batch > 1:
                conn.request("POST", "/api/v1/orders/bulk", body=many("H", ns), headers=headers)
            else:
                conn.request("POST", "/api/v1/orders", body=body("H", ns[0]), headers=headers)
            response = conn.getresponse()
            answer = response.read()
            elapsed = (time.perf_counter() - t0) * 1000
            codes = (
                [r["status"] for r in json.loads(answer)["results"]]
                if batch > 1 and response.status == 200
                else [response.status] * len(ns)
            )
            with lock:
                times.append(elapsed)
                for code in codes:
                    statuses[code] = statuses.get(code, 0) + 1
        conn.close()

    threads = [
        threading.Thread(target=client, args=(i, c), daemon=True) for i, c in enumerate(chunks)
    ]
    for t in threads:
        t.start()
    barrier.wait(timeout=120)
    began = time.perf_counter()
    for t in threads:
        t.join(timeout=600)
    return time.perf_counter() - began, times, dict(sorted(statuses.items())), len(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8816")
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1, help="> 1: orders per bulk call")
    args = parser.parse_args()
    token = Path(args.token_file).read_text(encoding="utf-8").strip().splitlines()[-1]
    elapsed, _times, statuses, requests = post_orders(
        args.url, token, args.posts, args.clients, batch=args.batch
    )
    print(
        f"| posting over HTTP ({args.clients} clients) | {requests:,} posts | "
        f"{requests / elapsed:,.0f} posts/s | {elapsed:.1f} s | statuses {statuses} |"
    )


if __name__ == "__main__":
    main()
