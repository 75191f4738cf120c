"""Readable numbers TSyyyymmdd-nnnn: per Asia/Shanghai day, never twice, also under concurrency."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from kefu.accounts.roles import Role
from kefu.tickets.models import Ticket
from kefu.tickets.services.numbering import next_ticket_number
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType

from .conftest import SH


def test_numbers_count_per_shanghai_day(cast):
    # 16:30 UTC on the 22nd is 00:30 on the 23rd in Shanghai: the 23rd's first ticket.
    first = create_ticket(
        actor=cast.agent,
        type=TicketType.CONSULTATION,
        subject="a",
        now=dt.datetime(2026, 11, 22, 16, 30, tzinfo=dt.UTC),
    )
    second = create_ticket(
        actor=cast.agent,
        type=TicketType.COMPLAINT,
        subject="b",
        now=dt.datetime(2026, 11, 23, 23, 59, tzinfo=SH),
    )
    next_day = create_ticket(
        actor=cast.agent,
        type=TicketType.CONSULTATION,
        subject="c",
        now=dt.datetime(2026, 11, 24, 0, 0, tzinfo=SH),
    )
    assert [first.number, second.number, next_day.number] == [
        "TS20261123-0001",
        "TS20261123-0002",
        "TS20261124-0001",
    ]


def test_many_creations_get_unique_consecutive_numbers(cast):
    now = dt.datetime(2026, 11, 25, 10, tzinfo=SH)
    numbers = [
        create_ticket(
            actor=cast.agent, type=TicketType.CONSULTATION, subject=f"问题{i}", now=now
        ).number
        for i in range(120)
    ]
    assert numbers == [f"TS20261125-{i:04d}" for i in range(1, 121)]


def test_a_rolled_back_creation_gives_its_number_back(cast):
    now = dt.datetime(2026, 11, 26, 10, tzinfo=SH)
    with pytest.raises(RuntimeError), transaction.atomic():
        create_ticket(actor=cast.agent, type=TicketType.CONSULTATION, subject="x", now=now)
        raise RuntimeError("rolled back")
    assert (
        create_ticket(actor=cast.agent, type=TicketType.CONSULTATION, subject="y", now=now).number
        == "TS20261126-0001"
    )


@pytest.mark.django_db(transaction=True)
def test_numbers_are_only_given_inside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_ticket_number(at=dt.datetime(2026, 11, 26, 10, tzinfo=SH))


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's test database is one in-memory connection"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_creators_never_share_a_number(make_user):
    from django.db import connections

    agent = make_user(Role.AGENT)
    now = dt.datetime(2026, 11, 27, 10, tzinfo=SH)
    threads_n, per_thread = 8, 15
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def work():
        try:
            barrier.wait()
            for i in range(per_thread):
                create_ticket(
                    actor=agent, type=TicketType.CONSULTATION, subject=f"并发{i}", now=now
                )
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert numbers == [f"TS20261127-{i:04d}" for i in range(1, threads_n * per_thread + 1)]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's test database is one in-memory connection"
)
@pytest.mark.django_db(transaction=True)
def test_of_two_agents_racing_on_one_ticket_exactly_one_wins(make_user):
    from django.db import connections

    from kefu.core.errors import Conflict
    from kefu.tickets.services import loop

    agents = [make_user(Role.AGENT), make_user(Role.AGENT)]
    ticket = create_ticket(
        actor=agents[0],
        type=TicketType.CONSULTATION,
        subject="并发",
        now=dt.datetime(2026, 11, 27, 10, tzinfo=SH),
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def work(agent, answer):
        try:
            barrier.wait()
            loop.answer_ticket(
                actor=agent, ticket_id=ticket.pk, expected_version=ticket.version, answer=answer
            )
            outcomes.append("won")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(a, f"答复{i}")) for i, a in enumerate(agents)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "won"]
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.version == 2 and fresh.answer in {"答复0", "答复1"}


@pytest.mark.django_db(transaction=True)
def test_create_ticket_brings_its_own_transaction(make_user):
    """Called from a view or a task with no transaction open (the tests' own transaction hides that)."""
    from kefu.accounts.roles import Role
    from kefu.tickets.services.tickets import create_ticket

    ticket = create_ticket(actor=make_user(Role.AGENT), type="consultation", subject="发票怎么开？")
    assert ticket.number.startswith("TS") and ticket.number.endswith("-0001")
