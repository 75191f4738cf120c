"""The search cases of bench/tickets/run.py, over HTTP against `kefu serve` (issue 11, item 1).

After each bulk load: the search index is built (`kefu search_rebuild`'s function, timed), then
`kefu serve --no-worker --no-demo` starts on a free loopback port on the same data, and each case
sends --search-samples requests over one keep-alive connection: the list page GET /tickets/?q=…
signed in as the supervisor (session cookie), and GET /api/v1/tickets?q=… with a Bearer token.
Department staff run two cases of their own (their access query filters what the index finds).
"""

from __future__ import annotations

import http.client
import os
import re
import statistics
import time
import urllib.parse
from pathlib import Path

from bench.common import percentile


def _cases(ref: dict) -> list[tuple[str, str, dict]]:
    """(label, who, params): who is "supervisor" or "staff"."""
    from kefu.customers.models import Customer
    from kefu.tickets.models import Ticket

    newest = Ticket.objects.order_by("-id").values_list("number", flat=True).first() or "TS0"
    middle = (
        Ticket.objects.filter(id__lte=Ticket.objects.order_by("-id").values("id")[:1][0]["id"] // 2)
        .order_by("-id")
        .values_list("number", flat=True)
        .first()
        or newest
    )
    customer = Customer.objects.order_by("id").first()
    mobile = customer.mobile.removeprefix("+86") if customer else "13900000000"
    return [
        ("no search: the list's first page (for comparison)", "supervisor", {}),
        ("word, frequent (扣款, ~5%)", "supervisor", {"q": "扣款"}),
        ("word, absent (退款, 0 tickets)", "supervisor", {"q": "退款"}),
        ("two words (客户 扣款)", "supervisor", {"q": "客户 扣款"}),
        ("word + state open (扣款)", "supervisor", {"q": "扣款", "state": "open"}),
        ("number prefix (TS2026)", "supervisor", {"q": "TS2026"}),
        (
            f"number prefix, one day half a year ago ({middle[:10]})",
            "supervisor",
            {"q": middle[:10]},
        ),
        ("whole number (unique index)", "supervisor", {"q": middle}),
        ("customer name prefix (张)", "supervisor", {"q": "张"}),
        (
            f"customer name ({customer.name if customer else '-'})",
            "supervisor",
            {"q": customer.name if customer else "-"},
        ),
        ("mobile (11 digits)", "supervisor", {"q": mobile}),
        ("mobile, last four digits", "supervisor", {"q": mobile[-4:]}),
        ("department staff: word (扣款)", "staff", {"q": "扣款"}),
        ("department staff: word absent (退款)", "staff", {"q": "退款"}),
    ]


def build_index() -> tuple[float, int]:
    from django.db import connection

    from kefu.core import search

    started = time.perf_counter()
    written = sum(search.rebuild(kind, batch_size=5000) for kind in search.kinds())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    return time.perf_counter() - started, written


def _session_cookie(user) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _server_rss_mb(server) -> float:
    total = 0
    for pid in [server.pid, *_children(server.pid)]:
        try:
            fields = Path(f"/proc/{pid}/status").read_text().split("\n")
        except OSError:
            continue
        for line in fields:
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    result = [int(p) for p in found]
    for child in list(result):
        result += _children(child)
    return result


def _query_only(ref: dict, cases, samples: int, case_seconds: float) -> list[tuple]:
    """The query alone, in this process: search_tickets + keyset_page (no HTTP, no rendering)."""
    from django.db import connection

    from kefu.core.pagination import keyset_page
    from kefu.tickets.search import search_tickets

    users = {"supervisor": ref["supervisor"], "staff": ref["staff"]}
    results = []
    for label, who, params in cases:

        def once(who=who, params=params):
            return keyset_page(search_tickets(user=users[who], **params), cursor=None).items

        for _ in range(3):
            found = len(once())
        times: list[float] = []
        deadline = time.perf_counter() + case_seconds
        for _ in range(samples):
            t0 = time.perf_counter()
            once()
            times.append((time.perf_counter() - t0) * 1000)
            if time.perf_counter() > deadline:
                break
        results.append((label, "query only", found, times))
    connection.close()
    return results


def run(
    ref: dict,
    *,
    token: str,
    staff_token: str,
    samples: int,
    case_seconds: float,
    data_dir,
    start_server,
    stop_server,
    free_port,
    build: bool = True,
) -> list[str]:
    """Build the index (when this tree has one; not with build=False, for a kept data folder whose
    index is built), start the server, measure every case; returns printable lines. The server
    helpers are run.py's."""
    try:
        if not build:
            lines = ["\nsearch index as kept (not rebuilt)"]
        else:
            seconds, written = build_index()
            lines = [
                f"\nsearch index built: {written:,} documents in {seconds:.1f} s "
                f"({written / max(seconds, 0.001):,.0f}/s), then ANALYZE"
            ]
    except ImportError:  # a tree from before kefu.core.search: measure its LIKE search
        lines = ["\nno search index in this tree (before kefu.core.search)"]
    cookies = {
        "supervisor": _session_cookie(ref["supervisor"]),
        "staff": _session_cookie(ref["staff"]),
    }
    tokens = {"supervisor": token, "staff": staff_token}
    cases = _cases(ref)
    port = free_port()
    server = start_server(port, Path(data_dir) / "serve-search.log", 1)
    try:
        load_before = os.getloadavg()[0]
        results = []
        for label, who, params in cases:
            for via in ("page", "API"):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                if via == "page":
                    path, headers = "/tickets/", {"Cookie": cookies[who]}
                else:
                    path, headers = "/api/v1/tickets", {"Authorization": f"Bearer {tokens[who]}"}
                url = f"{path}?{urllib.parse.urlencode(params)}"
                body = b""
                for _ in range(3):  # warm-up
                    conn.request("GET", url, headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    assert response.status == 200, (url, response.status, body[:300])
                found = (
                    body.count(b'"number":')
                    if via == "API"
                    else len(re.findall(rb'<td class="text-nowrap"><a href="/tickets/', body))
                )
                times: list[float] = []
                deadline = time.perf_counter() + case_seconds
                for _ in range(samples):
                    t0 = time.perf_counter()
                    conn.request("GET", url, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    times.append((time.perf_counter() - t0) * 1000)
                    if response.status != 200:
                        raise SystemExit(f"{url}: {response.status}")
                    if time.perf_counter() > deadline:
                        break
                conn.close()
                results.append((label, via, found, times))
        load_after = os.getloadavg()[0]
        rss = _server_rss_mb(server)
    finally:
        stop_server(server)
    query_only = _query_only(ref, cases, samples, case_seconds)
    lines += [
        f"\n**search over HTTP** (`kefu serve`, 1 web process, first page of 50, newest first; "
        f"1-minute load average {load_before:.1f} before the cases, {load_after:.1f} after; "
        f"server RSS {rss:.0f} MB after them)\n",
        "| search | via | rows | samples | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    results += query_only
    results.sort(key=lambda r: [c[0] for c in cases].index(r[0]))
    for label, via, found, times in results:
        lines.append(
            f"| {label} | {via} | {found} | {len(times)} | {statistics.median(times):.1f} | "
            f"{percentile(times, 95):.1f} | {percentile(times, 99):.1f} | {max(times):.1f} |"
        )
    return lines
