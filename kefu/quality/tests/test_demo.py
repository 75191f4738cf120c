"""The demo's quality checks: the demo chats checked, some with findings, reviews and an appeal."""

import pytest

from kefu.accounts.roles import Role
from kefu.conversations import demo as chats
from kefu.conversations.tests.conftest import make_agent
from kefu.quality import demo
from kefu.quality.models import Finding, Inspection, Review, ReviewState
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_demo_checks_reviews_and_appeals_once():
    for _ in range(3):
        make_agent(max_chats=50)
    make_agent(role=Role.SUPERVISOR)
    UserFactory(role=Role.INSPECTOR)
    chats.build(password="x", count=40)
    demo.build(password="x")
    assert Inspection.objects.count() >= 20
    assert Finding.objects.filter(severe=True).exists()
    assert Review.objects.filter(state=ReviewState.APPEALED).count() == 1
    assert Review.objects.filter(state=ReviewState.DONE).exists()
    checked = Inspection.objects.count()
    demo.build(password="x")
    assert Inspection.objects.count() == checked
