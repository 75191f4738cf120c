"""What the benchmark scripts share: percentiles from raw samples and a scratch PostgreSQL database."""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable
from pathlib import Path


def percentile(samples: list[float], p: float) -> float:
    """The sample at rank p% (nearest rank, linear index), from the raw samples."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def scratch_postgres(url: str, label: str) -> tuple[str, Callable[[], None]]:
    """Create a scratch database `kefu_bench_<label>_<pid>` on the server of `url`; returns its URL and a
    function that drops it."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    name = f"kefu_bench_{label}_{os.getpid()}"
    conninfo = {
        "host": config["HOST"] or None,
        "port": config["PORT"] or None,
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
        "dbname": config["NAME"] or "postgres",
        "autocommit": True,
    }
    conninfo = {k: v for k, v in conninfo.items() if v is not None}
    with psycopg.connect(**conninfo) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(**conninfo) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    base, _, _ = url.rpartition("/")
    return f"{base}/{name}", drop


def choose_database(label: str) -> tuple[str, Callable[[], None] | None]:
    """The database of a run: a scratch PostgreSQL database when DATABASE_URL names a PostgreSQL
    server (with the function that drops it), else SQLite in the data folder. Returns the mode's
    words for the printout."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        scratch_url, drop = scratch_postgres(url, label)
        os.environ["DATABASE_URL"] = scratch_url
        return "scaled (PostgreSQL, scratch database)", drop
    os.environ.pop("DATABASE_URL", None)
    return "embedded (SQLite, WAL)", None


def clean_up(*, data_dir, keep: bool, drop_database: Callable[[], None] | None) -> None:
    """End of a run: close Django's connections (if Django was set up), then keep the data folder and
    scratch database (`--keep`, printed) or drop and delete them."""
    import shutil

    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # noqa: S110  Django may not be set up if setup itself failed
        pass
    if keep:
        print(f"kept: KEFU_DATA_DIR={data_dir} DATABASE_URL={os.environ.get('DATABASE_URL', '')}")
        return
    if drop_database is not None:
        drop_database()
    shutil.rmtree(data_dir, ignore_errors=True)


def rss_mb(pid: int) -> float:
    """Resident memory of the process and its children (the web process under `kefu serve`)."""
    total = 0
    pids = [pid]
    try:
        for child in Path(f"/proc/{pid}/task").iterdir():
            kids = (child / "children").read_text().split()
            pids += [int(k) for k in kids]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far: on a shared machine, the server's CPU per
    request says more than its latency, which includes waiting for a core."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def row(label: str, samples: list[float], *extra) -> str:
    """One Markdown table row: the label, any extra cells, then n, p50, p95, p99 and max in ms."""
    cells = [label, *[str(e) for e in extra]]
    if samples:
        cells += [
            str(len(samples)),
            f"{statistics.median(samples):.1f}",
            f"{percentile(samples, 95):.1f}",
            f"{percentile(samples, 99):.1f}",
            f"{max(samples):.1f}",
        ]
    return "| " + " | ".join(cells) + " |"
