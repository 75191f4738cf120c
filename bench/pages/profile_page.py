"""Where one page's time goes (issue 11 item 2): GET a page through Django's test client (the whole
middleware stack, the session, the context processors, the template) in process, on a data folder
kept by bench/pages/run.py --keep (or a copy of bench/quiet.py's), signed in as its supervisor or
agent; prints CPU ms per page without and with the profiler, the SQL statements of one request
with their times, and the profile sorted by own and by cumulative time.

    .venv/bin/python bench/pages/profile_page.py DATA_DIR /tickets/?view=about_to_breach [--as agent]
        [--requests 50] [--top 30] [--sql]

Read-only on the data apart from the session row the sign-in writes; copy a shared folder first.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


class StatementLog:
    """Each statement of a request with its milliseconds, as the database driver ran it. Django's
    query log is emptied by every request_started and, on PostgreSQL, kept on a connection the
    request gives back to the pool: it showed no statement there."""

    def __init__(self) -> None:
        self.statements: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append(((time.perf_counter() - started) * 1000, sql))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("paths", nargs="+")
    parser.add_argument(
        "--as", dest="role", choices=["supervisor", "agent", "staff"], default="supervisor"
    )
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sql", action="store_true", help="print each statement of one request")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--save", default="", help="write each profile to SAVE-<n>.prof (pstats)")
    args = parser.parse_args()
    os.environ["KEFU_DATA_DIR"] = args.data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "kefu.settings"
    os.environ["KEFU_DEMO"] = "0"
    os.environ.setdefault("KEFU_LOG_LEVEL", "WARNING")
    os.environ["ALLOWED_HOSTS"] = "localhost,127.0.0.1,testserver"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from kefu.accounts.models import User

    username = {"supervisor": "bench-supervisor", "agent": "bench-agent-01", "staff": "bench-tech"}[
        args.role
    ]  # staff: the search bench's department staff (bench/tickets)
    client = Client()
    client.force_login(User.objects.get(username=username))
    for path in args.paths:
        for _ in range(3):
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        captured = StatementLog()
        with connection.execute_wrapper(captured):
            client.get(path)
        cpu0 = time.process_time()
        wall0 = time.perf_counter()
        for _ in range(args.requests):
            client.get(path)
        cpu = (time.process_time() - cpu0) * 1000 / args.requests
        wall = (time.perf_counter() - wall0) * 1000 / args.requests
        sql_ms = sum(ms for ms, _sql in captured.statements)
        print(
            f"\n## {path} as {args.role}: CPU {cpu:.1f} ms/page, wall {wall:.1f} ms/page, "
            f"{len(captured.statements)} statements ({sql_ms:.1f} ms in the database)"
        )
        if args.sql:
            for ms, sql in captured.statements:
                print(f"  {ms:7.1f} ms  {sql[:400]}")
        if args.no_profile:
            continue
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            client.get(path)
        profiler.disable()
        if args.save:
            profiler.dump_stats(f"{args.save}-{args.paths.index(path)}.prof")
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
            print("\n".join(out.getvalue().splitlines()[6:]))


if __name__ == "__main__":
    main()
