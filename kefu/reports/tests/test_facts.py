"""Daily facts (issue 13.7, kefu/reports/facts.py): every figure read from the facts plus today's
live records is the figure computed live from the records, over a varied year of tickets — after a
ticket is reopened, moved to another department, its deadline marks written by QuerySet.update(),
its customer erased — both before the scheduler refreshes the touched days and after it; a ticket
at 00:30 in Asia/Shanghai counts on its local day; the customer's province, street and level have
facts that follow the customer when they move (hand-counted below). Facts go up to the day before yesterday, and the refresh extends them as days close: a new
ticket and a chat updated again and again write no mark, a change to a record of a built day writes
one, and yesterday's figures are right before the refresh and after it."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kefu.accounts.models import Department
from kefu.accounts.roles import Role
from kefu.conversations.models import Conversation, ConversationState, Inbox, Visitor
from kefu.customers.models import Customer
from kefu.privacy import services as privacy
from kefu.reports import facts, registry, selectors
from kefu.reports.models import DailyFact, FactsBuilt, TouchedInstant
from kefu.tickets.models import Channel, Ticket, TicketCategory
from kefu.tickets.services.loop import reopen_ticket
from kefu.tickets.services.tickets import create_ticket, set_ticket_fields
from kefu.tickets.states import TicketState, TicketType
from tests.clock import today

pytestmark = pytest.mark.django_db


def through() -> dt.date:
    """The last day with facts once they are built: the day before yesterday."""
    return today() - dt.timedelta(days=2)


def built_end() -> dt.datetime:
    return facts._local_start(through() + dt.timedelta(days=1))


def local(days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
    day = today() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def desk(make_user):
    """About forty tickets over the last 400 days (so this year and the previous period both
    hold some), of every type, on three channels, two categories (and none), two departments,
    two agents (and none), some closed on another day, some rated, some breached, two at 00:30 and
    23:30 local around the same midnight, three today."""
    agents = [
        make_user(Role.AGENT, username="wang", display_name="王芳"),
        make_user(Role.AGENT, username="li", display_name=""),
    ]
    supervisor = make_user(Role.SUPERVISOR)
    manager = make_user(Role.MANAGER)
    tech = Department.objects.create(code="tech-f", name="技术部F")
    store = Department.objects.create(code="store-f", name="仓库F")
    categories = [TicketCategory.objects.create(name=n) for n in ("物流", "质量")]
    customers = [
        Customer.objects.create(name=f"客户{i}", region="广西", street=f"街道{i % 3}")
        for i in range(4)
    ]
    kinds = [TicketType.CONSULTATION, TicketType.COMPLAINT, *TicketType.values]
    channels = [Channel.PHONE, Channel.OTHER, Channel.values[-1]]
    made: list[Ticket] = []
    moments = [local(d, (d * 7) % 24, (d * 13) % 60) for d in range(1, 400, 11)]
    moments += [local(40, 0, 30), local(41, 23, 30), local(0, 0, 30), local(0, 9)]
    for i, when in enumerate(moments):
        ticket = create_ticket(
            actor=supervisor,
            type=kinds[i % len(kinds)],
            subject=f"工单 {i}",
            customer_id=customers[i % 4].pk,
            channel=channels[i % 3],
            category_id=categories[i % 3].pk if i % 3 < 2 else None,
            department_id=(tech, store, None)[i % 3].pk if i % 3 < 2 else None,
            assignee_id=agents[i % 2].pk if i % 5 else None,
            now=when,
        )
        closed = when + dt.timedelta(hours=5 + i * 3)
        Ticket.objects.filter(pk=ticket.pk).update(
            satisfaction=(i % 5) + 1 if i % 4 else None,
            first_breach_at=when + dt.timedelta(hours=1) if i % 3 == 0 else None,
            state=TicketState.CLOSED if i % 2 and closed < timezone.now() else ticket.state,
            closed_at=closed if i % 2 and closed < timezone.now() else None,
        )
        made.append(ticket)
    return {
        "tickets": made,
        "agents": agents,
        "supervisor": supervisor,
        "manager": manager,
        "tech": tech,
        "store": store,
        "categories": categories,
        "customers": customers,
    }


def cases(desk) -> list[dict[str, str]]:
    agent, category = desk["agents"][0], desk["categories"][1]
    return [
        {"period": "year"},
        {"period": "30d"},
        {"since": (today() - dt.timedelta(days=400)).isoformat(), "until": today().isoformat()},
        {"since": (today() - dt.timedelta(days=41)).isoformat(), "until": today().isoformat()},
        {"period": "year", "by": "channel"},  # by agent, category, department, type: defaults
        {"period": "year", "agent": str(agent.pk)},
        {"period": "year", "agent": "~", "by": "agent"},
        {"period": "year", "category": str(category.pk), "by": "category"},
        {"period": "year", "department": str(desk["tech"].pk)},
        {"period": "year", "channel": Channel.PHONE},
        {"period": "year", "street": "街道1"},  # the total from facts, by category live
        {"period": "year", "street": "街道1", "by": "street"},
        {"period": "year", "region": "广西", "by": "region"},
        {"period": "year", "level": "regular", "by": "level"},
        {"period": "year", "by": "street"},
        {"period": "year", "agent": "0" + str(agent.pk)},
        {"period": "year", "agent": "abc"},
        {"period": "today"},
    ]


def results(desk) -> list[tuple[object, ...]]:
    found: list[tuple[object, ...]] = []
    for query in cases(desk):
        filters = selectors.parse_filters(query)
        for figure, _plan in facts.planned():  # the others are live either way
            r = selectors.figure_result(figure, filters)
            found.append((figure.key, query, r.total, r.previous, r.series, r.by, r.rows))
    return found


def live_results(desk, monkeypatch) -> list[tuple[object, ...]]:
    with monkeypatch.context() as patch:
        patch.setattr(facts, "split", lambda *args, **kwargs: None)
        return results(desk)


def assert_same(desk, monkeypatch) -> None:
    live = live_results(desk, monkeypatch)
    read = results(desk)
    for one, other in zip(live, read, strict=True):
        assert one == other, one[:2]


def reads_facts(filters: dict[str, str], key: str = "complaints") -> bool:
    figure = registry.get_figure(key)
    assert figure is not None
    with CaptureQueriesContext(connection) as queries:
        selectors.figure_result(figure, selectors.parse_filters(filters))
    return any(DailyFact._meta.db_table in q["sql"] for q in queries)


def test_the_ticket_figures_have_facts_and_those_through_another_table_do_not():
    planned = {f.key: p for f, p in facts.planned()}
    assert {"consultations", "complaints", "business", "workload", "satisfaction"} <= set(planned)
    assert set(planned["complaints"].dimensions) == {
        "channel",
        "agent",
        "category",
        "department",
        "region",
        "street",
        "level",
    }
    assert "time_limits" in planned and "type" in planned["time_limits"].dimensions


def test_facts_give_the_live_figures_and_stay_so_after_every_kind_of_change(desk, monkeypatch):
    assert not reads_facts({"period": "year"})  # never built: live
    call_command("rebuild_report_facts", verbosity=0)
    assert FactsBuilt.objects.get(figure="complaints").through == through()
    assert not TouchedInstant.objects.filter(at__lt=built_end()).exists()
    assert reads_facts({"period": "year"})
    assert reads_facts({"period": "year", "by": "agent"})
    assert reads_facts({"period": "year", "street": "街道1"})  # the customer's place too
    assert_same(desk, monkeypatch)

    # The 00:30 ticket of a day counts on that local day (16:30 UTC the day before).
    edge = next(t for t in desk["tickets"] if t.created_at == local(40, 0, 30))
    assert DailyFact.objects.filter(
        figure=registry.get_figure("time_limits").key,
        dimension="",
        day=today() - dt.timedelta(days=40),
    ).exists()
    assert timezone.localtime(edge.created_at).date() == today() - dt.timedelta(days=40)

    # A closed ticket reopened (its closing day loses it), one moved to another department, the
    # deadline marks of a third written by QuerySet.update(), a customer erased.
    supervisor, manager = desk["supervisor"], desk["manager"]
    closed = next(
        t for t in Ticket.objects.filter(state=TicketState.CLOSED, closed_at__isnull=False)
    )
    reopen_ticket(
        actor=supervisor,
        ticket_id=closed.pk,
        expected_version=closed.version,
        reason="客户再次来电",
    )
    moving = Ticket.objects.filter(department=desk["tech"]).exclude(state=TicketState.CLOSED)[0]
    set_ticket_fields(
        actor=supervisor,
        ticket_id=moving.pk,
        expected_version=moving.version,
        department_id=desk["store"].pk,
    )
    marked = Ticket.objects.filter(first_breach_at__isnull=True, created_at__lt=local(30, 0))[0]
    Ticket.objects.filter(pk=marked.pk).update(first_breach_at=marked.created_at)
    erased = desk["customers"][2]
    Ticket.objects.filter(customer=erased, type=TicketType.COMPLAINT).update(
        state=TicketState.CLOSED, closed_at=local(3, 12)
    )
    privacy.request_erasure(actor=manager, customer=erased, reason="客户书面申请")
    erased.refresh_from_db()
    assert erased.street == ""

    touched = TouchedInstant.objects.filter(at__lt=built_end()).count()
    assert touched  # those days are computed live until the refresh
    assert_same(desk, monkeypatch)

    assert facts.refresh() > 0
    assert not TouchedInstant.objects.filter(at__lt=built_end()).exists()
    assert reads_facts({"period": "year"})
    assert_same(desk, monkeypatch)


def test_a_changed_definition_or_unbuilt_facts_are_computed_live(desk, monkeypatch):
    call_command("rebuild_report_facts", "complaints", verbosity=0)
    assert reads_facts({"period": "year"}, "complaints")
    assert not reads_facts({"period": "year"}, "consultations")
    FactsBuilt.objects.filter(figure="complaints").update(signature="an older definition")
    assert not reads_facts({"period": "year"}, "complaints")
    assert_same(desk, monkeypatch)
    # The scheduler's next refresh builds the changed figure again (an upgrade heals itself); a
    # figure never built stays live until somebody builds it.
    facts.refresh()
    assert reads_facts({"period": "year"}, "complaints")
    assert not reads_facts({"period": "year"}, "consultations")
    assert_same(desk, monkeypatch)


def test_a_deleted_record_leaves_its_day(desk, monkeypatch):
    call_command("rebuild_report_facts", verbosity=0)
    gone = Ticket.objects.filter(created_at__lt=local(30, 0)).order_by("created_at")[0]
    gone.delete()
    assert TouchedInstant.objects.filter(at=gone.created_at).exists()
    assert_same(desk, monkeypatch)
    facts.refresh()
    assert_same(desk, monkeypatch)


def marks() -> int:
    return TouchedInstant.objects.count()


def test_only_changes_to_built_days_write_marks(desk, monkeypatch):
    call_command("rebuild_report_facts", verbosity=0)
    TouchedInstant.objects.all().delete()
    supervisor = desk["supervisor"]

    # The hot paths: a new ticket, a chat started and updated again and again, a NULL instant.
    assert {"tickets_ticket", "conversations_conversation"} <= set(facts._columns_by_table())
    new = create_ticket(
        actor=supervisor,
        type=TicketType.COMPLAINT,
        subject="新工单",
        customer_id=desk["customers"][0].pk,
    )
    Ticket.objects.filter(pk=new.pk).update(closed_at=timezone.now())  # NULL before
    inbox = Inbox.objects.create(name="官网F")
    chat = Conversation.objects.create(inbox=inbox, visitor=Visitor.objects.create(inbox=inbox))
    for state in (ConversationState.OPEN, ConversationState.WAITING, ConversationState.OPEN):
        chat.state = state
        chat.save()
    assert marks() == 0

    # An update of a record of a built day: its one instant (unchanged by the update).
    old = Ticket.objects.filter(created_at__lt=local(10, 0), closed_at__isnull=True)[0]
    Ticket.objects.filter(pk=old.pk).update(subject="改过的标题")
    assert list(TouchedInstant.objects.values_list("at", flat=True)) == [old.created_at]
    assert_same(desk, monkeypatch)
    facts.refresh()
    assert marks() == 0
    assert_same(desk, monkeypatch)


def test_yesterday_is_live_until_it_is_built_and_right_after(desk, monkeypatch):
    # Built the day before (through = today - 3): the days since are live until the refresh.
    facts.rebuild(today=today() - dt.timedelta(days=1))
    assert FactsBuilt.objects.get(figure="complaints").through == through() - dt.timedelta(days=1)
    assert not DailyFact.objects.filter(day__gt=through() - dt.timedelta(days=1)).exists()
    supervisor = desk["supervisor"]
    for days_ago in (1, 2):  # yesterday's and the day before's tickets, written late
        create_ticket(
            actor=supervisor,
            type=TicketType.COMPLAINT,
            subject=f"补录 {days_ago}",
            customer_id=desk["customers"][0].pk,
            channel=Channel.PHONE,
            now=local(days_ago, 23, 50),
        )
    assert reads_facts({"period": "year"})
    assert_same(desk, monkeypatch)

    facts.refresh()  # the day before yesterday has closed: built
    assert FactsBuilt.objects.get(figure="complaints").through == through()
    assert DailyFact.objects.filter(figure="complaints", day=through()).exists()
    complaints = registry.get_figure("complaints")
    assert complaints is not None
    plan = facts.plan(complaints)
    assert plan is not None
    cut = facts.split(complaints, plan, today() - dt.timedelta(days=1), today())
    assert cut is not None and not cut.has_facts  # yesterday and today: still live
    assert_same(desk, monkeypatch)

    # The next day's refresh builds yesterday (its marks, if any, were read with it).
    facts.refresh(today=today() + dt.timedelta(days=1))
    assert FactsBuilt.objects.get(figure="complaints").through == today() - dt.timedelta(days=1)
    assert DailyFact.objects.filter(
        figure="complaints", day=today() - dt.timedelta(days=1)
    ).exists()
    assert_same(desk, monkeypatch)


# --- places: the customer's province, street and level (issue 13 items 2 and 5) ----------------


def test_the_places_through_the_customer_have_facts_and_farther_ones_do_not():
    planned = {f.key: p for f, p in facts.planned()}
    assert set(planned["complaints"].places) == {"region", "street", "level"}
    street = planned["complaints"].places["street"]
    assert (street.table, street.fk_column, street.column) == (
        "customers_customer",
        "customer_id",
        "street",
    )
    # Any column one foreign key away is kept so: the chats' channel is their inbox's kind.
    assert set(planned["chats"].places) == {"region", "street", "level", "channel"}
    assert "customers_customer" in facts._places_by_table()
    # The customers figure's province and street are its own columns.
    assert not planned["customers"].places
    assert {"region", "street", "level"} <= set(planned["customers"].dimensions)


@pytest.fixture
def streets(make_user):
    """Hand-counted: three customers, complaints over the last 120 days and today.

    李雷  广西 民族大道: complaints 10, 20 and 40 days ago (and a consultation 15 days ago)
    韩梅梅 广西 朝阳路:   complaints 5 and 100 days ago
    林涛  广东 民族大道: a complaint today (live whatever the facts)
    """
    supervisor = make_user(Role.SUPERVISOR)
    people = {
        name: Customer.objects.create(name=name, region=region, street=street)
        for name, region, street in (
            ("李雷", "广西", "民族大道"),
            ("韩梅梅", "广西", "朝阳路"),
            ("林涛", "广东", "民族大道"),
        )
    }
    for name, kind, days_ago in (
        ("李雷", TicketType.COMPLAINT, 10),
        ("李雷", TicketType.COMPLAINT, 20),
        ("李雷", TicketType.COMPLAINT, 40),
        ("李雷", TicketType.CONSULTATION, 15),
        ("韩梅梅", TicketType.COMPLAINT, 5),
        ("韩梅梅", TicketType.COMPLAINT, 100),
        ("林涛", TicketType.COMPLAINT, 0),
    ):
        create_ticket(
            actor=supervisor,
            type=kind,
            subject=f"{name} {days_ago}",
            customer_id=people[name].pk,
            now=local(days_ago, 0, 30) if days_ago else timezone.now(),
        )
    return people


def by_place(level: str, **values: str) -> dict[str, object]:
    figure = registry.get_figure("complaints")
    assert figure is not None
    filters = selectors.ReportFilters(
        since=today() - dt.timedelta(days=120), until=today(), values=values
    )
    table = selectors.region_table([figure], filters, level=level)
    return {row["key"]: row["values"][0] for row in table["rows"]}


def street_total(street: str) -> object:
    figure = registry.get_figure("complaints")
    assert figure is not None
    filters = selectors.ReportFilters(
        since=today() - dt.timedelta(days=120), until=today(), values={"street": street}
    )
    return selectors.total(figure, filters)


def counted(monkeypatch) -> tuple[object, ...]:
    """The hand-counted figures, read the way the pages read them now."""
    return (
        by_place("street"),
        by_place("region"),
        by_place("street", region="广西"),
        street_total("民族大道"),
        street_total("朝阳路"),
    )


def live_counted(monkeypatch) -> tuple[object, ...]:
    with monkeypatch.context() as patch:
        patch.setattr(facts, "split", lambda *args, **kwargs: None)
        return counted(monkeypatch)


def test_figures_by_street_are_the_hand_counted_ones_from_facts_and_live(streets, monkeypatch):
    before = (
        {"民族大道": 4, "朝阳路": 2},
        {"广西": 5, "广东": 1},
        {"民族大道": 3, "朝阳路": 2},
        4,
        2,
    )
    assert live_counted(monkeypatch) == before  # never built: live
    call_command("rebuild_report_facts", verbosity=0)
    assert reads_facts({"period": "year", "by": "street"})
    assert reads_facts({"period": "year", "street": "民族大道", "by": "street"})
    assert counted(monkeypatch) == before
    assert live_counted(monkeypatch) == before

    # 韩梅梅 moves to 民族大道: her complaints go with her, on the facts' days too (the place
    # follows the customer, as the live path reads it), before the refresh and after it.
    TouchedInstant.objects.all().delete()
    moved = streets["韩梅梅"]
    moved.street = "民族大道"
    moved.save()
    assert TouchedInstant.objects.filter(table="tickets_ticket").count() == 2
    after = (
        {"民族大道": 6},
        {"广西": 5, "广东": 1},
        {"民族大道": 5},
        6,
        0,
    )
    assert counted(monkeypatch) == after
    assert live_counted(monkeypatch) == after
    facts.refresh()
    assert not TouchedInstant.objects.exists()
    assert reads_facts({"period": "year", "by": "street"})
    assert counted(monkeypatch) == after
    assert live_counted(monkeypatch) == after

    # A save that leaves the place as it was, and a new customer, write no mark.
    moved.name = "韩梅梅（改名）"
    moved.save()
    Customer.objects.create(name="新客户", region="广西", street="朝阳路")
    assert not TouchedInstant.objects.exists()

    # Moved by QuerySet.update() (as an import does), province and level too.
    Customer.objects.filter(pk=streets["李雷"].pk).update(region="广东", level="vip")
    assert TouchedInstant.objects.filter(table="tickets_ticket").count() == 4
    moved_again = (
        {"民族大道": 6},
        {"广东": 4, "广西": 2},
        {"民族大道": 2},
        6,
        0,
    )
    assert counted(monkeypatch) == moved_again
    assert live_counted(monkeypatch) == moved_again
    facts.refresh()
    assert counted(monkeypatch) == moved_again


@pytest.mark.django_db(transaction=True)
def test_a_migrate_puts_back_the_place_triggers_it_drops_first():
    """SQLite checks every trigger naming a table a migration remakes: the place triggers (which
    name the records' tables) are dropped before a migrate and installed again after it."""
    on_customers = ("reports_place_customers_customer", "customers_customer")
    assert on_customers in facts.place_triggers()
    facts.drop_place_triggers()
    assert facts.place_triggers() == []
    call_command("migrate", verbosity=0)
    assert on_customers in facts.place_triggers()


def test_a_figure_s_definition_names_the_columns_its_sums_read_not_the_whole_table():
    """So a column a migration adds to the records' table leaves the built facts in use."""
    complaints = next(f for f in registry.figures() if f.key == "complaints")
    plan = facts.plan(complaints)
    assert plan is not None
    assert '"created_at"' in plan.definition  # the date the facts are cut by
    assert '"subject"' not in plan.definition and '"description"' not in plan.definition
