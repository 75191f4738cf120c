"""The owed figures of issues 15, 13 and 11 in one quiet window, on datasets prepared beforehand.

Several aims were measured only on a loaded machine. This script runs each owed measurement back to
back through the existing bench scripts (their `--reuse` of a kept data folder or database), prints
each script's own tables as they come, then one summary table with the seconds each case took. It
writes nothing into bench/README.md: paste what it prints.

    .venv/bin/python bench/quiet.py --prepare              # build every dataset (not timed; ~1 h busy)
    .venv/bin/python bench/quiet.py --prepare sqlite pg    # some of them
    .venv/bin/python bench/quiet.py --before-window        # after the last merge: migrate, settle
    .venv/bin/python bench/quiet.py --list                 # the cases, in order, with estimates
    .venv/bin/python bench/quiet.py                        # every case, in priority order
    .venv/bin/python bench/quiet.py orders board-sqlite    # chosen cases, in the order given
    .venv/bin/python bench/quiet.py --scale small --prepare && .venv/bin/python bench/quiet.py --scale small
                                                           # the same at a small size (a dry run)

Datasets (full scale; `--scale small` puts them under <root>/small and uses kefu_quiet_small):

- `sqlite`: <root>/sqlite-1m — bench/pages' loader at 1,000,000 rows of each kind (tickets, customers,
  timeline entries, calls, SMS, chats), bench/reports' extra messages (5 per chat: 5,000,000), the
  reports' daily facts (as `rebuild_report_facts`: the scheduler's refresh keeps them in use), the
  tickets' search index (kefu.core.search, tickets only: the one kind the search cases read; every other
  kind gets one document, or each `migrate` would index 1,000,000 customers and chats), the
  report pack issued once (the board bench needs an issued report), ANALYZE, WAL checkpointed, and
  one start of `kefu serve` on it (a first start after a big load has been slow). Each finished step
  is written to the folder's STAGE file: `--prepare sqlite` again resumes after it (`--fresh` restarts).
- `pg`: the same in the PostgreSQL database `kefu_quiet_1m` (data folder <root>/pg-1m).
- `orders`: <root>/orders-1m — bench/orders' pane data: 1,000,000 orders of 10,000 customers (SQLite).
- `xlsx`: <root>/customers-100k.xlsx — bench/customers' import file, 100,000 rows.

The chat cases make their own data (1,000 chats; seconds) and need nothing prepared. The prepared data
is relative to the day it was made (tickets over the year before it, "today's" counts): prepare on the
day of the window. Each case's bench migrates the kept database first: a migration merged after the
preparation would run inside the window (an index on 1,000,000 rows takes seconds to minutes), so run
`--before-window` after the last merge. A case that runs past `--timeout-factor` times its estimate
is interrupted (its script stops its server; a server left running is stopped by its process group).

Environment: KEFU_QUIET_ROOT (default /work/benchdata), KEFU_QUIET_PG (the PostgreSQL server, default
postgres://postgres@127.0.0.1:5432/postgres), KEFU_QUIET_REDIS (default redis://127.0.0.1:6379/13).
Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ROOT = Path(os.environ.get("KEFU_QUIET_ROOT", "/work/benchdata"))
PG_SERVER = os.environ.get("KEFU_QUIET_PG", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("KEFU_QUIET_REDIS", "redis://127.0.0.1:6379/13")
PYTHON = sys.executable

SCALES = {
    # chat: conversations, seconds, and the share of the aims' rates offered (the full rates at full)
    "full": {
        "rows": 1_000_000,
        "orders": 1_000_000,
        "xlsx_rows": 100_000,
        "chat": (1000, 30, 1.0),
        "label": "1m",
    },
    "small": {
        "rows": 20_000,
        "orders": 50_000,
        "xlsx_rows": 5_000,
        "chat": (100, 10, 0.1),
        "label": "small",
    },
}


@dataclass
class Paths:
    scale: str

    @property
    def size(self) -> dict:
        return SCALES[self.scale]

    @property
    def base(self) -> Path:
        return ROOT if self.scale == "full" else ROOT / self.scale

    @property
    def sqlite(self) -> Path:
        return self.base / f"sqlite-{self.size['label']}"

    @property
    def pg_dir(self) -> Path:
        return self.base / f"pg-{self.size['label']}"

    @property
    def pg_name(self) -> str:
        return f"kefu_quiet_{self.size['label']}"

    @property
    def pg_url(self) -> str:
        return f"{PG_SERVER.rsplit('/', 1)[0]}/{self.pg_name}"

    @property
    def orders(self) -> Path:
        return self.base / f"orders-{self.size['label']}"

    @property
    def xlsx(self) -> Path:
        return self.base / f"customers-{self.size['xlsx_rows'] // 1000}k.xlsx"


# --- preparing ------------------------------------------------------------------------------------


def _ready(folder: Path) -> dict | None:
    marker = folder / "READY.json"
    return json.loads(marker.read_text()) if marker.exists() else None


def _commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def _mark_ready(folder: Path, **facts) -> None:
    facts.update({"made": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "commit": _commit()})
    (folder / "READY.json").write_text(json.dumps(facts, indent=1, ensure_ascii=False))


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(sql)


def _serve_once(folder: Path) -> float:
    """Start `kefu serve` on the prepared data and stop it: the first start after a big load has
    been slow (bench/README, reports at 1,000,000), so it is paid here, not in the window."""
    from bench.tickets.run import free_port, start_server, stop_server

    started = time.perf_counter()
    server = start_server(free_port(), folder / "serve-prepare.log", 1)
    stop_server(server)
    return time.perf_counter() - started


STAGES = ("loaded", "messages", "search index", "facts", "pack")
SEARCHED = "tickets.ticket"  # the one search index the cases read


def stub_other_indexes(**_signal) -> None:
    """Give every other search kind one document (its first object's) when its documents table is
    empty while its objects exist. kefu.core's post_migrate fills such a table in full (1,000,000
    customers, 1,000,000 chats with 5,000,000 messages: many minutes) on every `migrate`, which each
    bench and `kefu serve` run at start — inside the window. No case searches customers or chats.
    Connected to pre_migrate in the preparing process (runs before core's post_migrate) and called
    after the load."""
    from django.db import DatabaseError, transaction

    from kefu.core import search

    for kind in search.kinds():
        try:
            if kind.name == SEARCHED or kind.documents._default_manager.exists():
                continue
        except DatabaseError:  # a new database: its tables come with this migrate
            return
        first = kind.objects().order_by("pk").first()
        if first is not None:
            with transaction.atomic():
                search.index(kind, first)
            print(f"  search index {kind.name}: one document only (not searched here)", flush=True)


def job_tickets_data(paths: Paths, engine: str, fresh: bool) -> None:
    """(In a child process.) bench/pages' data + bench/reports' messages + the tickets' search index
    + the pack once, kept in paths.sqlite, or in paths.pg_name with the folder paths.pg_dir. Each
    step done is written to the folder's STAGE file: a run stopped half-way resumes after its last
    finished step (unless `fresh`)."""
    import shutil

    rows = paths.size["rows"]
    folder = paths.sqlite if engine == "sqlite" else paths.pg_dir
    stage_file = folder / "STAGE"
    done = stage_file.read_text().strip() if stage_file.exists() and not fresh else ""
    if done not in STAGES:
        done = ""
    (folder / "READY.json").unlink(missing_ok=True)
    if not done:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    else:
        print(f"[{engine}] resuming after the step {done!r}", flush=True)
    if engine == "pg":
        if not done:
            _pg_admin(f'DROP DATABASE IF EXISTS "{paths.pg_name}" WITH (FORCE)')
            _pg_admin(f'CREATE DATABASE "{paths.pg_name}"')
        os.environ["DATABASE_URL"] = paths.pg_url
        os.environ["REDIS_URL"] = REDIS
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)
    from bench.pages import run as pages_bench
    from bench.reports import run as reports_bench

    def todo(step: str) -> bool:
        return not done or STAGES.index(step) > STAGES.index(done)

    def finished(step: str) -> None:
        stage_file.write_text(step)

    from django.db.models.signals import pre_migrate

    pre_migrate.connect(stub_other_indexes, weak=False)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    pages_bench.setup_django(folder)
    timings["migrate"] = time.perf_counter() - t0
    if todo("loaded"):
        loaded = pages_bench.load_data(rows)
        timings.update(loaded["timings"])
        print(f"[{engine}] loaded: {timings}", flush=True)
        stub_other_indexes()
        finished("loaded")
    if todo("messages"):
        timings["messages"] = reports_bench.more_messages(5)
        print(f"[{engine}] messages: {timings['messages']:.0f} s", flush=True)
        finished("messages")

    from django.db import connection

    from kefu.core import search

    if todo("search index"):
        t0 = time.perf_counter()
        written = search.rebuild(search.get(SEARCHED), batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        timings["search index"] = time.perf_counter() - t0
        print(
            f"[{engine}] search index: {written:,} tickets in {timings['search index']:.0f} s",
            flush=True,
        )
        finished("search index")

    if todo("facts"):
        from kefu.reports import facts

        t0 = time.perf_counter()
        facts.install_triggers()
        built = facts.rebuild()
        timings["facts"] = time.perf_counter() - t0
        print(
            f"[{engine}] report facts: {sum(built.values()):,} in {timings['facts']:.0f} s",
            flush=True,
        )
        finished("facts")

    if todo("pack"):
        from kefu.reports.models import IssuedReport

        IssuedReport.objects.all().delete()  # a pack stopped half-way
        t0 = time.perf_counter()
        pack = reports_bench.pack_timings()
        timings["pack"] = time.perf_counter() - t0
        print(f"[{engine}] pack: {[(label, round(s, 1)) for label, s, _ in pack]}", flush=True)
        finished("pack")
    if engine == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    timings["first serve"] = _serve_once(folder)
    print(f"[{engine}] first start of kefu serve: {timings['first serve']:.0f} s", flush=True)
    _mark_ready(
        folder,
        scale=paths.scale,
        rows=rows,
        database=paths.pg_url if engine == "pg" else "sqlite",
        seconds={k: round(v, 1) for k, v in timings.items()},
    )


def job_orders(paths: Paths) -> None:
    """(In a child process.) bench/orders' pane data, kept in paths.orders."""
    import shutil

    folder = paths.orders
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    from bench.orders import run as orders_bench

    orders_bench.setup_django(folder)
    orders_bench.supervisor()
    t0 = time.perf_counter()
    orders_bench.load_pane_orders(paths.size["orders"])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    _mark_ready(
        folder,
        scale=paths.scale,
        orders=paths.size["orders"],
        seconds=round(time.perf_counter() - t0, 1),
    )


def job_xlsx(paths: Paths) -> None:
    paths.base.mkdir(parents=True, exist_ok=True)
    partial = paths.xlsx.with_suffix(".partial.xlsx")
    subprocess.run(  # noqa: S603
        [
            PYTHON,
            str(REPO / "bench/customers/run.py"),
            "--write-xlsx",
            str(partial),
            "--rows",
            str(paths.size["xlsx_rows"]),
        ],
        check=True,
        timeout=3600,
    )
    partial.rename(paths.xlsx)


DATASETS = ("sqlite", "pg", "orders", "xlsx")


def prepare(paths: Paths, names: list[str], fresh: bool) -> None:
    for name in names or DATASETS:
        if name not in DATASETS:
            raise SystemExit(f"no dataset {name!r}; known: {', '.join(DATASETS)}")
    for name in names or DATASETS:
        started = time.perf_counter()
        print(f"\n== preparing {name} ({paths.scale}) at {time.strftime('%H:%M:%S')}", flush=True)
        subprocess.run(  # noqa: S603  one process per dataset: Django is set up once per database
            [PYTHON, __file__, "--scale", paths.scale, "--prepare-job", name]
            + (["--fresh"] if fresh else []),
            check=True,
        )
        print(f"== {name} ready in {time.perf_counter() - started:.0f} s", flush=True)


REFRESH_FACTS = "from kefu.reports import facts; print('report facts refreshed:', facts.refresh())"


def before_window(paths: Paths) -> None:
    """Not timed, after the last merge and before the window: bring each prepared database to the
    current migrations (so no case pays for a new index on 1,000,000 rows), refresh the reports' daily
    facts, checkpoint SQLite's WAL,
    and VACUUM ANALYZE the PostgreSQL database (the visibility map and statistics a running server
    has after autovacuum)."""
    import psycopg

    targets = [
        (paths.sqlite, None),
        (paths.pg_dir, paths.pg_url),
        (paths.orders, None),
    ]
    for folder, url in targets:
        if not (folder / "READY.json").exists():
            print(f"{folder}: not prepared, skipped")
            continue
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update({"KEFU_DATA_DIR": str(folder), "KEFU_DEMO": "0"})
        if url:
            env.update({"DATABASE_URL": url, "REDIS_URL": REDIS})
        started = time.perf_counter()
        subprocess.run(  # noqa: S603
            [PYTHON, str(REPO / "manage.py"), "migrate", "--no-input"], env=env, check=True
        )
        if folder != paths.orders:
            # The scheduler's refresh of the reports' daily facts, as a running server does every ten
            # minutes: the days closed since the preparation, and the figures whose definition a
            # merge changed built again.
            subprocess.run(  # noqa: S603
                [PYTHON, str(REPO / "manage.py"), "shell", "-c", REFRESH_FACTS],
                env=env,
                check=True,
            )
        if url:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("VACUUM (ANALYZE)")
        else:
            import sqlite3

            with sqlite3.connect(folder / "kefu.sqlite3") as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(
            f"{folder}: migrated and settled in {time.perf_counter() - started:.0f} s", flush=True
        )


def run_job(paths: Paths, name: str, fresh: bool) -> None:
    if name in ("sqlite", "pg"):
        job_tickets_data(paths, name, fresh)
    elif name == "orders":
        job_orders(paths)
    elif name == "xlsx":
        job_xlsx(paths)


# --- the cases ------------------------------------------------------------------------------------


def _table_rows(output: str, first: str) -> list[list[str]]:
    """The Markdown rows of `output` whose first cell starts with `first`, as lists of cells."""
    rows = []
    for line in output.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells and cells[0].startswith(first):
                rows.append(cells)
    return rows


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def headline_orders(out: str) -> tuple[str, bool | None]:
    m = re.search(r"\| pane look-up \| ([^|]+) \| p50 ([\d.]+) ms, p95 ([\d.]+) ms", out)
    if not m:
        return "no result", None
    p95 = float(m.group(3))
    return f"pane look-up p50 {m.group(2)} ms, p95 {p95:.2f} ms ({m.group(1).strip()})", p95 < 20


def headline_board(out: str) -> tuple[str, bool | None]:
    rows = _table_rows(out, "live board")
    if not rows:
        return "no result", None
    parts, met = [], True
    for cells in rows:  # page | status | samples | p50 | p95 | p99 | max | aim | met | load | cpu
        label = "fragment" if "fragment" in cells[0] else "board"
        p95 = _number(cells[4])
        met = met and p95 <= 100
        parts.append(f"{label} p95 {p95:.1f} ms (CPU {cells[10]} ms)")
    return ", ".join(parts), met


def headline_search(out: str) -> tuple[str, bool | None]:
    worst: dict[str, tuple[float, str]] = {}
    within: dict[str, list[int]] = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 8 or cells[1] not in ("page", "API", "query only"):
            continue
        if cells[0].startswith("no search"):
            continue
        via, p95 = cells[1], _number(cells[5])
        counts = within.setdefault(via, [0, 0])
        counts[0] += p95 <= 50
        counts[1] += 1
        if p95 > worst.get(via, (-1.0, ""))[0]:
            worst[via] = (p95, cells[0])
    if not worst:
        return "no result", None
    parts = [
        f"{via}: {within[via][0]}/{within[via][1]} ≤ 50 ms, worst p95 {worst[via][0]:.1f} "
        f"({worst[via][1]})"
        for via in ("page", "API", "query only")
        if via in worst
    ]
    return "; ".join(parts), all(ok == total for ok, total in within.values())


def headline_pages(out: str) -> tuple[str, bool | None]:
    p95s = []
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        # page | role | status | samples | p50 | p95 | p99 | max | load | cpu
        if len(cells) == 10 and cells[2] == "200" and cells[0] not in ("page", "statistics page"):
            if "statistics" in cells[0]:
                continue
            p95s.append((_number(cells[5]), f"{cells[0]}, {cells[1]}"))
    if not p95s:
        return "no result", None
    ok = sum(p <= 50 for p, _ in p95s)
    worst = max(p95s)
    text = f"{ok}/{len(p95s)} pages p95 < 50 ms, worst {worst[0]:.1f} ({worst[1]})"
    m = re.search(r"([\d.]+) pages/s, p50 (\d+) ms, p95 (\d+) ms", out)
    if m:
        text += f"; 8 clients {m.group(1)} pages/s p95 {m.group(3)} ms"
    rss = re.search(r"RSS\*\*: .*?(\d+) MB after the concurrency and statistics", out)
    if rss:
        text += f"; RSS after lists+statistics {rss.group(1)} MB (aim ≤ 600)"
    return text, ok == len(p95s)


def headline_chat(aim_rate: float, aim_p99: float) -> Callable[[str], tuple[str, bool | None]]:
    def headline(out: str) -> tuple[str, bool | None]:
        ack = _table_rows(out, "visitor send → ack")
        counts = re.search(r"^\| (\d+) \| (\d+) \| (\d+) \|", out, re.MULTILINE)
        if not ack or not counts:
            return "no result", None
        p99, rate = _number(ack[0][4]), float(counts.group(3))
        push = _table_rows(out, "visitor send → agent")
        text = f"{rate:.0f} acked/s, ack p99 {p99:.1f} ms"
        if push:
            text += f", push p99 {_number(push[0][4]):.1f} ms"
        return text, rate >= aim_rate * 0.98 and (
            p99 <= aim_p99 if aim_p99 == 100 else p99 < aim_p99
        )

    return headline


def headline_import(out: str) -> tuple[str, bool | None]:
    rows = _table_rows(out, "both steps")
    if not rows:
        return "no result", None
    rate = _number(rows[0][3])
    dry, confirm = _table_rows(out, "dry run"), _table_rows(out, "confirm")
    text = f"both steps {rate:,.0f} rows/s"
    if dry and confirm:
        text += f" (dry run {dry[0][3]}, confirm {confirm[0][3]})"
    return text, rate >= 2000


@dataclass
class Case:
    name: str
    issue: str
    argv: list[str]
    estimate: int  # seconds, on a quiet machine at the full scale
    headline: Callable[[str], tuple[str, bool | None]]
    env: dict[str, str | None] = field(default_factory=dict)  # None removes the variable
    needs: Path | None = None


def cases(paths: Paths, samples: dict[str, int]) -> list[Case]:
    bench = lambda name: str(REPO / "bench" / name / "run.py")  # noqa: E731
    rows = str(paths.size["rows"])
    sqlite_env: dict[str, str | None] = {"DATABASE_URL": None, "REDIS_URL": None}
    pg_env: dict[str, str | None] = {"DATABASE_URL": paths.pg_url, "REDIS_URL": REDIS}
    board = [
        "--rows",
        rows,
        "--no-pack",
        "--only",
        "live board",
        "--board-samples",
        str(samples["board"]),
        "--case-seconds",
        "40",
    ]
    search = [
        "--only-search",
        "--search-samples",
        str(samples["search"]),
        "--case-seconds",
        "8",
    ]
    pages = [
        "--rows",
        rows,
        "--samples",
        str(samples["pages"]),
        "--case-seconds",
        "8",
        "--seconds",
        "20",
    ]
    conversations, seconds, share = paths.size["chat"]
    chat = ["--conversations", str(conversations), "--seconds", str(seconds)]
    xlsx_rows = str(paths.size["xlsx_rows"])
    return [
        Case(
            "orders",
            "#15 pane look-up p95 < 20 ms at 1,000,000 orders (SQLite)",
            [
                bench("orders"),
                "--reuse",
                str(paths.orders),
                "--queries",
                str(samples["orders"]),
            ],
            15,
            headline_orders,
            sqlite_env,
            paths.orders,
        ),
        Case(
            "board-sqlite",
            "#13 live board p95 ≤ 100 ms over HTTP, 1,000,000 tickets (SQLite)",
            [bench("reports"), "--reuse", str(paths.sqlite), *board],
            35,
            headline_board,
            sqlite_env,
            paths.sqlite,
        ),
        Case(
            "board-pg",
            "#13 live board p95 ≤ 100 ms over HTTP, 1,000,000 tickets (PostgreSQL)",
            [bench("reports"), "--reuse", str(paths.pg_dir), *board],
            35,
            headline_board,
            pg_env,
            paths.pg_dir,
        ),
        Case(
            "search-sqlite",
            "#11.1 ticket search p95 ≤ 50 ms, 1,000,000 tickets (SQLite)",
            [bench("tickets"), "--reuse", str(paths.sqlite), *search],
            100,
            headline_search,
            sqlite_env,
            paths.sqlite,
        ),
        Case(
            "search-pg",
            "#11.1 ticket search p95 ≤ 50 ms, 1,000,000 tickets (PostgreSQL)",
            [bench("tickets"), "--reuse", str(paths.pg_dir), *search],
            100,
            headline_search,
            pg_env,
            paths.pg_dir,
        ),
        Case(
            "pages-sqlite",
            "#11.2 lists + workbench p95 < 50 ms, 8 clients; #11.6 RSS ≤ 600 MB (SQLite, 1,000,000)",
            [bench("pages"), "--reuse", str(paths.sqlite), *pages],
            220,
            headline_pages,
            sqlite_env,
            paths.sqlite,
        ),
        Case(
            "pages-pg",
            "#11.2 lists + workbench p95 < 50 ms, 8 clients (PostgreSQL, 1,000,000)",
            [bench("pages"), "--reuse", str(paths.pg_dir), *pages],
            200,
            headline_pages,
            pg_env,
            paths.pg_dir,
        ),
        Case(
            "chat-embedded",
            "#11.4 chat embedded: ≥ 3,000 msg/s at ack p99 ≤ 100 ms",
            [bench("chat"), *chat, "--rate", f"{3000 * share:g}"],
            85,
            headline_chat(3000 * share, 100),
            sqlite_env,
        ),
        Case(
            "chat-scaled",
            "#11.4 chat scaled (PostgreSQL + Redis, 2 web processes): 1,000 msg/s at ack p99 < 50 ms",
            [bench("chat"), "--scaled", *chat, "--rate", f"{1000 * share:g}"],
            110,
            headline_chat(1000 * share, 50),
            {"DATABASE_URL": PG_SERVER, "REDIS_URL": "redis://127.0.0.1:6379/11"},
        ),
        Case(
            "import-sqlite",
            "#11.5 customer import ≥ 2,000 rows/s end to end (SQLite, 100,000 rows)",
            [bench("customers"), "--skip-search", "--rows", xlsx_rows, "--xlsx", str(paths.xlsx)],
            70,
            headline_import,
            sqlite_env,
            paths.xlsx,
        ),
        Case(
            "import-pg",
            "#11.5 customer import ≥ 2,000 rows/s end to end (PostgreSQL, 100,000 rows)",
            [bench("customers"), "--skip-search", "--rows", xlsx_rows, "--xlsx", str(paths.xlsx)],
            85,
            headline_import,
            {"DATABASE_URL": PG_SERVER, "REDIS_URL": None},
            paths.xlsx,
        ),
    ]


def _prepared(needs: Path | None) -> bool:
    """A file is there, or a folder's preparation finished (its READY.json)."""
    if needs is None:
        return True
    return needs.is_file() if needs.suffix == ".xlsx" else (needs / "READY.json").is_file()


def warm_cache(paths: Paths) -> float:
    """Read the SQLite files of the prepared data once, so the first requests do not wait for the
    disk (free if they are in the page cache already)."""
    started = time.perf_counter()
    for folder in (paths.sqlite, paths.orders):
        for f in sorted(folder.glob("*.sqlite3*")) + sorted(folder.glob("*.db*")):
            with f.open("rb") as handle:
                while handle.read(16 * 1024 * 1024):
                    pass
    return time.perf_counter() - started


def _servers() -> dict[int, int]:
    """pid → process group of each `kefu serve` this tree's Python runs from the repository (the
    benches start theirs in a session of their own)."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
            if command[0].decode() != PYTHON or b"kefu.cli" not in command:
                continue
            if b"serve" not in command or os.readlink(proc / "cwd") != str(REPO):
                continue
            found[int(proc.name)] = os.getpgid(int(proc.name))
        except (OSError, IndexError, UnicodeDecodeError):
            continue
    return found


def _descends(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
    return False


def _watch_servers(proc: subprocess.Popen, seen: set[int]) -> None:
    """Note every `kefu serve` the case's process starts (its descendants), while it runs."""
    while proc.poll() is None:
        seen.update(pid for pid in _servers() if _descends(pid, proc.pid))
        time.sleep(1)


def _stop_left_servers(seen: set[int]) -> None:
    """Stop (by process group) a `kefu serve` the case started and left running, e.g. after it was
    interrupted; no other server is touched."""
    for pid, group in _servers().items():
        if pid not in seen:
            continue
        print(f"!! a server the case left running (pid {pid}): stopped", flush=True)
        try:
            os.killpg(group, signal.SIGTERM)
            for _ in range(30):
                time.sleep(0.5)
                os.kill(pid, 0)
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run_case(case: Case, timeout: float) -> tuple[str, float, int]:
    env = dict(os.environ)
    for key, value in case.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    shown = " ".join(
        [f"{k}={v}" for k, v in case.env.items() if v is not None]
        + [
            ".venv/bin/python",
            *[os.path.relpath(a, REPO) if a.startswith(str(REPO)) else a for a in case.argv],
        ]
    )
    print(f"\n## {case.name} — {case.issue}\n`{shown}`\n", flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603
        [PYTHON, *case.argv],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        # A shell's background job starts with SIGINT ignored, and Python keeps it so: the case
        # could then not be interrupted into its `finally` (which stops its server).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines: list[str] = []
    assert proc.stdout is not None
    import threading

    def reader() -> None:
        for line in proc.stdout:
            lines.append(line)
            sys.stdout.write(line)
            sys.stdout.flush()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    servers: set[int] = set()
    watcher = threading.Thread(target=_watch_servers, args=(proc, servers), daemon=True)
    watcher.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"\n!! {case.name}: over its {timeout:.0f} s limit, interrupted", flush=True)
        proc.send_signal(signal.SIGINT)  # the script's `finally` stops its server
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
    thread.join(timeout=10)
    watcher.join(timeout=10)
    _stop_left_servers(servers)
    return "".join(lines), time.perf_counter() - started, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("cases", nargs="*", help="case names (default: all, in priority order)")
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument(
        "--prepare", action="store_true", help="build the datasets named (default: all)"
    )
    parser.add_argument("--prepare-job", default="", help=argparse.SUPPRESS)
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="with --prepare: start the sqlite and pg datasets again, not after their last step",
    )
    parser.add_argument(
        "--before-window",
        action="store_true",
        help="not timed: migrate the prepared databases to this tree, checkpoint, VACUUM ANALYZE",
    )
    parser.add_argument("--list", action="store_true", help="the cases with their estimates")
    parser.add_argument("--board-samples", type=int, default=200)
    parser.add_argument("--search-samples", type=int, default=60)
    parser.add_argument("--pages-samples", type=int, default=100)
    parser.add_argument("--orders-queries", type=int, default=2000)
    parser.add_argument(
        "--no-warm", action="store_true", help="do not read the SQLite files into the cache first"
    )
    parser.add_argument(
        "--timeout-factor",
        type=float,
        default=3.0,
        help="interrupt a case after this many times its estimate (at least 120 s)",
    )
    args = parser.parse_args()
    paths = Paths(args.scale)
    if args.prepare_job:
        run_job(paths, args.prepare_job, args.fresh)
        return
    if args.prepare:
        prepare(paths, args.cases, args.fresh)
        return
    if args.before_window:
        before_window(paths)
        return
    samples = {
        "board": args.board_samples,
        "search": args.search_samples,
        "pages": args.pages_samples,
        "orders": args.orders_queries,
    }
    every = cases(paths, samples)
    by_name = {c.name: c for c in every}
    if args.list:
        total = 0
        for c in every:
            ready = "ready" if _prepared(c.needs) else "NOT PREPARED"
            total += c.estimate
            print(f"{c.name:14} ~{c.estimate:4d} s  {ready:12}  {c.issue}")
        print(
            f"{'all':14} ~{total:4d} s (quiet estimate at full scale, plus ~10 s of start-up each)"
        )
        return
    unknown = [n for n in args.cases if n not in by_name]
    if unknown:
        raise SystemExit(f"no case {', '.join(unknown)}; known: {', '.join(by_name)}")
    chosen = [by_name[n] for n in args.cases] if args.cases else every
    missing = [c.name for c in chosen if not _prepared(c.needs)]
    if missing:
        raise SystemExit(
            f"not prepared: {', '.join(missing)} — run bench/quiet.py --scale {args.scale} --prepare"
        )
    commit = _commit()
    print(
        f"# bench/quiet — {time.strftime('%Y-%m-%d %H:%M %Z')}, commit {commit}, scale {args.scale}, "
        f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    for folder in {c.needs.parent if c.needs.suffix else c.needs for c in chosen if c.needs}:
        ready = _ready(folder) if folder.is_dir() else None
        if ready:
            print(f"# data {folder}: made {ready.get('made')} at commit {ready.get('commit')}")
    started = time.perf_counter()
    if not args.no_warm:
        print(f"# read the SQLite files into the page cache: {warm_cache(paths):.0f} s", flush=True)
    results = []
    for case in chosen:
        load_before = os.getloadavg()[0]
        out, seconds, code = run_case(case, max(120.0, case.estimate * args.timeout_factor))
        try:
            text, met = case.headline(out)
        except (ValueError, IndexError) as error:
            text, met = f"could not read the result ({error!r})", None
        if code != 0:
            text = f"exit {code}; {text}"
        results.append((case, seconds, load_before, os.getloadavg()[0], text, met))
        print(
            f"\n## {case.name}: {seconds:.0f} s (estimate {case.estimate} s), elapsed in all "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
    print(
        f"\n### Summary — bench/quiet, {time.strftime('%Y-%m-%d %H:%M %Z')}, commit {commit}, "
        f"scale {args.scale}, {os.cpu_count()} cores\n"
    )
    print("| case | aim | seconds | load before → after | result | met |")
    print("|---|---|---:|---|---|---|")
    for case, seconds, before, after, text, met in results:
        verdict = {True: "yes", False: "no", None: "?"}[met]
        print(
            f"| {case.name} | {case.issue} | {seconds:.0f} | {before:.1f} → {after:.1f} | {text} | {verdict} |"
        )
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
