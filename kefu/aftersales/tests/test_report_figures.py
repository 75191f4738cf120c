"""Orders, after-sales and feedback in the reports (docs/reports.md): each app's figures counted by
SQL over the period, broken down, and shown on the report page in Chinese."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.aftersales import money, reviews, services
from kefu.aftersales.tests.test_cases import Cast
from kefu.customers.services.profiles import ContactPoints, create_customer
from kefu.feedback import services as feedback
from kefu.orders.services.orders import clean_order, record_order
from kefu.orders.tests.conftest import order_body
from kefu.reports import registry, selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


def today_filters(**more):
    day = timezone.localdate().isoformat()
    return selectors.parse_filters({"since": day, "until": day, **more})


def test_orders_cases_reviews_money_and_feedback_figures(cast, make_user):
    customer = create_customer(
        actor=cast.supervisor, name="王芳", contacts=ContactPoints({"mobile": ["13800138000"]})
    )
    first, _ = record_order(actor=cast.supervisor, data=clean_order(order_body(state="received")))
    record_order(
        actor=cast.supervisor,
        data=clean_order(order_body(number="2026120500002", platform="jd", state="paid")),
    )
    case = services.open_case(
        actor=cast.agent, order=first, kind="refund_only", reason="少发配件", refund_fen=1000
    )
    money.add_money_line(actor=cast.agent, case=case, kind="postage", amount_fen=800, reason="运费")
    for outcome in ("revised", "explained"):
        review = reviews.record_review(
            actor=cast.agent,
            order=first,
            rating="negative",
            text="差评",
            reviewed_on=timezone.localdate() - dt.timedelta(days=1),
        )
        reviews.contact_reviewer(
            actor=cast.agent, review=review, note="电话", no_money_offered=True
        )
        reviews.close_review(actor=cast.agent, review=review, outcome=outcome)
    feedback.submit_report(
        actor=cast.agent,
        customer=customer,
        channel="chat",
        category="bug",
        severity="high",
        title="灯不亮",
    )
    filters = today_filters()
    totals = {
        key: selectors.total(registry.get_figure(key), filters)
        for key in (
            "orders",
            "aftersales_cases",
            "reviews_revised",
            "money_lines",
            "feedback_reports",
        )
    }
    assert {k: float(v) for k, v in totals.items()} == {
        "orders": 2.0,
        "aftersales_cases": 1.0,
        "reviews_revised": 50.0,
        "money_lines": 1.0,
        "feedback_reports": 1.0,
    }
    by, rows = selectors.breakdown(registry.get_figure("orders"), filters)
    assert by == "platform"
    assert sorted((r["label"], r["value"]) for r in rows) == [("京东", 1), ("淘宝", 1)]
    # the page's "channel" filter (tickets' channels) is not applied to feedback's channel
    assert (
        selectors.total(registry.get_figure("feedback_reports"), today_filters(channel="phone"))
        == 1
    )
    manager = sign_in(Client(), make_user(Role.MANAGER))
    index = manager.get("/reports/").content.decode()
    for label in ("售后单", "中差评修改率", "反馈和BUG"):
        assert label in index
    page = manager.get("/reports/orders/?by=platform").content.decode()
    assert "平台" in page and "京东" in page
    assert sign_in(Client(), cast.agent).get("/reports/orders/").status_code == 403
