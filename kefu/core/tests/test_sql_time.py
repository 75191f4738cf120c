"""LocalDate gives every row the day TruncDate gives it, on SQLite through SQL for the instants
since the zone's offset became fixed (Asia/Shanghai: +08:00 since September 1991); Elapsed gives
the durations Django's subtraction gives."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F
from django.db.models.functions import TruncDate
from django.test.utils import CaptureQueriesContext

from kefu.accounts.roles import Role
from kefu.core.models import TimelineEntry
from kefu.core.sql_time import Elapsed, LocalDate, fixed_offset_since
from kefu.tickets.models import Ticket
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType

UTC = dt.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
INSTANTS = [
    dt.datetime(2026, 11, 30, 15, 59, 59, 999999, tzinfo=UTC),  # 23:59:59.999999 on the 30th
    dt.datetime(2026, 11, 30, 16, 0, tzinfo=UTC),  # midnight: the 1st of December
    dt.datetime(2026, 12, 31, 16, 0, 0, 1, tzinfo=UTC),  # just into the new year
    dt.datetime(2026, 3, 8, 6, 30, tzinfo=UTC),  # New York's change to summer time
    dt.datetime(1991, 9, 14, 16, 30, tzinfo=UTC),  # Shanghai in summer time (+09:00): the 15th
    dt.datetime(1991, 9, 14, 17, 0, tzinfo=UTC),  # and from then on +08:00: 01:00 on the 15th
    dt.datetime(1988, 7, 1, 15, 30, tzinfo=UTC),  # +09:00: 00:30 on 2 July (+08:00 says 1 July)
]


def test_shanghai_has_one_offset_since_september_1991_and_new_york_has_none():
    assert fixed_offset_since(SHANGHAI) == (dt.datetime(1991, 9, 14, 17, 0, tzinfo=UTC), 28800)
    assert fixed_offset_since(NEW_YORK) is None
    assert fixed_offset_since(dt.UTC)[1] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("zone", [SHANGHAI, NEW_YORK])
def test_every_instant_gets_the_day_truncdate_and_the_zone_give_it(zone):
    kind = ContentType.objects.get_for_model(TimelineEntry)
    for at in INSTANTS:
        TimelineEntry.objects.create(
            occurred_at=at, kind="t", subject_type=kind, subject_id="1", summary=at.isoformat()
        )
    rows = TimelineEntry.objects.order_by("occurred_at")
    with CaptureQueriesContext(connection) as captured:
        local = list(rows.annotate(day=LocalDate("occurred_at", tzinfo=zone)).values_list("day"))
    django = list(rows.annotate(day=TruncDate("occurred_at", tzinfo=zone)).values_list("day"))
    expected = [(at.astimezone(zone).date(),) for at in sorted(INSTANTS)]
    assert local == django == expected
    if zone is SHANGHAI:
        assert expected[0] == (dt.date(1988, 7, 2),)  # summer time then: +08:00 would say 1 July
        if connection.vendor == "sqlite":
            assert "date(substr(" in captured.captured_queries[0]["sql"]  # SQL, not Python


@pytest.mark.django_db
def test_grouping_by_the_local_day_counts_each_day_once():
    kind = ContentType.objects.get_for_model(TimelineEntry)
    for at in INSTANTS[:3]:
        TimelineEntry.objects.create(occurred_at=at, kind="t", subject_type=kind, subject_id="1")
    days = dict(
        TimelineEntry.objects.annotate(day=LocalDate("occurred_at", tzinfo=SHANGHAI))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    assert days == {dt.date(2026, 11, 30): 1, dt.date(2026, 12, 1): 1, dt.date(2027, 1, 1): 1}


@pytest.mark.django_db
def test_elapsed_is_the_exact_difference_and_null_when_either_is_missing(make_user):
    """Whole seconds, microseconds on either side (and a borrow across them), a day apart, and a
    missing end: the same durations as Django's subtraction, averaged as the statistics do."""
    agent = make_user(Role.AGENT)
    start = dt.datetime(2026, 11, 30, 15, 59, 59, 999999, tzinfo=UTC)
    gaps = [
        dt.timedelta(seconds=30),
        dt.timedelta(seconds=1, microseconds=2),  # 16:00:01.000001: the borrow
        dt.timedelta(days=1, microseconds=500),
        dt.timedelta(days=3650, seconds=86399, microseconds=999999),  # years: still to the µs
        -dt.timedelta(minutes=5, microseconds=3),  # an end before its start
        None,
    ]
    for gap in gaps:
        ticket = create_ticket(actor=agent, type=TicketType.CONSULTATION, subject="t", now=start)
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=start, closed_at=None if gap is None else start + gap
        )
    rows = Ticket.objects.order_by("pk")
    elapsed = list(rows.annotate(e=Elapsed("closed_at", "created_at")).values_list("e", flat=True))
    assert elapsed == gaps
    django = rows.aggregate(
        a=Avg(ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField()))
    )["a"]
    assert rows.aggregate(a=Avg(Elapsed("closed_at", "created_at")))["a"] == django
