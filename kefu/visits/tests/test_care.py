"""Customer care 客户关怀 and consent: consent given and withdrawn on the customer page (audited, on
the timeline), care SMS scheduled outside quiet hours and only with consent, checked again when
sending, birthdays and after-purchase thanks, the care page by role."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.core.errors import DomainError
from kefu.core.models import TimelineEntry
from kefu.customers.models import Consent, ConsentPurpose, ConsentSource, Customer, Level
from kefu.customers.selectors import has_consent
from kefu.customers.services.consent import record_consent
from kefu.orders.events import OrderRecorded
from kefu.sms.models import SmsMessage, SmsTemplate
from kefu.visits import subscribers
from kefu.visits.models import CareKind, CareMessage, CareState
from kefu.visits.services import care

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args).replace(tzinfo=SH)  # type: ignore[arg-type]


@pytest.fixture
def templates(db):
    SmsTemplate.objects.create(
        code="care_holiday", name="节日关怀", body="{name}您好，{holiday}快乐！"
    )
    SmsTemplate.objects.create(code="care_birthday", name="生日关怀", body="{name}您好，生日快乐！")
    SmsTemplate.objects.create(
        code="care_after_purchase", name="购后关怀", body="{name}您好，感谢您的购买。"
    )


def customer(name: str, *, consent: bool | None, level=Level.MEMBER, mobile="+8613800138000", **kw):
    made = Customer.objects.create(name=name, level=level, mobile=mobile, **kw)
    if consent is not None:
        record_consent(
            actor=None,
            customer_id=made.pk,
            purpose=ConsentPurpose.CARE,
            given=consent,
            source=ConsentSource.IMPORT,
        )
    return made


def test_consent_is_the_newest_row_and_none_means_no(make_user):
    agent = make_user(Role.AGENT)
    person = customer("张三", consent=None)
    assert has_consent(person, ConsentPurpose.CARE) is False
    record_consent(actor=agent, customer_id=person.pk, purpose="care", given=True)
    assert has_consent(person, "care") is True
    assert has_consent(person.pk, "marketing") is False
    record_consent(actor=agent, customer_id=person.pk, purpose="care", given=False)
    assert has_consent(person, "care") is False
    assert list(Consent.objects.filter(customer=person).values_list("given", flat=True)) == [
        False,
        True,
    ]
    assert AuditEntry.objects.filter(action=AuditAction.CONSENT_CHANGED).count() == 2


def test_an_unknown_purpose_is_refused_and_nothing_recorded(make_user):
    person = customer("张三", consent=None)
    with pytest.raises(DomainError):
        record_consent(
            actor=make_user(Role.AGENT), customer_id=person.pk, purpose="spam", given=True
        )
    assert not Consent.objects.exists()


def test_consent_shown_and_changed_on_the_customer_page(client_for):
    client, agent = client_for(Role.AGENT)
    person = customer("张三", consent=None, owner=agent)
    page = client.get(f"/customers/{person.pk}/").content.decode()
    assert "短信接收同意" in page and "未征询" in page
    assert (
        client.post(
            f"/customers/{person.pk}/consent/", {"purpose": "care", "given": "1"}
        ).status_code
        == 302
    )
    page = client.get(f"/customers/{person.pk}/").content.decode()
    care_row = page.split('data-testid="consent-care"')[1].split("</li>")[0]
    assert "已同意" in care_row and "告知客服（客户页面）" in care_row
    assert has_consent(person, "care")
    entry = AuditEntry.objects.get(action=AuditAction.CONSENT_CHANGED)
    assert (entry.actor, entry.object_id, entry.details["purpose"], entry.details["given"]) == (
        agent,
        str(person.pk),
        "care",
        True,
    )
    assert TimelineEntry.objects.filter(customer_id=person.pk, kind="customers.consent").exists()
    assert (
        client.post(f"/customers/{person.pk}/consent/", {"purpose": "x", "given": "1"}).status_code
        == 302
    )
    assert Consent.objects.count() == 1


def test_consent_read_and_recorded_through_the_api(client_for):
    """As on the customer page (issue 18.5): per purpose, the newest record holds; a new record is
    audited with the API as its source; a bad purpose is a 422 naming it; a missing customer, 404;
    a role without customer work, 403."""
    import json

    api, agent = client_for(Role.AGENT)
    person = customer("张三", consent=None, owner=agent)
    url = f"/api/v1/customers/{person.pk}/consents"
    assert [(c["purpose"], c["given"], c["source"]) for c in api.get(url).json()] == [
        ("care", False, None),
        ("marketing", False, None),
    ]

    def record(purpose: str, given: bool, *, to: str = url):
        body = json.dumps({"purpose": purpose, "given": given})
        return api.post(to, body, content_type="application/json")

    answer = record("marketing", True)
    assert answer.status_code == 201
    got = {c["purpose"]: c for c in answer.json()}
    assert (got["marketing"]["given"], got["marketing"]["source"]) == (True, ConsentSource.API)
    assert got["marketing"]["recorded_by_id"] == agent.pk and not got["care"]["given"]
    assert record("marketing", False).status_code == 201
    assert has_consent(person, "marketing") is False
    assert AuditEntry.objects.filter(action=AuditAction.CONSENT_CHANGED).count() == 2

    refused = record("spam", True)
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["body", "purpose"]
    assert record("care", True, to="/api/v1/customers/999999/consents").status_code == 404
    assert api.get("/api/v1/customers/999999/consents").status_code == 404
    inspector, _user = client_for(Role.INSPECTOR)
    assert inspector.get(url).status_code == 403
    assert record("care", True).status_code == 201 and Consent.objects.count() == 3


def test_consent_by_id_for_who_may_not_see_the_customer(client_for):
    person = customer("张三", consent=None)
    inspector, _user = client_for(Role.INSPECTOR)
    assert (
        inspector.post(
            f"/customers/{person.pk}/consent/", {"purpose": "care", "given": "1"}
        ).status_code
        == 403
    )
    manager, _user = client_for(Role.MANAGER)
    assert (
        manager.post("/customers/999999/consent/", {"purpose": "care", "given": "1"}).status_code
        == 404
    )
    assert not Consent.objects.exists()


def test_a_holiday_greeting_goes_only_to_who_consented_and_never_in_quiet_hours(
    make_user, templates
):
    manager = make_user(Role.MANAGER)
    yes = customer("张三", consent=True)
    withdrawn = customer("李四", consent=False)
    never = customer("王五", consent=None)
    no_mobile = customer("赵六", consent=True, mobile="")
    regular = customer("钱七", consent=True, level=Level.REGULAR)
    counts = care.schedule_holiday(
        actor=manager,
        occasion=dt.date(2027, 2, 6),
        holiday="春节",
        send_at=at(2027, 2, 6, 12, 30),  # lunch: quiet
        levels=[Level.MEMBER],
    )
    assert counts == {"scheduled": 1, "skipped": 3}
    rows = {m.customer_id: m for m in CareMessage.objects.all()}
    assert set(rows) == {yes.pk, withdrawn.pk, never.pk, no_mobile.pk}
    assert regular.pk not in rows
    assert rows[yes.pk].state == CareState.SCHEDULED
    assert rows[yes.pk].scheduled_at == at(2027, 2, 6, 14, 0)
    assert rows[withdrawn.pk].reason == "客户未同意接收关怀短信。"
    assert rows[no_mobile.pk].reason == "没有手机号码，也没有电子邮箱。"
    again = care.schedule_holiday(
        actor=manager, occasion=dt.date(2027, 2, 6), holiday="春节", levels=[Level.MEMBER]
    )
    assert again == {"scheduled": 1, "skipped": 3}
    assert CareMessage.objects.count() == 4  # once per customer and day


def test_a_template_with_an_unknown_variable_is_refused_and_nothing_scheduled(make_user, templates):
    SmsTemplate.objects.create(code="care_bad", name="坏模板", body="{name}{coupon}")
    customer("张三", consent=True)
    with pytest.raises(DomainError) as refusal:
        care.schedule_holiday(
            actor=make_user(Role.MANAGER),
            occasion=dt.date(2027, 2, 6),
            holiday="春节",
            template_code="care_bad",
        )
    assert "coupon" in refusal.value.message
    assert not CareMessage.objects.exists()


def test_sending_checks_consent_again_and_waits_out_quiet_hours(make_user, templates):
    manager = make_user(Role.MANAGER)
    stays = customer("张三", consent=True)
    leaves = customer("李四", consent=True)
    care.schedule_holiday(
        actor=manager, occasion=dt.date(2027, 2, 6), holiday="春节", send_at=at(2027, 2, 6, 10)
    )
    record_consent(actor=manager, customer_id=leaves.pk, purpose="care", given=False)
    assert care.send_due_care(now=at(2027, 2, 6, 9, 59)) == {"sent": 0, "failed": 0, "skipped": 0}
    assert care.send_due_care(now=at(2027, 2, 6, 22, 0)) == {"sent": 0, "failed": 0, "skipped": 0}
    assert not SmsMessage.objects.exists()
    assert care.send_due_care(now=at(2027, 2, 6, 10, 5)) == {"sent": 1, "failed": 0, "skipped": 1}
    sms = SmsMessage.objects.get()
    assert (sms.customer, sms.template_code, sms.params) == (
        stays,
        "care_holiday",
        {"name": "张", "holiday": "春节"},
    )
    assert CareMessage.objects.get(customer=leaves).reason == "客户已退订。"
    assert TimelineEntry.objects.filter(customer_id=stays.pk, kind="visits.care_sent").exists()
    assert care.send_due_care(now=at(2027, 2, 6, 10, 10))["sent"] == 0  # never twice


def test_care_goes_by_e_mail_to_who_has_no_mobile_with_consent_checked_again(
    make_user, templates, mailoutbox
):
    manager = make_user(Role.MANAGER)
    by_mail = customer("张三", consent=True, mobile="", email="zhang@example.com")
    by_sms = customer("李四", consent=True, email="li@example.com")
    leaves = customer("王五", consent=True, mobile="", email="wang@example.com")
    never = customer("赵六", consent=None, mobile="", email="zhao@example.com")
    counts = care.schedule_holiday(
        actor=manager, occasion=dt.date(2027, 2, 6), holiday="春节", send_at=at(2027, 2, 6, 10)
    )
    assert counts == {"scheduled": 3, "skipped": 1}
    channels = dict(CareMessage.objects.values_list("customer_id", "channel"))
    assert (channels[by_mail.pk], channels[by_sms.pk]) == ("email", "sms")
    record_consent(actor=manager, customer_id=leaves.pk, purpose="care", given=False)

    assert care.send_due_care(now=at(2027, 2, 6, 10, 5)) == {"sent": 2, "failed": 0, "skipped": 1}

    assert [(m.to, m.body) for m in mailoutbox] == [(["zhang@example.com"], "张您好，春节快乐！")]
    assert SmsMessage.objects.get().customer == by_sms
    assert CareMessage.objects.get(customer=by_mail).state == CareState.SENT
    assert CareMessage.objects.get(customer=leaves).reason == "客户已退订。"
    assert CareMessage.objects.get(customer=never).state == CareState.SKIPPED
    assert TimelineEntry.objects.filter(customer_id=by_mail.pk, kind="visits.care_sent").exists()
    assert care.send_due_care(now=at(2027, 2, 6, 10, 10))["sent"] == 0  # never twice


def test_e_mail_chosen_for_care_and_a_mail_server_that_refuses(make_user, templates, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: refused
    person = customer("张三", consent=True, email="zhang@example.com")
    no_address = customer("李四", consent=True)
    care.schedule_care(
        actor=make_user(Role.MANAGER),
        kind=CareKind.HOLIDAY,
        occasion=dt.date(2027, 2, 6),
        customers=[person.pk, no_address.pk],
        send_at=at(2027, 2, 6, 10),
        params={"holiday": "春节"},
        channel="email",
    )
    assert CareMessage.objects.get(customer=no_address).reason == "没有电子邮箱。"
    assert care.send_due_care(now=at(2027, 2, 6, 10, 5)) == {"sent": 0, "failed": 1, "skipped": 0}
    failed = CareMessage.objects.get(customer=person)
    assert failed.state == CareState.FAILED and "邮件" in failed.reason
    assert not SmsMessage.objects.exists()


def test_todays_birthdays_are_scheduled(templates):
    born = customer("张三", consent=True, custom={"birthday": "1990-03-15"})
    customer("李四", consent=True, custom={"birthday": "1990-03-16"})
    assert care.schedule_birthdays(now=at(2027, 3, 15, 8, 30)) == {"scheduled": 1, "skipped": 0}
    message = CareMessage.objects.get()
    assert (message.customer, message.kind, message.scheduled_at) == (
        born,
        CareKind.BIRTHDAY,
        at(2027, 3, 15, 10, 0),
    )


def test_a_received_order_schedules_the_thanks(templates):
    buyer = customer("张三", consent=True)
    subscribers.on_order_received(
        OrderRecorded(order_id=1, created=False, state="received", customer_id=buyer.pk)
    )
    message = CareMessage.objects.get()
    assert (message.customer, message.kind) == (buyer, CareKind.AFTER_PURCHASE)


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.AGENT, 403), (Role.SUPERVISOR, 200), (Role.MANAGER, 200), (Role.INSPECTOR, 403)],
)
def test_who_opens_the_care_page(client_for, role, status):
    client, _user = client_for(role)
    assert client.get("/visits/care/").status_code == status


def test_a_manager_schedules_a_holiday_greeting_on_the_page(client_for, templates, monkeypatch):
    monkeypatch.setattr("kefu.visits.selectors.local_today", lambda now=None: dt.date(2026, 12, 7))
    client, _user = client_for(Role.MANAGER)
    customer("张三", consent=True)
    customer("<script>alert(1)</script>", consent=False)
    form = {
        "form": "holiday",
        "action": "schedule",
        "holiday-holiday": "2027-09-15",  # 中秋节, from the business calendar
        "holiday-send_time": "21:30",
        "holiday-levels": ["member"],
        "holiday-template_code": "care_holiday",
    }
    done = client.post("/visits/care/", form)
    assert done.status_code == 302
    page = client.get("/visits/care/").content.decode()
    assert "已安排 1 条关怀短信，1 位客户未发送。" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    scheduled = CareMessage.objects.get(state=CareState.SCHEDULED)
    assert scheduled.scheduled_at == at(2027, 9, 16, 9, 0)
    assert scheduled.params == {"holiday": "中秋节"}
    bad = client.post("/visits/care/", {**form, "holiday-template_code": "nope"})
    assert bad.status_code == 400
    assert "没有代码为" in bad.content.decode() or "nope" in bad.content.decode()


def test_the_care_page_shows_each_messages_delivery_report(client_for, templates):
    """短信关怀 delivery results per message: the provider's report (回执) beside each care message;
    a failed report with the provider's text shown as text; a message left out has none."""
    from kefu.sms.services import record_delivery

    client, manager = client_for(Role.MANAGER)
    delivered = customer("张三", consent=True)
    failed = customer("李四", consent=True, mobile="+8613900139000")
    customer("王五", consent=False)
    care.schedule_holiday(
        actor=manager, occasion=dt.date(2027, 2, 6), holiday="春节", send_at=at(2027, 2, 6, 10)
    )
    # 王五 was left out when scheduled (no consent)
    assert care.send_due_care(now=at(2027, 2, 6, 10, 5)) == {"sent": 2, "failed": 0, "skipped": 0}
    page = client.get("/visits/care/").content.decode()
    first = CareMessage.objects.get(customer=delivered)
    assert "已发送" in page.split(f'data-testid="delivery-{first.pk}"')[1].split("</td>")[0]
    for who, ok, error in ((delivered, True, ""), (failed, False, "<b>空号</b>")):
        sms = SmsMessage.objects.get(customer=who)
        record_delivery(
            provider=sms.provider,
            provider_message_id=sms.provider_message_id,
            delivered=ok,
            error=error,
            at=at(2027, 2, 6, 10, 6),
        )
    page = client.get("/visits/care/").content.decode()

    def delivery(who):
        message = CareMessage.objects.get(customer=who)
        return page.split(f'data-testid="delivery-{message.pk}"')[1].split("</td>")[0]

    assert "已送达" in delivery(delivered) and "02-06 10:06" in delivery(delivered)
    assert "&lt;b&gt;空号&lt;/b&gt;" in delivery(failed) and "<b>" not in delivery(failed)
    left_out = CareMessage.objects.get(state=CareState.SKIPPED)
    assert page.split(f'data-testid="delivery-{left_out.pk}"')[1].split("</td>")[0] == ">—"
    assert "送达回执" in page
