"""Care campaigns on the care page 客户关怀: a holiday greeting picks one of the business calendar's
festivals (lunar ones included) and takes its date; an event or promotion (活动/促销关怀) has its
day, range and words and goes only to customers who consented to marketing messages; either is
sent by SMS or by e-mail as chosen, previewed first with who is left out and why; the e-mails of a
batch read their template once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.accounts.roles import Role
from kefu.core.business_calendar import BusinessCalendar, Holiday
from kefu.core.errors import DomainError
from kefu.core.models import CalendarDayKind
from kefu.customers.models import ConsentPurpose, ConsentSource, Customer, Level
from kefu.customers.services.consent import record_consent
from kefu.sms.models import SmsMessage, SmsTemplate
from kefu.visits.models import CareKind, CareMessage, CareState
from kefu.visits.services import care
from kefu.web import services as web_services

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 12, 7)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args).replace(tzinfo=SH)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("kefu.visits.selectors.local_today", lambda now=None: TODAY)


@pytest.fixture
def templates(db):
    SmsTemplate.objects.create(
        code="care_holiday", name="节日关怀", body="{name}您好，{holiday}快乐！"
    )
    SmsTemplate.objects.create(code="care_event", name="活动关怀", body="{name}您好，{date}{text}")
    SmsTemplate.objects.create(
        code="care_promotion", name="促销关怀", body="{name}您好，{text}，回T退订"
    )


def customer(
    name: str,
    *,
    care_ok: bool = False,
    marketing_ok: bool = False,
    mobile: str = "+8613800138000",
    **kw,
) -> Customer:
    made = Customer.objects.create(name=name, mobile=mobile, **kw)
    for purpose, given in (
        (ConsentPurpose.CARE, care_ok),
        (ConsentPurpose.MARKETING, marketing_ok),
    ):
        if given:
            record_consent(
                actor=None,
                customer_id=made.pk,
                purpose=purpose,
                given=True,
                source=ConsentSource.IMPORT,
            )
    return made


# --- the festivals of the business calendar ---------------------------------------------------------


def test_the_calendar_names_each_festival_once_at_its_first_day_lunar_ones_included():
    found = BusinessCalendar().holidays_between(dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert found == [
        Holiday(dt.date(2027, 1, 1), "元旦"),
        Holiday(dt.date(2027, 2, 5), "农历除夕"),
        Holiday(dt.date(2027, 2, 6), "春节"),  # not again on 7 and 8 Feb, nor its 补假 days
        Holiday(dt.date(2027, 4, 5), "清明节"),
        Holiday(dt.date(2027, 5, 1), "劳动节"),
        Holiday(dt.date(2027, 6, 9), "端午节"),
        Holiday(dt.date(2027, 9, 15), "中秋节"),
        Holiday(dt.date(2027, 10, 1), "国庆节"),
    ]
    # the rest days moved by 调休 are no festival
    names = [h.name for h in BusinessCalendar().holidays_between(dt.date(2026, 1, 1), TODAY)]
    assert not [n for n in names if "休息日" in n or "补假" in n]


def test_a_managers_day_off_is_offered_and_a_holiday_made_a_workday_is_not(make_user):
    manager = make_user(Role.MANAGER)
    web_services.set_calendar_day(
        actor=manager, date=dt.date(2027, 3, 20), kind=CalendarDayKind.HOLIDAY, name="店庆日"
    )
    web_services.set_calendar_day(
        actor=manager, date=dt.date(2027, 6, 9), kind=CalendarDayKind.WORKDAY, name=""
    )
    offered = care.coming_holidays()
    assert (dt.date(2027, 3, 20), "店庆日") in offered
    assert (dt.date(2027, 9, 15), "中秋节") in offered
    assert all(day != dt.date(2027, 6, 9) for day, _name in offered)  # 端午 worked this year
    assert offered[0][0] >= TODAY and offered[-1][0] <= TODAY + dt.timedelta(days=366)


def test_the_care_page_offers_the_calendars_holidays_and_refuses_another_day(client_for, templates):
    client, _user = client_for(Role.MANAGER)
    customer("张三", care_ok=True)
    page = client.get("/visits/care/").content.decode()
    assert '<option value="2027-02-05">2027-02-05 农历除夕</option>' in page
    assert '<option value="2027-02-06">2027-02-06 春节</option>' in page
    assert "2027-02-09 春节（补假）" not in page
    refused = client.post(
        "/visits/care/",
        {
            "form": "holiday",
            "action": "schedule",
            "holiday-holiday": "2027-03-03",  # an ordinary Wednesday
            "holiday-send_time": "10:00",
        },
    )
    assert refused.status_code == 400
    assert not CareMessage.objects.exists()
    with pytest.raises(DomainError):  # the service too: a day the calendar does not name
        care.schedule_holiday(actor=_user, occasion=dt.date(2027, 3, 3))
    done = client.post(
        "/visits/care/",
        {
            "form": "holiday",
            "action": "schedule",
            "holiday-holiday": "2027-02-05",
            "holiday-send_time": "10:00",
        },
    )
    assert done.status_code == 302
    message = CareMessage.objects.get()
    assert (message.kind, message.occasion, message.params) == (
        CareKind.HOLIDAY,
        dt.date(2027, 2, 5),
        {"holiday": "农历除夕"},
    )
    assert message.scheduled_at == at(2027, 2, 5, 10, 0)


# --- events and promotions ------------------------------------------------------------------------


def test_an_event_goes_to_the_range_with_marketing_consent_only(make_user, templates):
    manager = make_user(Role.MANAGER)
    yes = customer("张三", marketing_ok=True, region="浙江省", level=Level.MEMBER)
    care_only = customer("李四", care_ok=True, region="浙江省", level=Level.MEMBER)
    elsewhere = customer("王五", marketing_ok=True, region="江苏省", level=Level.MEMBER)
    regular = customer("赵六", marketing_ok=True, region="浙江省", level=Level.REGULAR)
    counts = care.schedule_event(
        actor=manager,
        kind=CareKind.EVENT,
        occasion=dt.date(2027, 1, 16),
        text="  会员日到店\n有礼 ",
        send_at=at(2027, 1, 16, 12, 15),  # lunch: quiet, moved to 14:00
        rules={"region": "浙江省", "levels": [Level.MEMBER], "city": ""},
    )
    assert counts == {"scheduled": 1, "skipped": 1}
    rows = {m.customer_id: m for m in CareMessage.objects.all()}
    assert set(rows) == {yes.pk, care_only.pk}
    assert elsewhere.pk not in rows and regular.pk not in rows
    sent = rows[yes.pk]
    assert (sent.kind, sent.state, sent.params) == (
        CareKind.EVENT,
        CareState.SCHEDULED,
        {"text": "会员日到店 有礼", "date": "1月16日"},
    )
    assert sent.scheduled_at == at(2027, 1, 16, 14, 0)
    assert rows[care_only.pk].reason == "客户未同意接收营销短信。"

    assert care.send_due_care(now=at(2027, 1, 16, 14, 1)) == {"sent": 1, "failed": 0, "skipped": 0}
    sms = SmsMessage.objects.get()
    assert (sms.customer, sms.body) == (yes, "张您好，1月16日会员日到店 有礼")


def test_a_promotion_withdrawn_in_the_meantime_is_not_sent_and_one_a_day(make_user, templates):
    manager = make_user(Role.MANAGER)
    leaves = customer("张三", marketing_ok=True)
    stays = customer("李四", marketing_ok=True, mobile="+8613900139000")
    care.schedule_event(
        actor=manager,
        kind=CareKind.PROMOTION,
        occasion=dt.date(2027, 1, 20),
        text="年货节全场八折",
        send_at=at(2027, 1, 20, 10),
    )
    with pytest.raises(DomainError) as refusal:
        care.schedule_event(
            actor=manager,
            kind=CareKind.PROMOTION,
            occasion=dt.date(2027, 1, 20),
            text="另一个促销",
        )
    assert "2027-01-20" in refusal.value.message
    # a care-only withdrawal does not matter; the marketing one does
    record_consent(actor=manager, customer_id=stays.pk, purpose=ConsentPurpose.CARE, given=False)
    record_consent(
        actor=manager, customer_id=leaves.pk, purpose=ConsentPurpose.MARKETING, given=False
    )
    assert care.send_due_care(now=at(2027, 1, 20, 10, 5)) == {"sent": 1, "failed": 0, "skipped": 1}
    assert SmsMessage.objects.get().customer == stays
    assert CareMessage.objects.get(customer=leaves).reason == "客户已退订。"
    assert CareMessage.objects.count() == 2


@pytest.mark.parametrize(
    ("text", "template", "expected"),
    [
        ("   ", "", "活动"),
        ("很" * 61, "", "60"),
        ("会员日", "care_holiday", "holiday"),  # a template whose variable an event cannot fill
    ],
)
def test_an_event_without_words_too_long_or_with_the_wrong_template_is_refused(
    make_user, templates, text, template, expected
):
    customer("张三", marketing_ok=True)
    with pytest.raises(DomainError) as refusal:
        care.schedule_event(
            actor=make_user(Role.MANAGER),
            kind=CareKind.EVENT,
            occasion=dt.date(2027, 1, 16),
            text=text,
            template_code=template,
        )
    assert expected in refusal.value.message
    assert not CareMessage.objects.exists()


def test_a_manager_creates_an_event_on_the_page_and_an_agent_may_not(client_for, templates):
    client, _user = client_for(Role.MANAGER)
    customer("张三", marketing_ok=True, city="杭州市")
    customer("李四", marketing_ok=True, city="宁波市")
    form = {
        "form": "event",
        "action": "schedule",
        "event-kind": "event",
        "event-occasion": "2027-01-16",
        "event-text": "会员日到店有礼",
        "event-send_time": "10:00",
        "event-city": "杭州市",
    }
    past = client.post("/visits/care/", {**form, "event-occasion": "2026-12-06"})
    assert past.status_code == 400 and "日期已过" in past.content.decode()
    assert not CareMessage.objects.exists()
    assert client.post("/visits/care/", form).status_code == 302
    message = CareMessage.objects.get()
    assert (message.customer.name, message.kind, message.template_code) == (
        "张三",
        CareKind.EVENT,
        "care_event",
    )
    agent, _agent = client_for(Role.AGENT)
    assert agent.post("/visits/care/", {**form, "event-kind": "promotion"}).status_code == 403
    assert CareMessage.objects.count() == 1


# --- the e-mail channel, previewed ---------------------------------------------------------------


def test_e_mail_chosen_on_the_page_previews_who_has_no_address_then_schedules(
    client_for, templates, mailoutbox
):
    client, _user = client_for(Role.MANAGER)
    customer("张三", care_ok=True, email="zhang@example.com")
    customer("<b>李四</b>", care_ok=True)  # a mobile, no e-mail address
    customer("王五", care_ok=True, mobile="")
    customer("赵六", care_ok=False, email="zhao@example.com")
    form = {
        "form": "holiday",
        "action": "preview",
        "holiday-holiday": "2027-02-06",
        "holiday-send_time": "10:00",
        "holiday-channel": "email",
    }
    preview = client.post("/visits/care/", form)
    assert preview.status_code == 200
    page = preview.content.decode()
    counts = page.split('data-testid="preview-counts">')[1].split("</p>")[0]
    assert counts == "范围内 4 位客户：1 位将收到（短信 0 位，邮件 1 位），3 位不发送。"
    left_out = page.split('data-testid="preview-left-out"')[1].split("</table>")[0]
    assert "没有电子邮箱。" in left_out and "&lt;b&gt;李四&lt;/b&gt;" in left_out
    assert "王五" in left_out and "<b>李四" not in left_out
    assert "客户未同意接收关怀短信。" in left_out and "赵六" in left_out
    assert not CareMessage.objects.exists()  # a preview writes nothing

    done = client.post("/visits/care/", {**form, "action": "schedule"})
    assert done.status_code == 302
    by_state = dict(CareMessage.objects.values_list("customer__name", "state"))
    assert by_state == {
        "张三": CareState.SCHEDULED,
        "<b>李四</b>": CareState.SKIPPED,
        "王五": CareState.SKIPPED,
        "赵六": CareState.SKIPPED,
    }
    assert set(CareMessage.objects.values_list("channel", flat=True)) == {"email"}
    care.send_due_care(now=at(2027, 2, 6, 10, 1))
    assert [(m.to, m.body) for m in mailoutbox] == [(["zhang@example.com"], "张您好，春节快乐！")]
    assert not SmsMessage.objects.exists()


def test_an_unknown_channel_is_refused_on_the_page_and_by_the_service(
    client_for, templates, make_user
):
    client, _user = client_for(Role.MANAGER)
    customer("张三", care_ok=True, email="zhang@example.com")
    bad = client.post(
        "/visits/care/",
        {
            "form": "holiday",
            "action": "preview",
            "holiday-holiday": "2027-02-06",
            "holiday-send_time": "10:00",
            "holiday-channel": "fax",
        },
    )
    assert bad.status_code == 400 and 'data-testid="care-preview"' not in bad.content.decode()
    with pytest.raises(DomainError):
        care.preview_care(
            actor=make_user(Role.MANAGER),
            kind=CareKind.HOLIDAY,
            occasion=dt.date(2027, 2, 6),
            channel="fax",
        )
    assert not CareMessage.objects.exists()


def test_a_batch_of_care_e_mails_reads_its_template_once(make_user, templates, mailoutbox):
    manager = make_user(Role.MANAGER)
    for n in range(4):
        customer(f"客户{n}", care_ok=True, mobile="", email=f"c{n}@example.com")
    care.schedule_holiday(
        actor=manager, occasion=dt.date(2027, 2, 6), send_at=at(2027, 2, 6, 10), channel="email"
    )
    with CaptureQueriesContext(connection) as queries:
        assert care.send_due_care(now=at(2027, 2, 6, 10, 1))["sent"] == 4
    template_reads = [q["sql"] for q in queries.captured_queries if "sms_smstemplate" in q["sql"]]
    assert len(template_reads) == 1
    assert len(mailoutbox) == 4
