"""Order posting over HTTP (issue 15's aim: ≥ 500 orders/s through the API with 4 clients): POST
/api/v1/orders against a running `kefu serve`, from `--clients` threads, each order once and every
tenth again (idempotent re-posts, answered 200). Keep-alive connections, a supervisor's API token.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8816")
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    token = Path(args.token_file).read_text(encoding="utf-8").strip().splitlines()[-1]
    target = urllib.parse.urlparse(args.url)
    run = uuid.uuid4().hex[:6]
    work = list(range(args.posts)) + list(range(0, args.posts, 10))
    chunks = [work[i :: args.clients] for i in range(args.clients)]
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client(chunk: list[int]) -> None:
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        for n in chunk:
            body = json.dumps(
                {
                    "platform": "tmall",
                    "number": f"H{run}{n:07d}",
                    "buyer_id": f"买家{n % 5000}",
                    "amount": "399.00",
                    "paid": "399.00",
                    "state": "paid",
                    "items": [{"sku": "LD-101", "name": "北欧吊灯", "price": "399.00"}],
                }
            )
            conn.request(
                "POST",
                "/api/v1/orders",
                body=body.encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            response = conn.getresponse()
            response.read()
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    print(
        f"| posting over HTTP ({args.clients} clients) | {len(work):,} posts | "
        f"{len(work) / elapsed:,.0f} posts/s | {elapsed:.1f} s | statuses {dict(sorted(statuses.items()))} |"
    )


if __name__ == "__main__":
    main()
