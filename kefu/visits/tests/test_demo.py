"""The demo's visits: a plan of this month issued, visits done with varied answers."""

import pytest

from kefu.accounts import demo as accounts_demo
from kefu.customers.models import Customer, Level
from kefu.visits import demo
from kefu.visits.models import (
    CampaignState,
    SurveyAnswer,
    SurveyInvitation,
    VisitCampaign,
    VisitRecord,
)

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_plan_in_progress_and_varied_answers():
    accounts_demo.build(password="Demo-2026-pass")
    for i in range(30):
        Customer.objects.create(name=f"会员{i}", level=Level.MEMBER)
    demo.build(password="unused")
    plan = VisitCampaign.objects.order_by("id").first()
    assert plan.state == CampaignState.ISSUED and plan.issued_count == 30
    records = VisitRecord.objects.all()
    assert records.count() == 18
    assert len({r.satisfaction for r in records}) >= 3
    assert VisitCampaign.objects.count() == 2  # next month's draft, as the 25th leaves it
    reached = records.filter(reached=True).count()
    assert SurveyInvitation.objects.count() == reached
    answers = SurveyAnswer.objects.all()
    assert 0 < answers.count() <= reached
    assert len({a.score for a in answers}) >= 2
    demo.build(password="unused")  # a second build changes nothing
    assert VisitRecord.objects.count() == 18
    assert SurveyInvitation.objects.count() == reached
