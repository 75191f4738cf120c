"""The stock page (issue 15 item 4): stock per SKU with the 16:00 shipping promise; supervisors set
counts, agents read, department staff are refused; hostile product names shown escaped."""

import datetime as dt
import html
from unittest import mock

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from conftest import HOSTILE_STRINGS, sign_in
from kefu.orders.models import Stock
from kefu.orders.services import promises

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_a_supervisor_sets_stock_and_an_agent_reads_the_promise(cast):
    supervisor = sign_in(Client(), cast.supervisor)
    response = supervisor.post(
        "/orders/stock/", {"sku": "LD-101", "name": "北欧吊灯", "quantity": "12"}
    )
    assert response.status_code == 302
    assert Stock.objects.get(sku="LD-101").quantity == 12
    agent = sign_in(Client(), cast.agent)
    page = agent.get("/orders/stock/?q=LD").content.decode()
    assert 'data-testid="stock-LD-101"' in page and "北欧吊灯" in page
    assert 'data-testid="stock-form"' not in page  # agents read only
    assert agent.post("/orders/stock/", {"sku": "LD-101", "quantity": "0"}).status_code == 403
    assert Stock.objects.get(sku="LD-101").quantity == 12
    assert sign_in(Client(), cast.staff).get("/orders/stock/").status_code == 403


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-12-07 15:59", "今天"),  # Monday before the cut-off
        ("2026-12-07 16:00", "明天"),  # at the cut-off: the next working day
        ("2026-12-11 17:00", "12-14"),  # Friday evening: Monday
    ],
)
def test_the_page_says_when_an_order_paid_now_ships(cast, now, expected):
    Stock.objects.create(sku="LD-101", quantity=3)
    with mock.patch.object(timezone, "now", return_value=at(now)):
        page = sign_in(Client(), cast.agent).get("/orders/stock/").content.decode()
    assert expected in page.split('data-testid="promise-today"')[1][:200]


@override_settings(KEFU_SHIPPING_CUTOFF="18:30")
def test_the_cut_off_is_configurable(cast):
    assert promises.cutoff() == dt.time(18, 30)
    assert "18:30" in sign_in(Client(), cast.agent).get("/orders/stock/").content.decode()


def test_bad_counts_are_refused(cast):
    supervisor = sign_in(Client(), cast.supervisor)
    for data in (
        {"sku": "", "quantity": "1"},
        {"sku": "A", "quantity": "1.5"},
        {"sku": "A", "quantity": "99999999999"},
    ):
        assert supervisor.post("/orders/stock/", data).status_code == 200
    assert Stock.objects.count() == 0


@pytest.mark.parametrize("hostile", HOSTILE_STRINGS)
def test_hostile_product_names_are_shown_escaped(cast, hostile):
    sign_in(Client(), cast.supervisor).post(
        "/orders/stock/", {"sku": "X-1", "name": hostile, "quantity": "1"}
    )
    stored = Stock.objects.get(sku="X-1").name
    page = sign_in(Client(), cast.agent).get("/orders/stock/").content.decode()
    if "<" in hostile:
        assert hostile not in page
    assert html.escape(stored) in page
