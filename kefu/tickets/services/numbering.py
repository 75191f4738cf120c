"""Readable ticket numbers: TS20261123-0001, counted per Asia/Shanghai day.

One counter row per day, raised by one statement: INSERT … ON CONFLICT DO UPDATE … RETURNING (PostgreSQL,
and SQLite 3.35 or newer). The update takes the row lock, so concurrent creators queue on it and each
reads its own value before commit (PostgreSQL); SQLite's IMMEDIATE transactions already serialise
writers. A rolled-back creation gives its number back with the rest of the transaction. (Three ORM
statements did the same before: a fifth of the time of creating a ticket, bench/README.md.)
"""

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from kefu.tickets.models import TicketNumberCounter

PREFIX = "TS"


def next_ticket_number(*, at: dt.datetime) -> str:
    """The next number of `at`'s local day. Call inside the creating transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "next_ticket_number() must run inside the transaction that creates the ticket"
        )
    day = timezone.localtime(at).date()
    table = connection.ops.quote_name(TicketNumberCounter._meta.db_table)
    with connection.cursor() as cursor:
        # The first creator of the day makes the row with 1; everyone after raises it by one.
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, 1) "  # noqa: S608  the table name is ours
            "ON CONFLICT (day) DO UPDATE SET last = " + table + ".last + 1 RETURNING last",
            [TicketNumberCounter._meta.get_field("day").get_db_prep_value(day, connection)],
        )
        (last,) = cursor.fetchone()
    return f"{PREFIX}{day:%Y%m%d}-{last:04d}"
