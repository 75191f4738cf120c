"""Bulk inserts for many rows at once, and the primary keys they need.

The customer import writes up to 200,000 customers with their contact points, tags and timeline
entries. `bulk_create` prepares every field of every object through the ORM (about 0.3 ms a customer,
measured; on SQLite it also sends only 34 customers per statement, and on PostgreSQL psycopg re-parses
each long multi-row statement in Python); `BulkTable` writes the same rows several times faster:
one prepared INSERT sent with executemany on SQLite, COPY on PostgreSQL.

Precondition of both: the caller holds a transaction (`transaction.atomic()`), and on SQLite that
transaction began IMMEDIATE (settings: `transaction_mode`), so it holds the write lock from its first
statement and nobody else takes ids meanwhile. `new_ids` checks this and refuses otherwise.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import Field, Model


class BulkWritePreconditionError(RuntimeError):
    """A bulk write was called outside the transaction it needs (a programming error)."""


def require_write_transaction() -> None:
    """Refuse unless the current connection is inside `transaction.atomic()` and, on SQLite, its
    transactions begin IMMEDIATE (holding the write lock before the first read)."""
    if not connection.in_atomic_block:
        raise BulkWritePreconditionError("bulk writes must run inside transaction.atomic()")
    if connection.vendor == "sqlite":
        mode = (connection.settings_dict.get("OPTIONS") or {}).get("transaction_mode") or ""
        if str(mode).upper() != "IMMEDIATE":
            raise BulkWritePreconditionError(
                "bulk writes on SQLite need IMMEDIATE transactions "
                "(DATABASES['default']['OPTIONS']['transaction_mode'] = 'IMMEDIATE')"
            )


class BulkTable:
    """INSERTs for one model with every column's constant value prepared once.

    Columns are read from the model, so a new field with a default needs no change here, and a new
    field without one fails loudly (NOT NULL) rather than silently. `auto_now`/`auto_now_add`
    fields take `now`; every other field its default unless set with `set()` or given per row.
    """

    def __init__(
        self,
        model: type[Model],
        *,
        now: dt.datetime,
        varying: tuple[str, ...],
        with_id: bool = False,
    ):
        fields = [
            f
            for f in model._meta.concrete_fields
            if (with_id or not f.primary_key) and not f.generated  # the database computes those
        ]
        self.model = model
        self.columns = [f.column for f in fields]
        self.template: list[Any] = []
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:
                value = f.get_default()  # "" for text without a default, as the ORM would save
            self.template.append(None if f.primary_key else f.get_db_prep_save(value, connection))
        attnames = [f.attname for f in fields]
        self.position = {name: attnames.index(name) for name in varying}

    def set(self, **values: Any) -> None:
        """The same value for every row."""
        for name, value in values.items():
            field = self.model._meta.get_field(name)
            assert isinstance(field, Field), name  # a column of this model, not a relation to it
            self.template[self.columns.index(field.column)] = value

    def row(self, **values: Any) -> list[Any]:
        """`values` must be ready for the database: text, numbers, None (not model instances)."""
        row = list(self.template)
        for name, value in values.items():
            row[self.position[name]] = value
        return row

    def insert(self, rows: list[list[Any]]) -> None:
        if not rows:
            return
        require_write_transaction()
        quote = connection.ops.quote_name
        table, columns = quote(self.model._meta.db_table), ", ".join(quote(c) for c in self.columns)
        with connection.cursor() as cursor:
            if hasattr(cursor.cursor, "copy"):  # psycopg 3 on PostgreSQL: COPY, twice as fast again
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(self.columns))})",  # noqa: S608  names from the model
                    rows,
                )


def new_ids(model: type[Model], count: int) -> list[int]:
    """`count` fresh primary keys for `model`, none of which anyone else is given.

    PostgreSQL: taken from the column's own sequence, safe with concurrent inserts. SQLite: the
    transaction holds the write lock (IMMEDIATE, checked here), and AUTOINCREMENT never reuses an id,
    so the keys start after the largest ever given. Call inside the transaction that inserts them.
    """
    require_write_transaction()
    table = model._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT MAX(id) FROM {quote(table)}")  # noqa: S608  name from the model
        largest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        given = cursor.fetchone()
        start = max(largest, given[0] if given else 0) + 1
    return list(range(start, start + count))
