"""Where people see what became of an SMS: the customer page's panel, the sent-SMS list (短信记录) of
supervisors and managers, and the workbench card; and who may open them."""

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from conftest import HOSTILE_STRINGS, sign_in
from kefu.accounts.roles import Role
from kefu.customers.services.profiles import ContactPoints, create_customer
from kefu.sms.models import SmsMessage, SmsStatus, SmsTemplate

pytestmark = pytest.mark.django_db


def in_english(client: Client) -> Client:
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def signed_in(user) -> Client:
    return in_english(sign_in(Client(), user))


@pytest.fixture
def template(db):
    return SmsTemplate.objects.create(
        code="dispatch",
        name="派工通知",
        provider_template_id="SMS_71390007",
        body="您好，{name}，您的服务单{number}已派工。",
    )


def message(
    status: str,
    *,
    customer=None,
    to: str = "+8613800138000",
    error: str = "",
    body: str = "您好，张伟，您的服务单T1已派工。",
):
    now = timezone.now()
    return SmsMessage.objects.create(
        to=to,
        template_code="dispatch",
        provider="aliyun",
        provider_message_id=f"id-{SmsMessage.objects.count()}",
        status=status,
        error=error,
        body=body,
        customer=customer,
        sent_at=now,
        delivered_at=now if status == SmsStatus.DELIVERED else None,
        reported_at=now if status in (SmsStatus.DELIVERED, SmsStatus.FAILED) else None,
    )


def rows(html: str) -> int:
    return html.count('data-testid="sms-row"')


def test_a_supervisor_filters_the_list_by_status_and_sees_why_one_failed(make_user, template):
    message(SmsStatus.DELIVERED)
    message(SmsStatus.FAILED, to="+8613900000001", error="MK:0013: 停机")
    message(SmsStatus.SENT)
    client = signed_in(make_user(Role.SUPERVISOR))
    everything = client.get("/sms/").content.decode()
    assert rows(everything) == 3 and "派工通知" in everything
    assert "139****0001" in everything and "13900000001" not in everything  # numbers are masked
    failed = client.get("/sms/?status=failed").content.decode()
    assert rows(failed) == 1 and "MK:0013: 停机" in failed and 'data-testid="sms-error"' in failed
    delivered = client.get("/sms/?status=delivered").content.decode()
    assert rows(delivered) == 1 and ">Delivered<" in delivered
    assert rows(client.get("/sms/?q=0001").content.decode()) == 1  # the number's end


def test_the_list_is_paged(make_user, template):
    SmsMessage.objects.bulk_create(
        [
            SmsMessage(
                to="+8613800138000",
                template_code="dispatch",
                provider="console",
                status=SmsStatus.SENT,
            )
            for _ in range(53)
        ]
    )
    client = signed_in(make_user(Role.MANAGER))
    first = client.get("/sms/")
    assert rows(first.content.decode()) == 50
    cursor = first.context["page"].next_cursor
    second = client.get(f"/sms/?cursor={cursor}").content.decode()
    assert rows(second) == 3 and 'data-testid="next-page"' not in second
    assert rows(client.get("/sms/?cursor=not-a-number").content.decode()) == 50


@pytest.mark.parametrize("role", [Role.AGENT, Role.INSPECTOR, Role.DEPARTMENT_STAFF])
def test_the_list_is_for_supervisors_and_managers_only(make_user, role, template):
    message(SmsStatus.FAILED, error="MK:0013: 停机")
    client = signed_in(make_user(role))
    response = client.get("/sms/")
    assert response.status_code == 403 and "MK:0013" not in response.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in():
    response = Client().get("/sms/")
    assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"]


def test_the_customer_page_shows_each_sms_and_its_status(make_user, template):
    agent = make_user(Role.AGENT)
    customer = create_customer(
        actor=agent, name="张伟", contacts=ContactPoints({"mobile": ["13800138000"]})
    )
    message(SmsStatus.DELIVERED, customer=customer)
    message(SmsStatus.FAILED, customer=customer, error="MK:0013: 停机")
    message(SmsStatus.FAILED, error="someone else's")
    page = signed_in(agent).get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="customer-sms"' in page
    assert page.count('data-testid="sms-status"') == 2
    assert (
        ">Delivered<" in page
        and ">Failed<" in page
        and "MK:0013: 停机" in page
        and "someone else" not in page
    )
    assert f"/sms/?customer={customer.pk}" not in page  # the full list is not the agent's
    supervisor_page = (
        signed_in(make_user(Role.SUPERVISOR)).get(f"/customers/{customer.pk}/").content.decode()
    )
    assert f"/sms/?customer={customer.pk}" in supervisor_page


def test_the_list_narrowed_to_one_customer(make_user, template):
    agent = make_user(Role.AGENT)
    customer = create_customer(
        actor=agent, name="张伟", contacts=ContactPoints({"mobile": ["13800138000"]})
    )
    message(SmsStatus.DELIVERED, customer=customer)
    message(SmsStatus.DELIVERED)
    client = signed_in(make_user(Role.SUPERVISOR))
    assert rows(client.get(f"/sms/?customer={customer.pk}").content.decode()) == 1


def test_the_workbench_card_counts_recent_failures_for_supervisors(make_user, template):
    message(SmsStatus.FAILED, error="MK:0013: 停机")
    message(SmsStatus.FAILED, error="MK:0013: 停机")
    message(SmsStatus.DELIVERED)
    home = signed_in(make_user(Role.SUPERVISOR)).get("/").content.decode()
    assert 'data-testid="card-sms"' in home and 'data-testid="sms-failed-count">2<' in home.replace(
        "\n", ""
    )
    assert (
        'data-testid="card-sms"' not in signed_in(make_user(Role.AGENT)).get("/").content.decode()
    )


def test_hostile_text_in_a_message_is_shown_as_text(make_user, template):
    for text in HOSTILE_STRINGS:
        message(SmsStatus.FAILED, error=text[:300], body=text)
    page = signed_in(make_user(Role.SUPERVISOR)).get("/sms/").content.decode()
    assert "<script>alert('x')</script>" not in page and "&lt;script&gt;" in page
    assert '"><img src=x' not in page


def test_an_agent_sends_a_templated_sms_from_the_customer_page(make_user, template):
    from kefu.core.models import TimelineEntry

    agent = make_user(Role.AGENT)
    customer = create_customer(
        actor=agent, name="张伟", contacts=ContactPoints({"mobile": ["13800138000"]})
    )
    client = signed_in(agent)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert (
        'data-testid="sms-template-dispatch"' in page and 'value="张伟"' in page
    )  # the name filled in
    response = client.post(
        f"/sms/customer/{customer.pk}/send/",
        {"template": "dispatch", "var_name": "张伟", "var_number": "T20261123-001"},
        follow=True,
    )
    assert "SMS sent to 张伟." in response.content.decode()
    [sent] = SmsMessage.objects.filter(customer=customer)
    assert (sent.to, sent.status, sent.body, sent.created_by) == (
        "+8613800138000",
        SmsStatus.SENT,
        "您好，张伟，您的服务单T20261123-001已派工。",
        agent,
    )
    [entry] = TimelineEntry.objects.filter(customer_id=customer.pk, kind="sms.sent")
    assert entry.summary == "SMS “派工通知” sent" and entry.actor == agent
    assert ">Sent<" in response.content.decode()  # the panel shows it at once


def test_sending_refuses_a_missing_value_and_a_customer_the_agent_cannot_see(make_user, template):
    agent = make_user(Role.AGENT)
    mine = create_customer(
        actor=agent, name="张伟", contacts=ContactPoints({"mobile": ["13800138000"]})
    )
    other = create_customer(
        actor=make_user(Role.AGENT),
        name="李娜",
        contacts=ContactPoints({"mobile": ["13900139000"]}),
    )
    client = signed_in(agent)
    refused = client.post(
        f"/sms/customer/{mine.pk}/send/", {"template": "dispatch", "var_name": "张伟"}, follow=True
    )
    assert "The template needs values for: number." in refused.content.decode()
    assert (
        client.post(
            f"/sms/customer/{other.pk}/send/",
            {"template": "dispatch", "var_name": "x", "var_number": "1"},
        ).status_code
        == 404
    )
    assert (
        signed_in(make_user(Role.INSPECTOR))
        .post(
            f"/sms/customer/{mine.pk}/send/",
            {"template": "dispatch", "var_name": "x", "var_number": "1"},
        )
        .status_code
        == 403
    )
    assert not SmsMessage.objects.exists()


@pytest.mark.parametrize("hostile", HOSTILE_STRINGS)
def test_what_an_agent_types_into_an_sms_is_shown_as_text(make_user, template, hostile):
    agent = make_user(Role.AGENT)
    customer = create_customer(
        actor=agent, name="张伟", contacts=ContactPoints({"mobile": ["13800138000"]})
    )
    client = signed_in(agent)
    client.post(
        f"/sms/customer/{customer.pk}/send/",
        {"template": "dispatch", "var_name": "张伟", "var_number": hostile},
    )
    [sent] = SmsMessage.objects.filter(customer=customer)
    assert hostile.strip() in sent.body  # stored as typed
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert escape(sent.body) in page  # shown as text in the panel
    if any(c in hostile for c in "<>\"'&"):
        assert hostile not in page
