"""The calls page (/telephony/): newest call first by call time, paged without gaps, and each role sees
what it may see."""

import datetime as dt
import re

import pytest
from django.test import Client

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.core import querysets
from kefu.customers.services.profiles import ContactPoints, create_customer
from kefu.telephony import services
from kefu.tickets.services.tickets import create_ticket

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, 0, tzinfo=SHANGHAI)


def listed(client, query: str = "") -> list[int]:
    """The call ids on the page, top to bottom, and the next page's link."""
    page = client.get(f"/telephony/{query}").content.decode()
    return [int(i) for i in re.findall(r'href="/telephony/(\d+)/"', page)]


def next_link(client, query: str = "") -> str | None:
    page = client.get(f"/telephony/{query}").content.decode()
    found = re.search(r'href="\?([^"]*cursor=[^"]*)"', page)
    return "?" + found.group(1).replace("&amp;", "&") if found else None


def record(actor, started_at, **kwargs):
    return services.record_call(
        actor=actor,
        direction="in",
        number=kwargs.pop("number", "13700001111"),
        outcome="answered",
        started_at=started_at,
        **kwargs,
    ).pk


def test_calls_are_listed_newest_first_by_call_time_not_by_record_number(cast):
    # given three calls entered out of order: the last one entered happened first
    first_entered = record(cast.agent, at(5, 10))
    second_entered = record(cast.agent, at(6, 9))
    entered_late = record(cast.agent, at(4, 16))
    # when the agent opens the calls page
    ids = listed(sign_in(Client(), cast.agent))
    # then they are in call-time order, newest first
    assert ids == [second_entered, first_entered, entered_late]


def test_paging_by_call_time_walks_every_call_once_also_on_equal_times(cast):
    # given 60 calls, twenty of them at the very same moment
    moments = [at(1 + i // 3, 9 + i % 3) for i in range(40)] + [at(20, 12)] * 20
    calls = [(record(cast.supervisor, moment), moment) for moment in moments]
    client = sign_in(Client(), cast.supervisor)
    # when the supervisor walks the pages
    first = listed(client)
    cursor = next_link(client)
    second = listed(client, cursor)
    # then the two pages hold every call once, in call-time order (equal times: newer record first)
    assert len(first) == 50 and len(second) == 10
    assert next_link(client, cursor) is None
    assert first + second == [
        pk for pk, _ in sorted(calls, key=lambda c: (c[1], c[0]), reverse=True)
    ]


def test_a_bad_cursor_shows_the_first_page(cast):
    newest = record(cast.agent, at(5, 10))
    client = sign_in(Client(), cast.agent)
    for cursor in ("abc", "99999999999999999999_1", "1_-5", "_", "12_99999999999999999999"):
        response = client.get(f"/telephony/?cursor={cursor}")
        assert response.status_code == 200
        assert listed(client, f"?cursor={cursor}") == [newest]


@pytest.fixture(params=["few", "many"])
def agents_calls(request, monkeypatch):
    """Both ways an agent's list is read: through the indexes (few calls) or walking newest first."""
    if request.param == "many":
        monkeypatch.setattr(querysets, "FEW", 1)
    return request.param


def test_what_each_role_sees_on_the_calls_page(cast, make_user, agents_calls):
    # given calls the agent took, entered, or that belong to customers the agent may see, and others
    own_customer = create_customer(
        actor=cast.agent, name="张伟", contacts=ContactPoints({"mobile": ["13800138000"]})
    )
    others_customer = create_customer(
        actor=cast.agent2, name="王芳", contacts=ContactPoints({"mobile": ["13900139000"]})
    )
    taken = record(cast.supervisor, at(2, 10), agent=cast.agent)
    entered = record(cast.agent, at(2, 11), agent=cast.agent2)
    of_own_customer = record(
        cast.supervisor, at(2, 12), agent=cast.agent2, customer_id=own_customer.pk
    )
    of_others_customer = record(
        cast.supervisor, at(2, 13), agent=cast.agent2, customer_id=others_customer.pk
    )
    unlinked_other = record(cast.supervisor, at(2, 14), agent=cast.agent2, number="13611112222")
    everything = [unlinked_other, of_others_customer, of_own_customer, entered, taken]
    # then the agent sees theirs and their customer's, newest first; the other agent only theirs
    assert listed(sign_in(Client(), cast.agent)) == [of_own_customer, entered, taken]
    assert listed(sign_in(Client(), cast.agent2)) == [
        unlinked_other,
        of_others_customer,
        of_own_customer,
        entered,
    ]  # took all four; not the supervisor's call given to our agent
    # and the customers page shows the agent the customer they created, not the other agent's
    customers_page = sign_in(Client(), cast.agent).get("/customers/").content.decode()
    assert f"/customers/{own_customer.pk}/" in customers_page
    assert f"/customers/{others_customer.pk}/" not in customers_page
    # and supervisors and inspectors see every call; department staff may not open the page
    assert listed(sign_in(Client(), cast.supervisor)) == everything
    assert listed(sign_in(Client(), cast.inspector)) == everything
    # an inspector hears calls but may not open the archive: customers are named, not linked (the
    # links answered 403)
    inspectors = sign_in(Client(), cast.inspector).get("/telephony/").content.decode()
    assert "张伟" in inspectors and f"/customers/{own_customer.pk}/" not in inspectors
    call_page = sign_in(Client(), cast.inspector).get(f"/telephony/{of_own_customer}/")
    assert "张伟" in call_page.content.decode()
    assert f"/customers/{own_customer.pk}/" not in call_page.content.decode()
    calls_page = sign_in(Client(), cast.agent2).get("/telephony/").content.decode()
    assert f"/customers/{others_customer.pk}/" in calls_page  # the agents' links stay
    staff = sign_in(Client(), make_user(Role.DEPARTMENT_STAFF))
    assert staff.get("/telephony/").status_code == 403


def test_an_agent_sees_the_calls_of_a_customer_they_served(cast, agents_calls):
    # given a call of another agent's customer
    customer = create_customer(
        actor=cast.agent2, name="李娜", contacts=ContactPoints({"mobile": ["13500135000"]})
    )
    call = record(cast.agent2, at(3, 9), agent=cast.agent2, customer_id=customer.pk)
    assert listed(sign_in(Client(), cast.agent)) == []
    # when our agent serves that customer (a ticket on the customer's timeline)
    create_ticket(actor=cast.agent, type="consultation", subject="咨询", customer_id=customer.pk)
    # then the agent sees the customer's call
    assert listed(sign_in(Client(), cast.agent)) == [call]
