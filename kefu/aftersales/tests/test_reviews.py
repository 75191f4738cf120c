"""Neutral and negative reviews (issue 15 item 7): recorded, contacted, closed with an outcome;
never with money offered."""

import datetime as dt

import pytest
from django.test import Client

from conftest import HOSTILE_STRINGS, sign_in
from kefu.accounts.roles import Role
from kefu.aftersales import reviews
from kefu.aftersales.events import ReviewClosed
from kefu.aftersales.models import Review, ReviewState
from kefu.core.errors import DomainError, InvalidState, PermissionRefused
from kefu.core.events import Delivery, subscribe, unsubscribe
from kefu.core.models import TimelineEntry
from kefu.customers.services.profiles import ContactPoints, create_customer
from kefu.orders.services.orders import clean_order, record_order
from kefu.orders.tests.conftest import order_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user):
    return {
        "agent": make_user(Role.AGENT),
        "supervisor": make_user(Role.SUPERVISOR),
        "inspector": make_user(Role.INSPECTOR),
    }


@pytest.fixture
def order(people):
    customer = create_customer(
        actor=people["supervisor"], name="王芳", contacts=ContactPoints({"mobile": ["13800138000"]})
    )
    made, _ = record_order(
        actor=people["supervisor"], data=clean_order(order_body(state="received"))
    )
    assert made.customer_id == customer.pk
    return made


def test_a_bad_review_is_contacted_and_closed(people, order, django_capture_on_commit_callbacks):
    agent = people["agent"]
    review = reviews.record_review(
        actor=agent, order=order, rating="negative", text="灯不亮", reviewed_on=dt.date(2026, 12, 1)
    )
    with pytest.raises(InvalidState):
        reviews.close_review(actor=agent, review=review, outcome="revised")
    with pytest.raises(DomainError):
        reviews.contact_reviewer(
            actor=agent, review=review, note="答应返现10元改评", no_money_offered=False
        )
    review.refresh_from_db()
    assert review.state == ReviewState.OPEN and review.contact_note == ""
    review = reviews.contact_reviewer(
        actor=agent, review=review, note="电话联系，灯泡未拧紧，指导后已亮", no_money_offered=True
    )
    got = []
    subscribe(ReviewClosed, got.append, mode=Delivery.INLINE)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            review = reviews.close_review(actor=agent, review=review, outcome="revised")
    finally:
        unsubscribe(ReviewClosed, got.append)
    assert review.state == ReviewState.CLOSED and review.outcome == "revised"
    assert [(e.review_id, e.outcome) for e in got] == [(review.pk, "revised")]
    kinds = set(
        TimelineEntry.objects.filter(customer_id=order.customer_id).values_list("kind", flat=True)
    )
    assert {
        "aftersales.review_recorded",
        "aftersales.review_contacted",
        "aftersales.review_closed",
    } <= kinds


def test_review_input_is_checked(people, order):
    with pytest.raises(PermissionRefused):
        reviews.record_review(
            actor=people["inspector"],
            order=order,
            rating="negative",
            text="x",
            reviewed_on=dt.date(2026, 12, 1),
        )
    with pytest.raises(DomainError):
        reviews.record_review(
            actor=people["agent"],
            order=order,
            rating="good",
            text="x",
            reviewed_on=dt.date(2026, 12, 1),
        )
    with pytest.raises(DomainError):
        reviews.record_review(
            actor=people["agent"],
            order=order,
            rating="neutral",
            text="x",
            reviewed_on=dt.date(2099, 1, 1),
        )
    assert not Review.objects.exists()


def test_the_review_pages(people, order):
    agent = sign_in(Client(), people["agent"])
    response = agent.post(
        f"/aftersales/reviews/new/{order.pk}/",
        {"rating": "neutral", "text": HOSTILE_STRINGS[0], "reviewed_on": "2026-12-01"},
    )
    review = Review.objects.get()
    assert response.status_code == 302
    page = agent.get(f"/aftersales/reviews/{review.pk}/").content.decode()
    assert "<script>alert" not in page and "中评" in page
    agent.post(f"/aftersales/reviews/{review.pk}/", {"action": "contact", "note": "已解释"})
    review.refresh_from_db()
    assert review.state == ReviewState.OPEN  # the no-money confirmation was not ticked
    agent.post(
        f"/aftersales/reviews/{review.pk}/",
        {"action": "contact", "note": "已解释", "no_money": "on"},
    )
    agent.post(f"/aftersales/reviews/{review.pk}/", {"action": "close", "outcome": "explained"})
    review.refresh_from_db()
    assert review.outcome == "explained"
    assert agent.get("/aftersales/reviews/").status_code == 200
    inspector = sign_in(Client(), people["inspector"])
    assert inspector.get("/aftersales/reviews/").status_code == 403
    assert inspector.get(f"/aftersales/reviews/{review.pk}/").status_code == 403


def test_a_merge_moves_cases_and_reviews(people, order, django_capture_on_commit_callbacks):
    from kefu.aftersales import services
    from kefu.customers.services.merging import merge_customers

    review = reviews.record_review(
        actor=people["agent"],
        order=order,
        rating="neutral",
        text="一般",
        reviewed_on=dt.date(2026, 12, 1),
    )
    case = services.open_case(actor=people["agent"], order=order, kind="exchange", reason="换色")
    survivor = create_customer(
        actor=people["supervisor"], name="王芳2", contacts=ContactPoints({"qq": ["123456"]})
    )
    with django_capture_on_commit_callbacks(execute=True):
        merge_customers(actor=people["supervisor"], survivor=survivor, duplicate=order.customer)
    review.refresh_from_db()
    case.refresh_from_db()
    assert review.customer_id == survivor.pk and case.customer_id == survivor.pk
