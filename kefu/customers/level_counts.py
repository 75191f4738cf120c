"""The live customers of each level, kept by triggers (models.LevelCount).

`install()` runs after every migrate: it (re)creates the triggers — a migration that remakes the
customers' table on SQLite drops them with the old table — and recounts. `drop()` runs before
every migrate, so that a migration going back past the counts' table finds no trigger naming it.
"""

# ruff: noqa: S608  the SQL names only this module's constant tables and triggers
from __future__ import annotations

from collections.abc import Iterable

from django.db import connections, transaction
from django.db.models import Sum

from kefu.customers.models import LevelCount

CUSTOMERS = "customers_customer"
COUNTS = "customers_levelcount"
PREFIX = "customers_level_count"
SQLITE_TRIGGERS = {
    f"{PREFIX}_insert": f"""
        CREATE TRIGGER {PREFIX}_insert AFTER INSERT ON {CUSTOMERS}
        WHEN NEW.merged_into_id IS NULL
        BEGIN
            INSERT INTO {COUNTS} (level, live) VALUES (NEW.level, 1)
            ON CONFLICT (level) DO UPDATE SET live = live + 1;
        END""",
    f"{PREFIX}_delete": f"""
        CREATE TRIGGER {PREFIX}_delete AFTER DELETE ON {CUSTOMERS}
        WHEN OLD.merged_into_id IS NULL
        BEGIN
            UPDATE {COUNTS} SET live = live - 1 WHERE level = OLD.level;
        END""",
    f"{PREFIX}_update": f"""
        CREATE TRIGGER {PREFIX}_update AFTER UPDATE OF level, merged_into_id ON {CUSTOMERS}
        WHEN OLD.level IS NOT NEW.level
          OR (OLD.merged_into_id IS NULL) <> (NEW.merged_into_id IS NULL)
        BEGIN
            UPDATE {COUNTS} SET live = live - 1
            WHERE level = OLD.level AND OLD.merged_into_id IS NULL;
            INSERT INTO {COUNTS} (level, live) SELECT NEW.level, 1 WHERE NEW.merged_into_id IS NULL
            ON CONFLICT (level) DO UPDATE SET live = live + 1;
        END""",
}
# PostgreSQL: one statement-level trigger per kind of write, over its transition tables, so an
# import's insert of a thousand rows updates each level's row once, not a thousand times. A kind of
# write has only the transition tables it names (an insert no old rows): the other side is empty.
PG_EMPTY = f"(SELECT level, merged_into_id FROM {CUSTOMERS} WHERE false)"
PG_TRIGGERS = {  # name: (event, new rows?, old rows?)
    f"{PREFIX}_insert": ("INSERT", True, False),
    f"{PREFIX}_delete": ("DELETE", False, True),
    f"{PREFIX}_update": ("UPDATE", True, True),
}


def _pg_statements(name: str, event: str, new: bool, old: bool) -> list[str]:
    """The function and the trigger that add a statement's new live rows and take away its old."""
    new_rows, old_rows = f"{PREFIX}_new", f"{PREFIX}_old"
    tables = " ".join(
        part
        for part, present in (
            (f"NEW TABLE AS {new_rows}", new),
            (f"OLD TABLE AS {old_rows}", old),
        )
        if present
    )
    function = f"""
        CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {COUNTS} (level, live)
            SELECT level, SUM(change) FROM (
                SELECT level, 1 AS change FROM {new_rows if new else PG_EMPTY} AS n
                WHERE merged_into_id IS NULL
                UNION ALL
                SELECT level, -1 FROM {old_rows if old else PG_EMPTY} AS o
                WHERE merged_into_id IS NULL
            ) AS changes GROUP BY level HAVING SUM(change) <> 0
            ON CONFLICT (level) DO UPDATE SET live = {COUNTS}.live + EXCLUDED.live;
            RETURN NULL;
        END $$"""
    trigger = (
        f"CREATE TRIGGER {name} AFTER {event} ON {CUSTOMERS} REFERENCING {tables} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
    )
    return [function, trigger]


def drop(using: str = "default") -> None:
    db = connections[using]
    if db.vendor == "postgresql" and CUSTOMERS not in _tables(using):
        return  # PostgreSQL's DROP TRIGGER names the table, which must exist
    on = f" ON {CUSTOMERS}" if db.vendor == "postgresql" else ""
    with db.cursor() as cursor:
        for name in SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}{on}")


def install(using: str = "default") -> None:
    """The triggers, and the counts recounted from the customers, in one transaction."""
    tables = _tables(using)
    if CUSTOMERS not in tables or COUNTS not in tables:
        return
    db = connections[using]
    if db.vendor == "postgresql":
        statements = [
            sql for name, kind in PG_TRIGGERS.items() for sql in _pg_statements(name, *kind)
        ]
    else:
        statements = list(SQLITE_TRIGGERS.values())
    with transaction.atomic(using=using):
        drop(using)
        with db.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
            cursor.execute(f"DELETE FROM {COUNTS}")
            cursor.execute(
                f"INSERT INTO {COUNTS} (level, live) SELECT level, COUNT(*) FROM {CUSTOMERS} "
                "WHERE merged_into_id IS NULL GROUP BY level"
            )


def _tables(using: str) -> set[str]:
    return set(connections[using].introspection.table_names())


def live(levels: Iterable[str], using: str = "default") -> int:
    """The live customers of these levels, as the triggers keep them."""
    total = LevelCount.objects.using(using).filter(level__in=list(levels)).aggregate(n=Sum("live"))
    return int(total["n"] or 0)
