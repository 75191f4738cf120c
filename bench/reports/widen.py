"""Make a kept bench/reports data folder N times wider in tickets, by INSERT … SELECT copies of every
ticket (same days, types, categories, departments, agents, customers; numbers suffixed "-k"), then
ANALYZE — a 1,000,000-ticket folder from a 100,000 one in a minute instead of the loader's 15–40
minutes on a loaded machine. Customers, chats and messages stay as loaded.

    .venv/bin/python bench/reports/run.py --rows 100000 --keep --only none   # prints the folder: FOLDER=that path
    .venv/bin/python bench/reports/widen.py "$FOLDER" --times 10
    .venv/bin/python bench/reports/run.py --reuse "$FOLDER" --only year
"""

# ruff: noqa: S608  the SQL below names tables and columns from the models, never from input
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="a data folder kept by bench/reports/run.py --keep")
    parser.add_argument("--times", type=int, default=10, help="tickets afterwards ÷ before (10)")
    args = parser.parse_args()

    from bench.pages import run as pages_bench

    pages_bench.setup_django(Path(args.folder))
    from django.db import connection, transaction

    from kefu.tickets.models import Ticket

    quote = connection.ops.quote_name
    table = quote(Ticket._meta.db_table)
    columns = [f.column for f in Ticket._meta.concrete_fields if not f.primary_key]
    started = time.perf_counter()
    before = Ticket.objects.count()
    for k in range(1, args.times):
        chosen = [
            f"{quote(c)} || '-{k}'" if c == "number" else quote(c)  # unique numbers
            for c in columns
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "
                f"SELECT {', '.join(chosen)} FROM {table} WHERE {quote('number')} NOT LIKE '%%-%%-%%'"
            )
        print(f"copy {k}: {Ticket.objects.count():,} tickets", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"{before:,} → {Ticket.objects.count():,} tickets in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
