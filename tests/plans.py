"""The database's plan for a captured statement, for tests that pin "an index, no whole-table scan"."""

from django.db import connection


def query_plan(sql: str, params=()) -> str:
    """The plan's lines joined by " | ": EXPLAIN QUERY PLAN on SQLite; on PostgreSQL EXPLAIN with
    sequential scans discouraged (tiny test tables would otherwise always be scanned). `params`: the
    statement's parameters when it comes from QuerySet.query.sql_with_params()."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " | ".join(str(r[-1]) for r in cursor.fetchall())
