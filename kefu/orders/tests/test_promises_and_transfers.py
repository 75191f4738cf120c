"""Stock and the shipping rule in one line (item 4), and the bank-transfer register (item 1)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from kefu.core.errors import DomainError, PermissionRefused
from kefu.orders.models import BankTransfer, Stock
from kefu.orders.services import promises
from kefu.orders.services.orders import record_bank_transfer
from kefu.orders.tests.conftest import api

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


def test_paid_before_the_cut_off_on_a_working_day_ships_today():
    # 2026-12-04 is a Friday
    assert promises.ship_day(paid_at=at(2026, 12, 4, 15, 59), in_stock=True) == dt.date(2026, 12, 4)
    assert promises.ship_day(paid_at=at(2026, 12, 4, 16, 0), in_stock=True) == dt.date(2026, 12, 7)
    assert promises.ship_day(paid_at=at(2026, 12, 5, 10, 0), in_stock=True) == dt.date(2026, 12, 7)
    assert promises.ship_day(paid_at=at(2026, 12, 4, 10, 0), in_stock=False) is None
    # National Day: 2026-10-01 to 10-07 are holidays, 10-10 a working Saturday
    assert promises.ship_day(paid_at=at(2026, 10, 2, 9, 0), in_stock=True) == dt.date(2026, 10, 8)


@override_settings(KEFU_SHIPPING_CUTOFF="12:30")
def test_the_cut_off_is_configurable():
    assert promises.ship_day(paid_at=at(2026, 12, 4, 12, 29), in_stock=True) == dt.date(2026, 12, 4)
    assert promises.ship_day(paid_at=at(2026, 12, 4, 12, 31), in_stock=True) == dt.date(2026, 12, 7)


def test_one_line_for_the_agent(cast):
    promises.set_stock(actor=cast.supervisor, sku="LD-101", quantity=8, name="北欧吊灯")
    promises.set_stock(actor=cast.supervisor, sku="LD-205", quantity=0)
    line = promises.promise_for(sku="LD-101", paid_at=at(2026, 12, 4, 10, 0)).line
    assert line == "LD-101：现货 8 件；现在付款，今天发货（截单时间 16:00）。"
    friday_evening = promises.promise_for(sku="LD-101", paid_at=at(2026, 12, 4, 17, 0))
    assert friday_evening.ships_on == dt.date(2026, 12, 7) and "12-07" in friday_evening.line
    assert "缺货" in promises.promise_for(sku="LD-205").line
    assert promises.promise_for(sku="NOPE").in_stock is None
    with pytest.raises(PermissionRefused):
        promises.set_stock(actor=cast.agent, sku="LD-101", quantity=1)
    assert Stock.objects.get(sku="LD-101").quantity == 8


def test_the_promise_box_and_api(cast, signed_in):
    promises.set_stock(actor=cast.supervisor, sku="LD-101", quantity=3)
    agent = signed_in(cast.agent)
    fragment = agent.get("/orders/promise/?sku=LD-101").content.decode()
    assert "LD-101：现货 3 件" in fragment
    assert signed_in(cast.inspector).get("/orders/promise/?sku=LD-101").status_code == 403
    answer = api(agent, "get", "/stock/LD-101/promise")
    assert answer.status_code == 200 and answer.json()["in_stock"] == 3
    assert api(agent, "put", "/stock/LD-101", {"quantity": 9}).status_code == 403
    updated = api(signed_in(cast.supervisor), "put", "/stock/LD-101", {"quantity": 9})
    assert updated.json()["in_stock"] == 9


def test_the_bank_transfer_register(cast, make_order, signed_in):
    order = make_order(payment_method="bank_transfer")
    transfer = record_bank_transfer(
        actor=cast.agent,
        order=order,
        payer="王芳",
        bank="中国工商银行",
        amount_fen=25600,
        transferred_on=dt.date(2026, 12, 5),
        reference="ICBC001",
    )
    assert transfer.order == order
    other = make_order(number="X2")
    with pytest.raises(DomainError):
        record_bank_transfer(
            actor=cast.agent,
            order=other,
            payer="x",
            bank="",
            amount_fen=100,
            transferred_on=dt.date(2026, 12, 5),
        )
    client = signed_in(cast.agent)
    client.post(
        f"/orders/{order.pk}/transfers/",
        {"payer": "王芳", "amount": "10.005", "transferred_on": "2026-12-05"},
    )
    assert BankTransfer.objects.count() == 1  # three decimals refused
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "中国工商银行" in page and "¥256.00" in page
    made = api(
        client,
        "post",
        f"/orders/{order.pk}/transfers",
        {"payer": "王芳", "amount": "1.50", "transferred_on": "2026-12-05"},
    )
    assert made.status_code == 201 and made.json()["amount_fen"] == 150
