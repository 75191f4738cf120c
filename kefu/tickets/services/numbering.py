"""Readable ticket numbers: TS20261123-0001, counted per Asia/Shanghai day.

One counter row per day. The UPDATE takes the row lock, so concurrent creators queue on it and each
reads its own value before commit (PostgreSQL); SQLite's IMMEDIATE transactions already serialise
writers. A rolled-back creation gives its number back with the rest of the transaction.
"""

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kefu.tickets.models import TicketNumberCounter

PREFIX = "TS"


def next_ticket_number(*, at: dt.datetime) -> str:
    """The next number of `at`'s local day. Call inside the creating transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_ticket_number() must run inside the transaction that creates the ticket")
    day = timezone.localtime(at).date()
    # INSERT … ON CONFLICT DO NOTHING: the first creator of the day makes the row, nobody fails.
    TicketNumberCounter.objects.bulk_create([TicketNumberCounter(day=day, last=0)], ignore_conflicts=True)
    TicketNumberCounter.objects.filter(day=day).update(last=F("last") + 1)
    last = TicketNumberCounter.objects.values_list("last", flat=True).get(day=day)
    return f"{PREFIX}{day:%Y%m%d}-{last:04d}"
