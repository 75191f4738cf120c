"""The database's plan for a captured statement, for tests that pin "an index, no whole-table scan"."""

from django.db import connection


def query_plan(sql: str) -> str:
    """The plan's lines joined by " | ": EXPLAIN QUERY PLAN on SQLite; on PostgreSQL EXPLAIN with
    sequential scans discouraged (tiny test tables would otherwise always be scanned)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return " | ".join(str(r[-1]) for r in cursor.fetchall())
