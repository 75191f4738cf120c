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
    (number,) = next_ticket_numbers(at=at, count=1)
    return number


def next_ticket_numbers(*, at: dt.datetime, count: int) -> list[str]:
    """The next `count` numbers of `at`'s local day, in order, taken by one statement (a bulk
    creation). Call inside the creating transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "next_ticket_number() must run inside the transaction that creates the ticket"
        )
    if count < 1:
        return []
    day = timezone.localtime(at).date()
    table = connection.ops.quote_name(TicketNumberCounter._meta.db_table)
    with connection.cursor() as cursor:
        # The first creator of the day makes the row with `count`; everyone after raises it by theirs.
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, %s) "  # noqa: S608  the table name is ours
            "ON CONFLICT (day) DO UPDATE SET last = " + table + ".last + %s RETURNING last",
            [
                TicketNumberCounter._meta.get_field("day").get_db_prep_value(day, connection),
                count,
                count,
            ],
        )
        (last,) = cursor.fetchone()
    return [f"{PREFIX}{day:%Y%m%d}-{n:04d}" for n in range(last - count + 1, last + 1)]
