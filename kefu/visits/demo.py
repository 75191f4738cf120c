"""Demo data of return visits: this month's plan over the members, approved and issued, with some
visits done (satisfied, average, dissatisfied, not reached); the surveys after them; and the last
festival's care greeting 节日关怀, sent, with each SMS's delivery report and one customer who had
opted out (退订) left out."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from kefu.accounts.models import User
from kefu.core.business_calendar import BusinessCalendar
from kefu.customers.models import ConsentPurpose, ConsentSource, Customer
from kefu.customers.services.consent import record_consent
from kefu.sms.models import SmsMessage
from kefu.sms.services import record_delivery
from kefu.visits import selectors, services
from kefu.visits.models import (
    CampaignState,
    CareKind,
    CareMessage,
    ReturnVisit,
    SurveyChannel,
    SurveyTrigger,
    VisitCampaign,
    VisitChannel,
    VisitRecord,
    VisitState,
)
from kefu.visits.services import care, surveys

SCORES = {"satisfied": ("5", "4"), "average": ("3",), "dissatisfied": ("2", "1")}

ANSWERS = [
    ("satisfied", "", "", "希望多开几个充值点"),
    ("satisfied", "", "", ""),
    ("satisfied", "卡很好用", "", "周末也能办理就好了"),
    ("average", "", "排队时间有点长", "高峰期多开窗口"),
    ("dissatisfied", "", "客服态度一般，回复慢", ""),
]


def build(*, password: str) -> None:
    build_care()
    if VisitCampaign.objects.exists():
        return
    drafter = User.objects.filter(username="supervisor1").first()
    approver = User.objects.filter(username="manager").first()
    if drafter is None or approver is None:
        return
    today = timezone.localdate()
    first = today.replace(day=1)
    next_first, _next_last = services.next_month(first)
    last = next_first - dt.timedelta(days=1)
    plan = services.create_campaign(
        actor=drafter,
        title=f"{first:%Y-%m} 会员满意度回访",
        purpose="了解会员对停车卡充值和客服的评价",
        service_item="停车卡充值",
        period_start=first,
        period_end=last,
        rules={"levels": ["member", "vip"]},
        planned_count=60,
    )
    if not selectors.preview(plan)["kept"]:
        return
    services.submit_campaign(actor=drafter, campaign_id=plan.pk)
    services.decide_campaign(actor=approver, campaign_id=plan.pk, approve=True)
    services.start_issuing(actor=drafter, campaign_id=plan.pk)
    issued = services.issue_campaign(campaign_id=plan.pk)
    if issued is None or issued.state != CampaignState.ISSUED:
        return
    rng = random.Random(2026)
    for visit in ReturnVisit.objects.filter(campaign=plan, state=VisitState.OPEN)[:18]:
        agent = visit.assignee
        if rng.random() < 0.2:
            services.record_visit(
                actor=agent, visit_id=visit.pk, reached=False, unreached_reason="no_answer"
            )
            continue
        satisfaction, product, service, suggestion = rng.choice(ANSWERS)
        services.record_visit(
            actor=agent,
            visit_id=visit.pk,
            reached=True,
            satisfaction=satisfaction,
            product_opinion=product,
            service_opinion=service,
            suggestions=suggestion,
        )
    build_surveys(drafter=drafter, rng=rng)
    # No complaint is opened from the demo's answers: the tickets' demo keeps its own numbers
    # (kefu/tickets/tests/test_demo.py); the button waits on the dissatisfied visits.
    # next month's draft, as the 25th leaves it
    services.remind_next_month_plan()


def build_surveys(*, drafter: User, rng: random.Random) -> None:
    """A survey after each visit, answered by the customers reached (scores following what they
    told the agent); the low ones have their follow-up visit."""
    survey = surveys.create_survey(
        actor=drafter,
        title="回访满意度调查",
        intro="感谢您接受回访，请花一分钟评价我们的服务。",
        trigger=SurveyTrigger.VISIT,
        channel=SurveyChannel.WIDGET,  # no SMS from the demo
        questions="score: 您对本次回访服务满意吗？\nchoice: 您的问题解决了吗？ | 已解决 | 未解决\ntext: 您的建议",
    )
    questions = list(survey.questions.all())
    for record in VisitRecord.objects.filter(reached=True).select_related("visit"):
        invitation = surveys.invite(
            survey_id=survey.pk,
            customer_id=record.visit.customer_id,
            source=SurveyTrigger.VISIT,
            source_id=record.visit_id,
            agent_id=record.visit.assignee_id,
        )
        if invitation is None or rng.random() < 0.25:
            continue  # not every customer answers
        score = rng.choice(SCORES.get(record.satisfaction, ("4",)))
        surveys.answer_survey(
            token=surveys.token_for(invitation),
            answers={
                str(questions[0].pk): score,
                str(questions[1].pk): "已解决" if score >= "3" else "未解决",
                str(questions[2].pk): record.suggestions,
            },
        )


CARED = 8  # customers greeted on the last festival
# The delivery reports (回执) of the greetings, by position: delivered, or failed with the
# provider's words; the rest delivered.
FAILURES = {2: ("MOBILE_NOT_ON", "用户手机关机"), 5: ("MOBILE_ACCOUNT_ABNORMAL", "号码停机")}


def build_care() -> None:
    """The last festival of the business calendar (within a year): a holiday greeting to the first
    customers with a mobile, who consented to care messages but one who replied T (退订, recorded
    as consent withdrawn): it is scheduled through the care service, sent on the festival's
    morning through the console SMS backend (nothing leaves the machine), and each message gets
    its delivery report. Built once: nothing if a holiday greeting exists."""
    if CareMessage.objects.filter(kind=CareKind.HOLIDAY).exists():
        return
    manager = User.objects.filter(username="manager").first()
    today = timezone.localdate()
    festivals = BusinessCalendar().holidays_between(today - dt.timedelta(days=365), today)
    if manager is None or not festivals:
        return
    festival = festivals[-1]
    people = list(
        Customer.objects.filter(merged_into__isnull=True)
        .exclude(mobile="")
        .order_by("id")
        .values_list("pk", flat=True)[:CARED]
    )
    if len(people) < 2:
        return
    zone = ZoneInfo(settings.TIME_ZONE)
    for n, customer_id in enumerate(people):
        opted_out = n == len(people) - 1
        record_consent(
            actor=None,
            customer_id=customer_id,
            purpose=ConsentPurpose.CARE,
            given=True,
            source=ConsentSource.IMPORT,
            now=dt.datetime.combine(festival.date - dt.timedelta(days=30), dt.time(9), zone),
        )
        if opted_out:
            record_consent(
                actor=None,
                customer_id=customer_id,
                purpose=ConsentPurpose.CARE,
                given=False,
                source=ConsentSource.SMS_REPLY,
                now=dt.datetime.combine(festival.date - dt.timedelta(days=3), dt.time(20), zone),
            )
    send_at = dt.datetime.combine(festival.date, care.SEND_HOUR, zone)
    care.schedule_care(
        actor=manager,
        kind=CareKind.HOLIDAY,
        occasion=festival.date,
        customers=people,
        send_at=send_at,
        params={"holiday": festival.name},
        channel=VisitChannel.SMS,
    )
    care.send_due_care(now=send_at + dt.timedelta(minutes=1), backend="console")
    sent = CareMessage.objects.filter(
        kind=CareKind.HOLIDAY, occasion=festival.date, sms_id__isnull=False
    ).order_by("id")
    messages = SmsMessage.objects.filter(pk__in=sent.values("sms_id")).order_by("id")
    for n, message in enumerate(messages):
        code, words = FAILURES.get(n, ("DELIVERED", ""))
        record_delivery(
            provider=message.provider,
            provider_message_id=message.provider_message_id,
            delivered=not words,
            error=words,
            code=code,
            at=send_at + dt.timedelta(minutes=2 + n),
        )
