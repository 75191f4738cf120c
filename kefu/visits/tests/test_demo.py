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


def test_the_demo_has_a_sent_holiday_greeting_with_delivery_reports_and_one_opted_out():
    """关怀 beside the plan: the last festival's greeting sent to customers who consented, each
    SMS with its delivery report (two failed, with the provider's words), the customer who replied
    T (退订) left out with the reason; a second build adds nothing."""
    from kefu.customers.models import Consent, ConsentSource
    from kefu.sms import demo as sms_demo
    from kefu.sms.models import SmsMessage, SmsStatus
    from kefu.visits.models import CareKind, CareMessage, CareState

    accounts_demo.build(password="Demo-2026-pass")
    sms_demo.build(password="unused")
    for i in range(10):
        Customer.objects.create(name=f"会员{i}", level=Level.MEMBER, mobile=f"+86138001380{i:02d}")
    demo.build(password="unused")

    greetings = CareMessage.objects.filter(kind=CareKind.HOLIDAY).order_by("id")
    assert greetings.count() == demo.CARED
    assert len({m.occasion for m in greetings}) == 1
    assert greetings[0].params["holiday"]
    skipped = greetings.get(state=CareState.SKIPPED)
    assert skipped.reason and skipped.sms_id is None
    assert Consent.objects.filter(
        customer=skipped.customer, given=False, source=ConsentSource.SMS_REPLY
    ).exists()
    sent = greetings.filter(state=CareState.SENT)
    assert sent.count() == demo.CARED - 1
    reports = SmsMessage.objects.filter(pk__in=sent.values("sms_id"))
    assert reports.filter(status=SmsStatus.DELIVERED, delivered_at__isnull=False).count() == 5
    failed = reports.filter(status=SmsStatus.FAILED)
    assert failed.count() == 2 and all(m.error for m in failed)
    assert not reports.filter(customer=skipped.customer).exists()

    demo.build(password="unused")
    assert CareMessage.objects.count() == demo.CARED
    assert SmsMessage.objects.count() == reports.count()
